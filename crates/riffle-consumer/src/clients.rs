//! Clients from AWS's standard chain (environment, profile, web identity, container and
//! instance roles), so the same consumer runs against AWS and against `riffle serve`.

use crate::config::ConsumerConfig;
use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;

/// Kinesis and DynamoDB clients for `config`. Lease-table calls time out well within the
/// failover time, so one hung call cannot outlive a renewal period unnoticed.
pub(crate) async fn from_environment(config: &ConsumerConfig) -> (aws_sdk_kinesis::Client, aws_sdk_dynamodb::Client) {
    let (shared, region) = shared(config.region.as_deref()).await;
    let mut k = aws_sdk_kinesis::config::Builder::from(&shared).region(region.clone());
    let mut d = aws_sdk_dynamodb::config::Builder::from(&shared).region(region).timeout_config(
        TimeoutConfig::builder()
            .operation_attempt_timeout(config.renew_interval().max(std::time::Duration::from_secs(1)))
            .build(),
    );
    if let Some(url) = &config.endpoint_url {
        k = k.endpoint_url(url);
        d = d.endpoint_url(url);
    }
    (aws_sdk_kinesis::Client::from_conf(k.build()), aws_sdk_dynamodb::Client::from_conf(d.build()))
}

/// A Kinesis client alone (for [`crate::StreamReader`]), from the same chain.
pub async fn kinesis_client(endpoint_url: Option<&str>, region: Option<&str>) -> aws_sdk_kinesis::Client {
    let (shared, region) = shared(region).await;
    let mut k = aws_sdk_kinesis::config::Builder::from(&shared).region(region);
    if let Some(url) = endpoint_url {
        k = k.endpoint_url(url);
    }
    aws_sdk_kinesis::Client::from_conf(k.build())
}

async fn shared(region: Option<&str>) -> (aws_config::SdkConfig, aws_config::Region) {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_string()));
    }
    let shared = loader.load().await;
    // A local endpoint needs some region to sign with; any will do.
    let region = shared.region().cloned().unwrap_or_else(|| aws_config::Region::new("us-east-1"));
    (shared, region)
}
