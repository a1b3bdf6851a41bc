//! The Kinesis client the producer sends with: the official SDK, with AWS's standard credential
//! chain (environment, profile, web identity, container and instance roles), so the same code
//! runs against AWS and against `riffle serve`.

use crate::config::ProducerConfig;
use aws_config::BehaviorVersion;
use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::config::timeout::TimeoutConfig;
use aws_sdk_kinesis::config::{Builder, Region};

/// Loads the SDK's shared configuration (credentials, region) from the standard chain.
pub(crate) async fn from_environment(cfg: &ProducerConfig) -> aws_sdk_kinesis::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &cfg.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let shared = loader.load().await;
    let mut b = Builder::from(&shared);
    if let Some(url) = &cfg.endpoint_url {
        b = b.endpoint_url(url);
        if shared.region().is_none() {
            // A local endpoint needs some region to sign with; any will do.
            b = b.region(Region::new("us-east-1"));
        }
    }
    aws_sdk_kinesis::Client::from_conf(tune(b, cfg).build())
}

/// Adopts a client the caller built, keeping its credentials and endpoint.
pub(crate) fn adopt(client: &aws_sdk_kinesis::Client, cfg: &ProducerConfig) -> aws_sdk_kinesis::Client {
    let mut b = client.config().to_builder();
    if let Some(url) = &cfg.endpoint_url {
        b = b.endpoint_url(url);
    }
    aws_sdk_kinesis::Client::from_conf(tune(b, cfg).build())
}

/// The SDK retries whole calls, which would resend entries already written and hide attempts
/// from the record's outcome: the pipeline retries instead, entry by entry. Timeouts are the
/// KPL's ConnectTimeout and RequestTimeout.
fn tune(b: Builder, cfg: &ProducerConfig) -> Builder {
    b.retry_config(RetryConfig::disabled()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(cfg.connect_timeout)
            .operation_attempt_timeout(cfg.request_timeout)
            .operation_timeout(cfg.request_timeout)
            .build(),
    )
}
