//! The Kinesis side: the SDK client (endpoint, region, credentials as `agent.json` or the
//! standard AWS chain give them), the start-up check of every flow's stream, one
//! `riffle-producer` per flow, and partition keys.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_kinesis::config::{AppName, Credentials as StaticCredentials, Region};
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::types::StreamStatus;
use riffle_producer::{Producer, ProducerConfig};

use crate::config::{AgentConfig, Credentials, FlowConfig, PartitionKeyOption};

/// Error codes that mean the caller's credentials are wrong: retrying cannot help.
const AUTH_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "AccessDeniedException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
];

/// Why a flow cannot send at all. Raised at start, so the agent exits non-zero with it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("flow {flow}: stream {stream:?} does not exist ({message})")]
    StreamNotFound { flow: String, stream: String, message: String },
    #[error("flow {flow}: stream {stream:?} is {status} and cannot take records")]
    StreamUnusable { flow: String, stream: String, status: String },
    #[error("flow {flow}: the credentials were refused: {code}: {message}")]
    Credentials { flow: String, code: String, message: String },
    #[error("flow {flow}: cannot check stream {stream:?}: {message}")]
    Check { flow: String, stream: String, message: String },
}

/// The Kinesis client for every flow. `endpoint` (an override, else `kinesis.endpoint`, else
/// the `AWS_ENDPOINT_URL*` variables the SDK reads itself, else AWS) may omit its scheme, as
/// the Java agent's often does (`kinesis.us-east-1.amazonaws.com`).
pub async fn client(config: &AgentConfig, endpoint: Option<&str>) -> aws_sdk_kinesis::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &config.kinesis_region {
        loader = loader.region(Region::new(region.clone()));
    }
    match &config.credentials {
        Credentials::DefaultChain => {}
        Credentials::Static { access_key_id, secret_access_key } => {
            let creds = StaticCredentials::new(access_key_id, secret_access_key, None, None, "agent.json");
            loader = loader.credentials_provider(creds);
        }
        Credentials::AssumeRole { role_arn, external_id } => {
            let base = aws_config::defaults(BehaviorVersion::latest()).load().await;
            let mut role = aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name("riffle-agent");
            if let Some(id) = external_id {
                role = role.external_id(id);
            }
            loader = loader.credentials_provider(role.configure(&base).build().await);
        }
    }
    let shared = loader.load().await;
    let mut b = aws_sdk_kinesis::config::Builder::from(&shared);
    if let Some(url) = endpoint.or(config.kinesis_endpoint.as_deref()) {
        let url = if url.contains("://") { url.to_owned() } else { format!("https://{url}") };
        b = b.endpoint_url(url);
    }
    if shared.region().is_none() {
        // A local endpoint needs some region to sign with; on AWS the chain names one.
        b = b.region(Region::new("us-east-1"));
    }
    if let Some(app) = config.user_agent.as_deref().and_then(|ua| AppName::new(sanitize_app_name(ua)).ok()) {
        b = b.app_name(app);
    }
    aws_sdk_kinesis::Client::from_conf(b.build())
}

/// `userAgent` as an SDK app name (which allows only RFC 7230 token characters).
fn sanitize_app_name(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c) { c } else { '-' }).collect()
}

