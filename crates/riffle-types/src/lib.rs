//! Riffle's domain vocabulary, shared by the wire layer, the log and the server.
//!
//! Everything here is pure: no I/O, no async. Values are validated on construction so that code
//! past the edge never re-checks them.

mod civil;
mod hash;
mod names;
mod seq;

pub use civil::{civil_from_days, days_from_civil};
pub use hash::{HashKey, HashKeyRange, partition_key_hash, partition_key_hashes, uniform_ranges};
pub use names::{NameError, ShardId, StreamName, is_valid_name};
pub use seq::{SeqError, SequenceNumber, ShardKey};

/// Limits of the Kinesis data plane that every layer agrees on.
pub mod limits {
    /// Largest PutRecords request, in records.
    pub const MAX_PUT_RECORDS: usize = 500;
    /// Largest PutRecords payload (data + partition keys), in bytes.
    pub const MAX_PUT_RECORDS_BYTES: usize = 5 * 1024 * 1024;
    /// Default per-record size limit (data + partition key), in bytes.
    pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;
    /// Largest number of records one GetRecords call returns.
    pub const MAX_GET_RECORDS: usize = 10_000;
    /// Largest GetRecords response payload, in bytes.
    pub const MAX_GET_RECORDS_BYTES: usize = 10 * 1024 * 1024;
    /// Shard iterators expire this long after they are issued.
    pub const ITERATOR_TTL_MS: i64 = 300_000;
    /// Retention bounds, in hours.
    pub const MIN_RETENTION_HOURS: u32 = 24;
    pub const MAX_RETENTION_HOURS: u32 = 8760;
}
