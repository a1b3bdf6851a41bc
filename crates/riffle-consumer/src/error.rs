//! Errors, one type per caller: the lease table's, the checkpointer's (what a processor sees),
//! retrieval's, and the worker's.

use std::error::Error as StdError;

type Source = Box<dyn StdError + Send + Sync + 'static>;

/// A lease-table call that did not happen as asked.
#[derive(Debug, thiserror::Error)]
pub enum LeaseTableError {
    /// The conditional write found a different `leaseCounter` (or owner): someone else wrote
    /// the lease since we last saw it.
    #[error("lease {0} changed under us (conditional check failed)")]
    ConditionFailed(String),
    #[error("DynamoDB {op} on lease table failed")]
    Dynamo {
        op: &'static str,
        #[source]
        source: Source,
    },
    #[error("lease item is malformed: {0}")]
    Malformed(String),
    #[error("lease table {0} did not become ACTIVE")]
    NotActive(String),
}

/// Why a checkpoint was not written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The worker no longer holds the lease (taken, stolen, expired or released): the write was
    /// fenced by `leaseCounter`. Stop processing this shard; another worker now owns it. (The
    /// KCL's `ShutdownException`.)
    #[error("lease for shard {0} is no longer held by this worker")]
    LeaseLost(String),
    /// The position is behind the last checkpoint or beyond the records delivered so far. (The
    /// KCL's `IllegalArgumentException`.)
    #[error("checkpoint {requested} is outside [{last}, {largest}]")]
    OutOfRange { requested: String, last: String, largest: String },
    /// The lease table could not be reached; the checkpoint may be retried.
    #[error(transparent)]
    Table(LeaseTableError),
}

/// A Kinesis call failed in a way retrying will not fix.
#[derive(Debug, thiserror::Error)]
#[error("Kinesis {op} failed")]
pub struct KinesisError {
    pub op: &'static str,
    #[source]
    pub source: Source,
}

/// Why a worker could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    LeaseTable(#[from] LeaseTableError),
    #[error(transparent)]
    Kinesis(#[from] KinesisError),
    #[error("invalid consumer configuration: {0}")]
    Config(String),
    #[error("enhanced fan-out consumer {0} did not become ACTIVE")]
    ConsumerNotActive(String),
}

/// What a processor returns when it could not handle a record: the index (within the batch it
/// was given) of the first record it did not handle, and why. Records before that index count as
/// handled; the worker retries from it and applies the poison-record policy to it.
#[derive(Debug, thiserror::Error)]
#[error("processing failed at record {record}: {source}")]
pub struct ProcessError {
    pub record: usize,
    #[source]
    pub source: Source,
}

impl ProcessError {
    pub fn at(record: usize, source: impl Into<Source>) -> Self {
        Self { record, source: source.into() }
    }
}

/// Boxes an SDK error as a source, keeping its full context in `Display` chains.
pub(crate) fn boxed<E: StdError + Send + Sync + 'static>(e: E) -> Source {
    Box::new(e)
}