/// Checks that `flow`'s stream exists and takes records, with these credentials. Answers that
/// settle it (no such stream, credentials refused) fail at once; an unreachable endpoint or a
/// throttled call is retried with backoff (logged) until it answers, so an agent started before
/// its endpoint still comes up.
pub async fn check_stream(client: &aws_sdk_kinesis::Client, flow: &FlowConfig) -> Result<(), StartError> {
    let mut delay = Duration::from_millis(200);
    loop {
        let retry_reason = match client.describe_stream_summary().stream_name(&flow.stream).send().await {
            Ok(out) => {
                let status = out.stream_description_summary().map(|s| s.stream_status().clone());
                match status {
                    Some(StreamStatus::Active | StreamStatus::Updating) => return Ok(()),
                    Some(StreamStatus::Creating) => "the stream is CREATING".to_owned(),
                    other => {
                        return Err(StartError::StreamUnusable {
                            flow: flow.id.clone(),
                            stream: flow.stream.clone(),
                            status: other.map_or_else(|| "unknown".into(), |s| s.as_str().to_owned()),
                        });
                    }
                }
            }
            Err(SdkError::ServiceError(e)) => {
                let code = e.err().code().unwrap_or("Unknown").to_owned();
                let message = e.err().message().unwrap_or_default().to_owned();
                if code == "ResourceNotFoundException" {
                    return Err(StartError::StreamNotFound {
                        flow: flow.id.clone(),
                        stream: flow.stream.clone(),
                        message,
                    });
                }
                if AUTH_CODES.contains(&code.as_str()) {
                    return Err(StartError::Credentials { flow: flow.id.clone(), code, message });
                }
                let retryable =
                    e.raw().status().is_server_error() || code.contains("Throttl") || code.contains("Limit");
                if !retryable {
                    let message = format!("{code}: {message}");
                    return Err(StartError::Check { flow: flow.id.clone(), stream: flow.stream.clone(), message });
                }
                format!("{code}: {message}")
            }
            Err(e @ (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_))) => {
                let io = match &e {
                    SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
                    _ => true,
                };
                let message = error_chain(&e);
                if !io {
                    // Credential providers fail here too (no credentials anywhere in the chain).
                    return Err(StartError::Check { flow: flow.id.clone(), stream: flow.stream.clone(), message });
                }
                message
            }
            Err(e) => {
                let message = error_chain(&e);
                return Err(StartError::Check { flow: flow.id.clone(), stream: flow.stream.clone(), message });
            }
        };
        tracing::warn!(flow = %flow.id, stream = %flow.stream, reason = %retry_reason, retry_in_ms = delay.as_millis() as u64,
            "cannot check the stream yet; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// The producer settings a flow implies. Where the Java agent has a matching key it applies:
/// maxBufferSizeRecords -> CollectionMaxCount, maxBufferSizeBytes -> CollectionMaxSize (at least
/// the producer's floor of 52224), retry backoffs, and the agent's `aggregation` switch.
/// maxBufferAgeMillis caps RecordMaxBufferedTime, which otherwise stays at the KPL's 100 ms: the
/// Java agent needed long buffers to fill its synchronous PutRecords calls; the producer fills
/// calls concurrently and needs no 60-second wait to do so.
pub fn producer_config(flow: &FlowConfig, max_buffered_bytes: usize) -> ProducerConfig {
    ProducerConfig::new()
        .aggregation_enabled(flow.aggregation)
        .collection_max_count(flow.max_buffer_records)
        .collection_max_size(flow.max_buffer_bytes.max(52_224))
        .record_max_buffered_time(flow.max_buffer_age.min(Duration::from_millis(100)))
        .retry_base_delay(flow.retry_initial_backoff.max(Duration::from_millis(1)))
        .retry_max_delay(flow.retry_max_backoff.max(flow.retry_initial_backoff))
        .max_buffered_bytes(max_buffered_bytes.max(2 * 1024 * 1024))
}

/// Builds `flow`'s producer on `client`.
pub async fn producer(
    client: &aws_sdk_kinesis::Client,
    flow: &FlowConfig,
    max_buffered_bytes: usize,
) -> Result<Producer, riffle_producer::BuildError> {
    Producer::builder().client(client.clone()).config(producer_config(flow, max_buffered_bytes)).build().await
}

/// The partition key of one record: RANDOM is the text of a random double in [0, 1e6) (at most
/// ~20 characters, within the 32 the record builder reserves), DETERMINISTIC the hex MD5 of the
/// data, so equal records land on one shard.
pub fn partition_key(option: PartitionKeyOption, data: &[u8]) -> String {
    match option {
        PartitionKeyOption::Random => format!("{}", rand::random::<f64>() * 1e6),
        PartitionKeyOption::Deterministic => md5_many::md5(data).iter().fold(String::with_capacity(32), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys() {
        let k = partition_key(PartitionKeyOption::Deterministic, b"hello");
        assert_eq!(k, "5d41402abc4b2a76b9719d911017c592");
        for _ in 0..1000 {
            let k = partition_key(PartitionKeyOption::Random, b"x");
            let v: f64 = k.parse().unwrap();
            assert!((0.0..1e6).contains(&v) && !k.is_empty() && k.len() <= 32, "{k}");
        }
    }
}
