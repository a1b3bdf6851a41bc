//! What the log tells whoever watches it work — the server's metrics — without this crate
//! taking a metrics library: hooks called from the writer and syncer threads, and a snapshot of
//! disk usage taken on demand.

use riffle_types::ShardKey;
use std::time::Duration;

/// Called from the writer and syncer threads, once per group commit or fsync (never per
/// record), so an implementation must be cheap and must not block: record into atomics or a
/// lock-free histogram, nothing more.
pub trait LogObserver: Send + Sync + std::fmt::Debug {
    /// One fsync (fdatasync) of the active segment took `took`. Segment creation's own syncs
    /// are not reported.
    fn fsync(&self, took: Duration) {
        let _ = took;
    }

    /// One group commit was written: `requests` append calls holding `records` records, in
    /// one frame of `bytes` bytes.
    fn group(&self, requests: usize, records: usize, bytes: usize) {
        let _ = (requests, records, bytes);
    }
}

/// What the log holds on disk now ([`crate::Log::disk_usage`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// Segment files, the active one included.
    pub segments: usize,
    /// Their length in bytes (whole frames; the active segment as of its last publish).
    pub bytes: u64,
    /// Bytes of each live (not dropped) shard's blocks as stored, in segments not yet deleted —
    /// records past retention included until their segment is reclaimed. Frame headers and
    /// checkpoints belong to no shard, so these add up to a little less than `bytes`.
    pub shards: Vec<(ShardKey, u64)>,
}
