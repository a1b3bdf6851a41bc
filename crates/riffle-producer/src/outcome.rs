//! What happens to each user record: its outcome, its attempts, and the future that carries
//! them to the caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;

/// One PutRecords attempt that carried the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Time from the record's arrival (first attempt) or the previous attempt's end to this
    /// attempt's start: buffering, backoff and rate limiting together.
    pub delay: Duration,
    /// How long the PutRecords call took.
    pub duration: Duration,
    pub success: bool,
    /// The error Kinesis (or the transport) gave, when the attempt failed.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A record written to the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome {
    pub shard_id: Arc<str>,
    pub sequence_number: Arc<str>,
    /// The record's index inside its aggregate; 0 when it was sent alone.
    pub sub_sequence_number: u64,
    /// Whether it travelled inside a KPL aggregate.
    pub aggregated: bool,
    pub attempts: Vec<Attempt>,
}

/// Why a record was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailureKind {
    #[error("expired: not written within RecordTtl ({} ms){}", ttl.as_millis(), suffix(.last_error))]
    Expired { ttl: Duration, last_error: Option<String> },
    #[error("throttled and FailIfThrottled is set: {message}")]
    Throttled { message: String },
    #[error("refused by Kinesis, not retryable: {code}: {message}")]
    Rejected { code: String, message: String },
    #[error("the producer shut down before the record was written{}", suffix(.last_error))]
    ShutDown { last_error: Option<String> },
}

fn suffix(e: &Option<String>) -> String {
    e.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default()
}

/// A record that failed for good, with every attempt made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record not written after {} attempt(s): {kind}", attempts.len())]
pub struct RecordError {
    pub kind: FailureKind,
    pub attempts: Vec<Attempt>,
}

pub type RecordResult = Result<RecordOutcome, RecordError>;

/// The outcome of one `put`, delivered once the record is written or has failed for good.
///
/// Await it, hand it to [`RecordFuture::on_complete`], or drop it: the record is sent either
/// way, and a dropped future costs nothing.
#[derive(Debug)]
#[must_use = "dropping the future is fire-and-forget; await it or attach a callback to learn the outcome"]
pub struct RecordFuture {
    rx: oneshot::Receiver<RecordResult>,
}

impl RecordFuture {
    pub(crate) fn new(rx: oneshot::Receiver<RecordResult>) -> Self {
        Self { rx }
    }

    /// Calls `f` with the outcome, from a task on the current Tokio runtime.
    pub fn on_complete<F>(self, f: F)
    where
        F: FnOnce(RecordResult) + Send + 'static,
    {
        tokio::spawn(async move { f(self.await) });
    }
}

impl Future for RecordFuture {
    type Output = RecordResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RecordResult> {
        Pin::new(&mut self.rx).poll(cx).map(|r| {
            // The pipeline answers every record it takes; a dropped sender means its task died.
            r.unwrap_or_else(|_| {
                Err(RecordError {
                    kind: FailureKind::ShutDown { last_error: Some("the producer's task ended".into()) },
                    attempts: Vec::new(),
                })
            })
        })
    }
}
