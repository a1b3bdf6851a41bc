//! The consumer's metrics, named as the KCL names them, through the `metrics` facade: install
//! any recorder (Prometheus, StatsD, ...) and they appear there. Per-shard metrics carry a
//! `ShardId` label, worker-wide ones `WorkerIdentifier`.

use metrics::{counter, gauge};

/// Metric names.
pub mod names {
    pub const RECORDS_PROCESSED: &str = "RecordsProcessed";
    pub const DATA_BYTES_PROCESSED: &str = "DataBytesProcessed";
    pub const MILLIS_BEHIND_LATEST: &str = "MillisBehindLatest";
    pub const CURRENT_LEASES: &str = "CurrentLeases";
    pub const TAKEN_LEASES: &str = "TakenLeases";
    pub const STOLEN_LEASES: &str = "StolenLeases";
    pub const LOST_LEASES: &str = "LostLeases";
    pub const CREATED_LEASES: &str = "CreateLease";
    pub const CHECKPOINTS: &str = "UpdateLease";
    pub const EXPIRED_ITERATOR: &str = "ExpiredIterator";
    pub const THROTTLED: &str = "GetRecords.Throttled";
    pub const RETRIEVAL_ERRORS: &str = "GetRecords.Errors";
    pub const PROCESS_FAILURES: &str = "RecordProcessor.processRecords.Failures";
    pub const DEAD_LETTERED: &str = "DeadLetteredRecords";
    pub const STOPPED_SHARDS: &str = "StoppedShards";
}

use names::*;

pub(crate) fn processed(shard: &str, records: usize, bytes: usize) {
    counter!(RECORDS_PROCESSED, "ShardId" => shard.to_string()).increment(records as u64);
    counter!(DATA_BYTES_PROCESSED, "ShardId" => shard.to_string()).increment(bytes as u64);
}

pub(crate) fn millis_behind(shard: &str, millis: i64) {
    gauge!(MILLIS_BEHIND_LATEST, "ShardId" => shard.to_string()).set(millis as f64);
}

pub(crate) fn checkpoint_written(shard: &str) {
    counter!(CHECKPOINTS, "ShardId" => shard.to_string()).increment(1);
}

pub(crate) fn shard_event(name: &'static str, shard: &str) {
    counter!(name, "ShardId" => shard.to_string()).increment(1);
}

pub(crate) fn worker_count(name: &'static str, worker: &str, n: usize) {
    counter!(name, "WorkerIdentifier" => worker.to_string()).increment(n as u64);
}

pub(crate) fn current_leases(worker: &str, n: usize) {
    gauge!(CURRENT_LEASES, "WorkerIdentifier" => worker.to_string()).set(n as f64);
}
