//! GetRecords in a loop (kinesis-spec §5.6): idle pause after an empty read, backoff on
//! throttling and transient errors, a fresh iterator after the last record read when an
//! iterator expires.

use super::{Backoff, RawBatch, StartAt};
use crate::error::{KinesisError, boxed};
use crate::metrics::{self, names};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::ProvideErrorMetadata;
use std::time::Duration;

/// A GetRecords call that has not answered by then is abandoned and retried with the same
/// iterator: a hung connection must not stall the shard (or hide behind the SDK's defaults,
/// which set no overall timeout).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub(crate) struct Polling {
    client: Client,
    stream: String,
    shard: String,
    start: StartAt,
    iterator: Option<String>,
    max_records: i32,
    idle: Duration,
    /// Pause before the next read (the last one was empty).
    idle_next: bool,
    backoff: Backoff,
}

/// Errors no retry will fix: the stream or shard is gone, or we may not read it.
fn fatal(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ResourceNotFoundException" | "AccessDeniedException" | "InvalidArgumentException" | "ValidationException"
        )
    )
}

impl Polling {
    pub fn new(client: Client, stream: &str, shard: &str, start: StartAt, max_records: i32, idle: Duration) -> Self {
        Self {
            client,
            stream: stream.to_string(),
            shard: shard.to_string(),
            start,
            iterator: None,
            max_records,
            idle,
            idle_next: false,
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(5)),
        }
    }

    pub async fn next(&mut self) -> Result<RawBatch, KinesisError> {
        if std::mem::take(&mut self.idle_next) {
            tokio::time::sleep(self.idle).await;
        }
        loop {
            let iterator = match &self.iterator {
                Some(it) => it.clone(),
                None => match self.fresh_iterator().await? {
                    Some(it) => it,
                    None => continue,
                },
            };
            let call = self.client.get_records().shard_iterator(&iterator).limit(self.max_records).send();
            let Ok(out) = tokio::time::timeout(CALL_TIMEOUT, call).await else {
                metrics::shard_event(names::RETRIEVAL_ERRORS, &self.shard);
                tracing::warn!(shard = %self.shard, timeout = ?CALL_TIMEOUT, "GetRecords did not answer; retrying");
                self.backoff.wait().await;
                continue;
            };
            match out {
                Ok(out) => {
                    self.backoff.reset();
                    if let Some(last) = out.records().last() {
                        self.start = StartAt::AfterSequence(last.sequence_number().to_string());
                    }
                    self.iterator = out.next_shard_iterator().map(str::to_string);
                    let shard_end = self.iterator.is_none().then(|| out.child_shards().to_vec());
                    let millis_behind_latest = out.millis_behind_latest();
                    let records = out.records;
                    self.idle_next = records.is_empty() && shard_end.is_none();
                    return Ok(RawBatch { records, millis_behind_latest, shard_end });
                }
                Err(e) => match e.code() {
                    Some("ExpiredIteratorException") => {
                        metrics::shard_event(names::EXPIRED_ITERATOR, &self.shard);
                        self.iterator = None;
                    }
                    Some("ProvisionedThroughputExceededException" | "LimitExceededException") => {
                        metrics::shard_event(names::THROTTLED, &self.shard);
                        self.backoff.wait().await;
                    }
                    code if fatal(code) => return Err(KinesisError { op: "GetRecords", source: boxed(e) }),
                    _ => {
                        metrics::shard_event(names::RETRIEVAL_ERRORS, &self.shard);
                        tracing::warn!(shard = %self.shard, error = %aws_sdk_kinesis::error::DisplayErrorContext(&e), "GetRecords failed; retrying");
                        self.backoff.wait().await;
                    }
                },
            }
        }
    }

    /// A new iterator at the current position; `None` after a transient failure (retry).
    async fn fresh_iterator(&mut self) -> Result<Option<String>, KinesisError> {
        let out = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(&self.shard)
            .shard_iterator_type(self.start.iterator_type())
            .set_starting_sequence_number(self.start.sequence_number())
            .set_timestamp(self.start.timestamp())
            .send()
            .await;
        match out {
            Ok(out) => {
                self.iterator = out.shard_iterator().map(str::to_string);
                Ok(self.iterator.clone())
            }
            Err(e) if fatal(e.code()) => Err(KinesisError { op: "GetShardIterator", source: boxed(e) }),
            Err(e) => {
                metrics::shard_event(names::RETRIEVAL_ERRORS, &self.shard);
                tracing::warn!(shard = %self.shard, error = %aws_sdk_kinesis::error::DisplayErrorContext(&e), "GetShardIterator failed; retrying");
                self.backoff.wait().await;
                Ok(None)
            }
        }
    }
}
