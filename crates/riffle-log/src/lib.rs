//! Riffle's durable log: one group-committed journal that is also the data store.
//!
//! Knows nothing of HTTP or of streams: it stores records for opaque [`ShardKey`]s, assigns
//! each shard a strictly increasing counter (starting at 1), and acknowledges an append only
//! once it is durable under the configured [`FsyncPolicy`]. Readers see acknowledged records
//! only.
//!
//! A log is a directory of segment files (`00000000000000000001.seg`, ...). Each append batch
//! from every concurrent caller lands in one frame with one block per shard, written by a single
//! writer thread with one write and (under [`FsyncPolicy::Always`]) one fsync — so a PutRecords
//! touching 256 shards, or 50 concurrent PutRecords, cost one fsync. See `format.rs` for the
//! bytes, `writer.rs` for group commit, `recovery.rs` for what happens after a crash and
//! `retention.rs` for trimming and deleting old segments.
//!
//! Counters are never reused for a shard, even after its old segments are deleted: every new
//! segment opens with a checkpoint of all shards' next counters. (Under `Interval` and `Never`,
//! records acknowledged but lost in a crash are not on disk, so their counters may be handed out
//! again; that is part of what those policies trade away.)

mod error;
mod format;
mod index;
mod observer;
mod reader;
mod recovery;
mod retention;
mod segment;
mod shared;
mod writer;

#[cfg(test)]
mod tests;

pub use error::LogError;
pub use observer::{DiskUsage, LogObserver};

use bytes::Bytes;
use error::io_err;
use index::SegmentEntry;
use parking_lot::{Mutex, RwLock};
use riffle_types::ShardKey;
use shared::{Shared, Stats};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;
use writer::{ActiveSegment, Request, Writer};

/// Largest append request, in encoded bytes (about data + partition keys + 16 per record).
pub const MAX_APPEND_BYTES: usize = 1024 * 1024 * 1024;
/// Largest partition key the format stores.
pub const MAX_PARTITION_KEY_BYTES: usize = u16::MAX as usize;

/// When appended records reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// fsync before acknowledging; concurrent appends share one fsync (group commit).
    Always,
    /// Acknowledge after write(2); fsync at this interval.
    Interval(Duration),
    /// Never fsync; the OS writes back when it likes. (Segment creation is still synced, so a
    /// crash can tear only the newest segment and the log always reopens.)
    Never,
}

#[derive(Debug, Clone)]
pub struct LogOptions {
    pub fsync: FsyncPolicy,
    /// Roll to a new segment file once the active one reaches this size. Default 128 MiB.
    pub segment_bytes: u64,
    /// How many sealed segments' block lists stay in memory (LRU); the rest are rebuilt from
    /// their frame headers when read. Each costs about 48 bytes per block. Default 32.
    pub index_cache_segments: usize,
    /// How many of the newest sealed segments keep their pages in the OS page cache; older
    /// ones are dropped from it as they fall out of that window (`None`: all are left to the
    /// kernel). Default 2, with the active segment up to 384 MiB: enough for consumers
    /// at the tail, whose reads are the ones that must be fast, while a busy log does not
    /// fill the machine's memory with pages it will seldom read again — each a fresh page for
    /// the kernel to find, which on a VM whose memory the host backs lazily costs more than
    /// the copy itself (measured: two thirds of `riffle serve`'s CPU under a write-heavy
    /// load, once its page cache had grown by a few GiB). Consumers further behind read
    /// from disk, as they would once memory ran out.
    pub cached_segments: Option<usize>,
    /// Told of every group commit and fsync (for metrics). Default none.
    pub observer: Option<Arc<dyn LogObserver>>,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            fsync: FsyncPolicy::Always,
            segment_bytes: 128 * 1024 * 1024,
            index_cache_segments: 32,
            cached_segments: Some(2),
            observer: None,
        }
    }
}

/// One record to append.
#[derive(Debug, Clone)]
pub struct AppendRecord {
    pub shard: ShardKey,
    pub partition_key: Bytes,
    pub data: Bytes,
}

/// Where an appended record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub counter: u64,
    pub arrival_ms: i64,
}

/// A record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub counter: u64,
    pub arrival_ms: i64,
    pub partition_key: Bytes,
    pub data: Bytes,
}

#[derive(Debug, Clone, Default)]
pub struct ReadBatch {
    pub records: Vec<StoredRecord>,
    /// The counter to read from next (one past the last returned, or the start if none).
    pub next_counter: u64,
}

/// A shard's visible extent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShardState {
    /// First counter still retained (the trim horizon).
    pub trim_counter: u64,
    /// One past the last durable record.
    pub next_counter: u64,
    /// Arrival time of the last durable record (0 if none).
    pub last_arrival_ms: i64,
}

