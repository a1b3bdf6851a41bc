//! Reading one shard: polling (GetRecords) or enhanced fan-out (SubscribeToShard), behind one
//! [`Fetcher`]. Both retry what retrying fixes (throttling, expired iterators, dropped
//! connections) with backoff, internally, and report only what it does not; both report shard
//! end with the children Kinesis names.

mod fanout;
mod polling;

pub(crate) use fanout::{FanOut, ensure_consumer};
pub(crate) use polling::Polling;

use crate::error::KinesisError;
use aws_sdk_kinesis::types::{ChildShard, Record, ShardIteratorType};
use std::time::{Duration, SystemTime};

/// Where reading starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartAt {
    TrimHorizon,
    Latest,
    AtTimestamp(SystemTime),
    AtSequence(String),
    AfterSequence(String),
}

impl StartAt {
    fn iterator_type(&self) -> ShardIteratorType {
        match self {
            Self::TrimHorizon => ShardIteratorType::TrimHorizon,
            Self::Latest => ShardIteratorType::Latest,
            Self::AtTimestamp(_) => ShardIteratorType::AtTimestamp,
            Self::AtSequence(_) => ShardIteratorType::AtSequenceNumber,
            Self::AfterSequence(_) => ShardIteratorType::AfterSequenceNumber,
        }
    }

    fn sequence_number(&self) -> Option<String> {
        match self {
            Self::AtSequence(s) | Self::AfterSequence(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn timestamp(&self) -> Option<aws_sdk_kinesis::primitives::DateTime> {
        match self {
            Self::AtTimestamp(t) => Some((*t).into()),
            _ => None,
        }
    }
}

/// What one read returned.
#[derive(Debug, Default)]
pub(crate) struct RawBatch {
    pub records: Vec<Record>,
    pub millis_behind_latest: Option<i64>,
    /// `Some` once the shard is closed and drained: its children.
    pub shard_end: Option<Vec<ChildShard>>,
}

/// Reads one shard.
#[derive(Debug)]
pub(crate) enum Fetcher {
    Polling(Polling),
    /// Boxed: a live subscription is large, and a fetcher is moved into each shard's task.
    FanOut(Box<FanOut>),
}

impl Fetcher {
    /// The next batch; waits out throttling and idle time. Cancel-safe: dropping the future
    /// loses nothing not yet returned.
    pub async fn next(&mut self) -> Result<RawBatch, KinesisError> {
        match self {
            Self::Polling(p) => p.next().await,
            Self::FanOut(f) => f.next().await,
        }
    }
}

/// Exponential backoff with full jitter, capped.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max, attempt: 0 }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub async fn wait(&mut self) {
        let ceiling = self.base.saturating_mul(1 << self.attempt.min(16)).min(self.max);
        self.attempt += 1;
        let jittered = ceiling.mul_f64(0.5 + rand::random::<f64>() / 2.0);
        tokio::time::sleep(jittered).await;
    }
}
