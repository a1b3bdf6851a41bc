//! The control plane of a fan-out run: the stream's ARN, and consumers registered (with a name
//! no other run uses) and waited for until ACTIVE, then deregistered so repeated runs stay under
//! the 20-consumers-per-stream limit.

use std::time::{Duration, Instant};

use crate::client::KinesisClient;
use crate::setup::{call_retrying, setup_err};
use crate::wire::{self, FanOp, Op};
use crate::{BenchError, CallError};

/// AWS takes some seconds to activate a consumer; emulators less.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// StreamARN of `stream`, via DescribeStreamSummary or, where unsupported, DescribeStream.
pub(crate) async fn stream_arn(client: &KinesisClient, stream: &str) -> Result<String, BenchError> {
    let body = wire::stream_name_body(stream);
    let arn = match call_retrying(client, Op::DescribeStreamSummary, body.clone()).await {
        Ok(b) => wire::stream_arn(Op::DescribeStreamSummary, &b),
        Err(e) if e.is_unsupported_operation() => {
            let b = call_retrying(client, Op::DescribeStream, body).await;
            b.and_then(|b| wire::stream_arn(Op::DescribeStream, &b))
        }
        Err(e) => Err(e),
    };
    arn.map_err(setup_err("DescribeStreamSummary", stream))
}

/// A consumer name no other run picks: the process id and random bits.
pub(crate) fn unique_name(role: &str) -> String {
    format!("riffle-bench-{role}-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// Registers consumer `name` on the stream and waits until it is ACTIVE; returns its ARN.
pub(crate) async fn register(
    client: &KinesisClient,
    stream: &str,
    stream_arn: &str,
    name: &str,
) -> Result<String, BenchError> {
    let body = wire::register_consumer_body(stream_arn, name);
    let registered = call_retrying(client, FanOp::RegisterStreamConsumer, body)
        .await
        .and_then(|b| wire::consumer(FanOp::RegisterStreamConsumer, &b))
        .map_err(setup_err("RegisterStreamConsumer", stream))?;
    let arn = registered.arn;
    let mut status = registered.status;
    let start = Instant::now();
    while status != "ACTIVE" {
        if start.elapsed() >= ACTIVE_TIMEOUT {
            return Err(BenchError::ConsumerNotActive {
                consumer: arn,
                waited_secs: start.elapsed().as_secs(),
                status,
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
        status = describe(client, &arn).await.map_err(setup_err("DescribeStreamConsumer", stream))?;
    }
    Ok(arn)
}

async fn describe(client: &KinesisClient, consumer_arn: &str) -> Result<String, CallError> {
    let body = wire::consumer_arn_body(consumer_arn);
    let b = call_retrying(client, FanOp::DescribeStreamConsumer, body).await?;
    Ok(wire::consumer(FanOp::DescribeStreamConsumer, &b)?.status)
}

/// Deregisters a consumer the run registered. Best effort: a failure leaves one consumer
/// behind on the stream, which is no reason to lose the run's results.
pub(crate) async fn deregister(client: &KinesisClient, consumer_arn: &str) {
    let body = wire::consumer_arn_body(consumer_arn);
    let _ = call_retrying(client, FanOp::DeregisterStreamConsumer, body).await;
}