/// Counters since the log was opened, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogStats {
    /// Append requests accepted by the writer queue.
    pub appends: u64,
    /// Records acknowledged.
    pub records: u64,
    /// Data frames written (one per group commit).
    pub frames: u64,
    pub bytes_written: u64,
    /// fsync/fdatasync calls on segments and the directory.
    pub fsyncs: u64,
    pub segments_created: u64,
    pub segments_deleted: u64,
    /// Sealed segments' block lists rebuilt on a cache miss.
    pub block_list_loads: u64,
}

/// Handle to the log; cheap to clone. The writer stops (after a final sync) on
/// [`Log::shutdown`] or when the last handle is dropped.
#[derive(Clone)]
pub struct Log {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("dir", &self.handle.shared.dir).finish_non_exhaustive()
    }
}

/// Owns the writer thread; dropping the last one shuts the log down.
struct Handle {
    shared: Arc<Shared>,
    tx: RwLock<Option<mpsc::Sender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// Held (flock) while open so a second process cannot write the same directory.
    lock: Mutex<Option<File>>,
}

impl Handle {
    fn shutdown(&self) {
        // Dropping the sender lets the writer finish what is queued, sync, and exit.
        drop(self.tx.write().take());
        if let Some(writer) = self.writer.lock().take()
            && writer.join().is_err()
        {
            tracing::error!("the log writer thread panicked");
        }
        drop(self.lock.lock().take());
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Log {
    /// Opens (creating if missing) the log in `dir`, recovering what is on disk: a torn tail
    /// of the last segment is truncated; corruption anywhere else is refused. Starts a new
    /// segment for writing. Blocks for the recovery scan.
    pub fn open(dir: &Path, opts: LogOptions) -> Result<Log, LogError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let lock = lock_dir(dir)?;
        let rec = recovery::recover(dir, opts.index_cache_segments)?;
        let checkpoint = index::checkpoint_entries(&rec.counters, &rec.index);
        let (file, path, len) = segment::create_segment(dir, rec.next_segment, &checkpoint, rec.replace_last)?;
        let active = ActiveSegment { id: rec.next_segment, file: Arc::new(file), path: Arc::new(path), len };
        let mut index = rec.index;
        let entry =
            SegmentEntry { file: Arc::clone(&active.file), path: Arc::clone(&active.path), len, shards: Vec::new() };
        index.activate(active.id, entry, None);
        let shared = Arc::new(Shared::new(dir.to_path_buf(), index, rec.cache, opts.observer.clone()));
        Stats::add(&shared.stats.segments_created, 1);
        Stats::add(&shared.stats.fsyncs, 2);
        let (tx, rx) = mpsc::channel();
        let writer =
            Writer::new(Arc::clone(&shared), &opts, active, rec.counters).spawn(rx).map_err(|e| io_err(dir, e))?;
        let handle = Handle {
            shared,
            tx: RwLock::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            lock: Mutex::new(Some(lock)),
        };
        Ok(Log { handle: Arc::new(handle) })
    }

    /// Appends records and returns where each landed, in order, once they are durable under the
    /// fsync policy. Counters rise per shard in request order; concurrent requests are ordered
    /// by arrival at the writer. Dropping the future does not cancel the write.
    pub async fn append(&self, records: Vec<AppendRecord>) -> Result<Vec<Appended>, LogError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut size = 0usize;
        for r in &records {
            if r.partition_key.len() > MAX_PARTITION_KEY_BYTES {
                let reason =
                    format!("partition key of {} bytes exceeds {MAX_PARTITION_KEY_BYTES}", r.partition_key.len());
                return Err(LogError::InvalidAppend { reason });
            }
            size = size.saturating_add(format::record_size_bound(r.partition_key.len(), r.data.len()));
        }
        if size > MAX_APPEND_BYTES {
            return Err(LogError::InvalidAppend { reason: format!("{size} bytes exceeds {MAX_APPEND_BYTES}") });
        }
        if self.handle.shared.is_poisoned() {
            return Err(LogError::Poisoned);
        }
        let (reply, answer) = oneshot::channel();
        {
            let tx = self.handle.tx.read();
            let tx = tx.as_ref().ok_or(LogError::Closed)?;
            tx.send(Request { records, size, reply }).map_err(|_| LogError::Closed)?;
        }
        Stats::add(&self.handle.shared.stats.appends, 1);
        // A reply dropped unanswered means the writer is gone.
        answer.await.unwrap_or(Err(LogError::Closed))
    }

