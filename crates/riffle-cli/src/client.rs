//! Where the client commands (`put`, `tail`, `stream`) connect: one set of flags and one way to
//! build a Kinesis client from AWS's standard chain (environment, profile, web identity,
//! container and instance roles), so every command reaches AWS and `riffle serve` alike.

use aws_sdk_kinesis::config::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use clap::Args;

/// What `riffle serve` listens on by default; the `stream` commands aim there unless told.
pub const LOCAL_ENDPOINT: &str = "http://127.0.0.1:4567";

#[derive(Debug, Clone, Args)]
pub struct Endpoint {
    /// Kinesis endpoint, e.g. http://127.0.0.1:4567 for `riffle serve` (default: AWS's for the
    /// region). Credentials come from the standard AWS chain.
    #[arg(long, env = "AWS_ENDPOINT_URL_KINESIS", global = true)]
    pub endpoint_url: Option<String>,
    /// AWS region (default: from the environment or profile).
    #[arg(long, global = true)]
    pub region: Option<String>,
}

impl Endpoint {
    /// A Kinesis client for these flags. `riffle serve` accepts any credentials unless `--auth`
    /// is on, but the SDK refuses to send unsigned requests: against a loopback endpoint with
    /// nothing in the chain, placeholder credentials sign instead, so `riffle stream list` works
    /// on a fresh machine. Anywhere else a missing credential stays an error.
    pub async fn kinesis_client(&self) -> aws_sdk_kinesis::Client {
        let local = self.endpoint_url.as_deref().is_some_and(is_loopback);
        // A local server signs with any region; naming one spares the chain its instance
        // metadata lookup (a delay and a warning on machines that are not EC2 instances).
        let env_region = || ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|k| std::env::var(k).ok());
        let region = match &self.region {
            Some(r) => Some(r.clone()),
            None if local => Some(env_region().unwrap_or_else(|| "us-east-1".to_string())),
            None => None,
        };
        let client = riffle_consumer::kinesis_client(self.endpoint_url.as_deref(), region.as_deref()).await;
        if !local {
            return client;
        }
        let chain = aws_config::default_provider::credentials::default_provider().await;
        if chain.provide_credentials().await.is_ok() {
            return client;
        }
        let placeholder = Credentials::new("riffle", "riffle", None, None, "riffle-cli-loopback");
        let config = client.config().to_builder().credentials_provider(SharedCredentialsProvider::new(placeholder));
        aws_sdk_kinesis::Client::from_conf(config.build())
    }

    /// How errors name the endpoint: the URL, or AWS's endpoint for the client's region.
    pub fn describe(&self, client: &aws_sdk_kinesis::Client) -> String {
        match &self.endpoint_url {
            Some(url) => url.clone(),
            None => {
                let region = client.config().region().map_or("(no region)".to_string(), ToString::to_string);
                format!("AWS Kinesis in {region}")
            }
        }
    }
}

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8 or `::1`).
pub fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_endpoints_are_recognised() {
        for url in ["http://127.0.0.1:4567", "http://localhost", "https://[::1]:443/", "127.0.0.2:80"] {
            assert!(is_loopback(url), "{url}");
        }
        for url in ["https://kinesis.us-east-1.amazonaws.com", "http://10.0.0.1:4567", "http://[2001:db8::1]/"] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
