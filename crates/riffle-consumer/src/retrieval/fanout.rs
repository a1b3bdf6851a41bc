//! Enhanced fan-out (kinesis-spec §5.6): the consumer is registered once (if missing) and each
//! leased shard holds one SubscribeToShard; when a subscription ends (every five minutes, or on
//! a dropped connection) it is renewed from the last continuation sequence number.

use super::{Backoff, RawBatch, StartAt};
use crate::error::{KinesisError, WorkerError, boxed};
use crate::metrics::{self, names};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::operation::subscribe_to_shard::SubscribeToShardOutput;
use aws_sdk_kinesis::types::{ConsumerStatus, StartingPosition, SubscribeToShardEventStream};
use std::time::Duration;

/// Registers `name` on the stream unless it exists, waits until it is ACTIVE; its ARN.
pub(crate) async fn ensure_consumer(client: &Client, stream: &str, name: &str) -> Result<String, WorkerError> {
    let summary = client.describe_stream_summary().stream_name(stream).send().await;
    let summary = summary.map_err(|e| KinesisError { op: "DescribeStreamSummary", source: boxed(e) })?;
    let stream_arn = summary.stream_description_summary().map(|d| d.stream_arn().to_string()).unwrap_or_default();
    for _ in 0..60 {
        let described = client.describe_stream_consumer().stream_arn(&stream_arn).consumer_name(name).send().await;
        match described {
            Ok(d) => {
                if let Some(c) = d.consumer_description()
                    && c.consumer_status() == &ConsumerStatus::Active
                {
                    return Ok(c.consumer_arn().to_string());
                }
            }
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                let reg = client.register_stream_consumer().stream_arn(&stream_arn).consumer_name(name).send().await;
                match reg {
                    Ok(_) => {}
                    Err(e) if e.code() == Some("ResourceInUseException") => {}
                    Err(e) => return Err(KinesisError { op: "RegisterStreamConsumer", source: boxed(e) }.into()),
                }
            }
            Err(e) => return Err(KinesisError { op: "DescribeStreamConsumer", source: boxed(e) }.into()),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(WorkerError::ConsumerNotActive(name.to_string()))
}

#[derive(Debug)]
pub(crate) struct FanOut {
    client: Client,
    consumer_arn: String,
    shard: String,
    start: StartAt,
    subscription: Option<SubscribeToShardOutput>,
    backoff: Backoff,
}

impl FanOut {
    pub fn new(client: Client, consumer_arn: &str, shard: &str, start: StartAt) -> Self {
        Self {
            client,
            consumer_arn: consumer_arn.to_string(),
            shard: shard.to_string(),
            start,
            subscription: None,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
        }
    }

    fn position(&self) -> StartingPosition {
        StartingPosition::builder()
            .r#type(self.start.iterator_type())
            .set_sequence_number(self.start.sequence_number())
            .set_timestamp(self.start.timestamp())
            .build()
            .expect("type is set")
    }

    pub async fn next(&mut self) -> Result<RawBatch, KinesisError> {
        loop {
            let Some(sub) = self.subscription.as_mut() else {
                let out = self
                    .client
                    .subscribe_to_shard()
                    .consumer_arn(&self.consumer_arn)
                    .shard_id(&self.shard)
                    .starting_position(self.position())
                    .send()
                    .await;
                match out {
                    Ok(out) => self.subscription = Some(out),
                    Err(e) if matches!(e.code(), Some("ResourceNotFoundException" | "AccessDeniedException")) => {
                        return Err(KinesisError { op: "SubscribeToShard", source: boxed(e) });
                    }
                    Err(e) => {
                        // ResourceInUse (the previous owner's subscription is still live),
                        // LimitExceeded (one subscribe per second), or the network.
                        metrics::shard_event(names::RETRIEVAL_ERRORS, &self.shard);
                        tracing::debug!(shard = %self.shard, error = %aws_sdk_kinesis::error::DisplayErrorContext(&e), "SubscribeToShard failed; retrying");
                        self.backoff.wait().await;
                    }
                }
                continue;
            };
            match sub.event_stream.recv().await {
                Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(ev))) => {
                    self.backoff.reset();
                    // The closing event of a drained shard has no continuation.
                    let shard_end = match Some(ev.continuation_sequence_number()).filter(|c| !c.is_empty()) {
                        Some(c) => {
                            self.start = StartAt::AfterSequence(c.to_string());
                            None
                        }
                        None => {
                            self.subscription = None;
                            Some(ev.child_shards().to_vec())
                        }
                    };
                    return Ok(RawBatch {
                        millis_behind_latest: Some(ev.millis_behind_latest),
                        records: ev.records,
                        shard_end,
                    });
                }
                Ok(Some(other)) => {
                    tracing::debug!(shard = %self.shard, event = ?other, "ignoring unknown fan-out event");
                }
                Ok(None) => self.subscription = None,
                Err(e) => {
                    metrics::shard_event(names::RETRIEVAL_ERRORS, &self.shard);
                    tracing::debug!(shard = %self.shard, error = %aws_sdk_kinesis::error::DisplayErrorContext(&e), "fan-out subscription broke; resubscribing");
                    self.subscription = None;
                    self.backoff.wait().await;
                }
            }
        }
    }
}
