//! Poison records: a record the processor keeps failing on. The KCL logs and skips such a
//! batch, which users find out about later as missing data; here the policy is explicit — retry
//! a number of times, then either hand the record to a dead-letter sink and go on, or stop the
//! shard — and either way it is logged and counted, never silent.

use crate::record::Record;
use std::sync::Arc;
use std::time::Duration;

/// What to do with a record that failed `max_attempts` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoisonAction {
    /// Give it to the dead-letter sink and continue with the next record.
    DeadLetter,
    /// Stop processing the shard (the lease is kept, so no other worker picks the record up
    /// and fails the same way); an operator must intervene.
    StopShard,
}

/// Retry settings and the action after the last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoisonPolicy {
    /// Attempts per record, the first included (≥ 1).
    pub max_attempts: u32,
    /// Pause before each retry, doubling from this.
    pub retry_backoff: Duration,
    pub action: PoisonAction,
}

impl Default for PoisonPolicy {
    /// 3 attempts, 500 ms apart (the KCL's task backoff), then stop the shard.
    fn default() -> Self {
        Self { max_attempts: 3, retry_backoff: Duration::from_millis(500), action: PoisonAction::StopShard }
    }
}

/// A record given up on, with why.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub shard_id: String,
    pub record: Record,
    pub error: String,
    pub attempts: u32,
}

/// Receives dead letters (write them to a queue, a file, a table). Called on the shard's task:
/// keep it quick or hand off.
#[derive(Clone)]
pub struct DeadLetterSink(Arc<dyn Fn(DeadLetter) + Send + Sync>);

impl std::fmt::Debug for DeadLetterSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeadLetterSink")
    }
}

impl DeadLetterSink {
    pub fn new(f: impl Fn(DeadLetter) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Logs each dead letter at error level (the default sink).
    pub fn log() -> Self {
        Self::new(|d| {
            tracing::error!(shard = %d.shard_id, sequence = %d.record.sequence_number,
                sub = d.record.sub_sequence_number, attempts = d.attempts, error = %d.error,
                "record dead-lettered after repeated processing failures");
        })
    }

    pub(crate) fn send(&self, letter: DeadLetter) {
        (self.0)(letter)
    }
}