    /// Reads records with counter >= max(`from`, trim counter) in order, up to `max_records`
    /// and `max_bytes` (partition key + data; the first record is returned even if larger).
    /// Synchronous positional reads with no lock held during I/O; a bad checksum is
    /// [`LogError::Corrupt`], never data.
    pub fn read(
        &self,
        shard: ShardKey,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<ReadBatch, LogError> {
        self.handle.shared.read(shard, from, max_records, max_bytes)
    }

    /// The shard's visible extent; `{1, 1, 0}` for a shard never written. A dropped shard
    /// shows nothing: its trim counter equals its next counter.
    pub fn shard_state(&self, shard: ShardKey) -> ShardState {
        self.handle.shared.index.read().shard_state(shard)
    }

    /// The first retained counter whose arrival is at or after `ts_ms`, or the next counter if
    /// none. May read one block from disk; if that fails it answers conservatively (earlier)
    /// and the read that follows reports the error. See [`Log::try_counter_at_timestamp`].
    pub fn counter_at_timestamp(&self, shard: ShardKey, ts_ms: i64) -> u64 {
        self.try_counter_at_timestamp(shard, ts_ms).unwrap_or_else(|error| {
            tracing::warn!(shard = shard.0, %error, "counter_at_timestamp fell back to the trim counter");
            self.shard_state(shard).trim_counter
        })
    }

    /// [`Log::counter_at_timestamp`], reporting I/O errors and corruption.
    pub fn try_counter_at_timestamp(&self, shard: ShardKey, ts_ms: i64) -> Result<u64, LogError> {
        let trim = self.shard_state(shard).trim_counter;
        self.handle.shared.locate(shard, ts_ms, trim)
    }

    /// Hides the shard's records that arrived before `cutoff_ms` (the trim counter never moves
    /// back). Applies to records present now; not persisted — re-apply after opening.
    pub fn set_retention_cutoff(&self, shard: ShardKey, cutoff_ms: i64) {
        self.handle.shared.set_retention_cutoff(shard, cutoff_ms);
    }

    /// Watches a shard for new durable records: the receiver holds the shard's next counter
    /// and changes each time the writer publishes a block of it (one wake-up per group commit
    /// that touches the shard, none per record) or the shard is dropped. Await
    /// `changed()`/`wait_for` on it instead of polling [`Log::shard_state`]. Watching costs
    /// the writer nothing for shards nobody watches.
    pub fn watch_shard(&self, shard: ShardKey) -> tokio::sync::watch::Receiver<u64> {
        self.handle.shared.index.write().watch(shard)
    }

    /// Forgets a shard (its stream was deleted): its records become invisible and reclaimable.
    /// Not persisted — re-apply after opening. Do not append to a dropped key again.
    pub fn drop_shard(&self, shard: ShardKey) {
        self.handle.shared.drop_shard(shard);
    }

    /// Shard keys the log knows (from disk and from writes), excluding dropped ones, sorted.
    pub fn shards(&self) -> Vec<ShardKey> {
        let idx = self.handle.shared.index.read();
        // (A shard only watched, never written, holds nothing and is not listed.)
        let mut keys: Vec<ShardKey> = idx
            .shards
            .iter()
            .filter(|(_, e)| !e.dropped && (!e.spans.is_empty() || e.next_counter > 1))
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Deletes sealed segments holding nothing visible; returns how many. Does not block the
    /// writer; call it from a blocking-friendly context (it unlinks files).
    pub fn reclaim(&self) -> Result<usize, LogError> {
        self.handle.shared.reclaim()
    }

    pub fn stats(&self) -> LogStats {
        self.handle.shared.stats.snapshot()
    }

    /// Segments and bytes on disk now, in total and per live shard. Walks the index under its
    /// read lock (one entry per shard and segment), so it is for scrapes, not hot paths.
    pub fn disk_usage(&self) -> DiskUsage {
        let idx = self.handle.shared.index.read();
        let shards = idx
            .shards
            .iter()
            .filter(|(_, e)| !e.dropped && !e.spans.is_empty())
            .map(|(k, e)| (*k, e.spans.iter().map(|s| s.bytes).sum()))
            .collect();
        DiskUsage { segments: idx.segments.len(), bytes: idx.segments.values().map(|s| s.len).sum(), shards }
    }

    /// Stops the writer after it has written and synced everything queued. Later appends
    /// return [`LogError::Closed`]; reads keep working. Blocks until the writer has exited.
    pub fn shutdown(&self) {
        self.handle.shutdown();
    }
}

/// Takes an exclusive lock on `dir/LOCK`, released when the file is closed.
fn lock_dir(dir: &Path) -> Result<File, LogError> {
    let path = dir.join("LOCK");
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| io_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => {
            let e = std::io::Error::new(std::io::ErrorKind::WouldBlock, "the log directory is open elsewhere");
            Err(io_err(&path, e))
        }
        Err(TryLockError::Error(e)) => Err(io_err(&path, e)),
    }
}
