//! Retention: trim horizons, dropped shards, and deleting segments that hold nothing visible.
//!
//! Trimming only moves a counter in memory; the bytes go when `reclaim` deletes a whole sealed
//! segment. Neither holds a lock across I/O nor involves the writer thread.

use crate::LogError;
use crate::error::io_err;
use crate::index::SegmentEntry;
use crate::segment;
use crate::shared::{Shared, Stats};
use riffle_types::ShardKey;

impl Shared {
    pub(crate) fn set_retention_cutoff(&self, shard: ShardKey, cutoff_ms: i64) {
        let trim = match self.index.read().shards.get(&shard) {
            Some(e) if !e.dropped => e.trim_counter,
            _ => return,
        };
        match self.locate(shard, cutoff_ms, trim) {
            Ok(first_kept) => {
                if let Some(e) = self.index.write().shards.get_mut(&shard) {
                    e.trim_counter = e.trim_counter.max(first_kept.min(e.next_counter));
                }
            }
            // Keeping data longer is the safe side of failing; the read that meets the bad
            // block will report it.
            Err(error) => tracing::warn!(shard = shard.0, %error, "retention cutoff not applied"),
        }
    }

    pub(crate) fn drop_shard(&self, shard: ShardKey) {
        if let Some(e) = self.index.write().shards.get_mut(&shard) {
            e.dropped = true;
            if let Some(w) = &e.watch {
                // Wake watchers so they notice the shard is gone.
                w.send_modify(|_| {});
            }
        }
    }

    pub(crate) fn reclaim(&self) -> Result<usize, LogError> {
        // Trim counters only advance and drops are final, so a segment found reclaimable under
        // the read lock is still reclaimable when we take the write lock to remove it.
        let ids = self.index.read().reclaimable();
        if ids.is_empty() {
            return Ok(0);
        }
        let removed: Vec<SegmentEntry> = {
            let mut idx = self.index.write();
            let mut cache = self.cache.lock();
            ids.iter()
                .filter_map(|&id| {
                    cache.remove(id);
                    idx.remove_segment(id)
                })
                .collect()
        };
        let mut first_error = None;
        for seg in &removed {
            // Readers still holding the handle keep reading the unlinked file.
            if let Err(e) = std::fs::remove_file(seg.path.as_path()) {
                first_error.get_or_insert(io_err(&seg.path, e));
            }
        }
        // A deletion lost in a crash only brings back invisible data; syncing is still tidier.
        segment::sync_dir(&self.dir)?;
        Stats::add(&self.stats.segments_deleted, removed.len() as u64);
        tracing::debug!(segments = removed.len(), "reclaimed segments");
        first_error.map_or(Ok(removed.len()), Err)
    }
}
