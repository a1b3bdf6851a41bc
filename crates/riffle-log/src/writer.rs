//! The single writer thread: group commit across every shard.
//!
//! One thread owns the active segment and the per-shard counters. It blocks for a request,
//! drains whatever else is already queued, and writes the lot as one frame (one block per
//! shard) with one `write`, then — under `Always` — one fsync for the whole group. Only then
//! does it publish the blocks to readers and answer every request. A failed write or fsync
//! poisons the log: we cannot know what reached the disk, so we stop rather than pretend.
//!
//! Under `Always` the fsync runs on a second thread, the syncer, so the writer can write the
//! next group while the previous one is being made durable: a group is published and answered
//! only once an fsync that began after its write has completed. Each fsync covers every group
//! written before it started, so fsyncs still never outnumber groups, and the writer's critical
//! path no longer includes the disk's flush latency.

use crate::error::io_copy;
use crate::format::{self, BlockInput, EncodedFrame, RecordRef};
use crate::index::{self, BlockRef, Published, SegmentEntry, ShardCounters};
use crate::segment;
use crate::shared::{Shared, Stats};
use crate::{AppendRecord, Appended, FsyncPolicy, LogError, LogOptions};
use riffle_types::ShardKey;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

/// A group stops draining the queue once it holds this many bytes.
const GROUP_BYTES: usize = 16 * 1024 * 1024;

pub(crate) type Reply = oneshot::Sender<Result<Vec<Appended>, LogError>>;

pub(crate) struct Request {
    pub records: Vec<AppendRecord>,
    /// Upper bound of the encoded size.
    pub size: usize,
    pub reply: Reply,
}

pub(crate) struct ActiveSegment {
    pub id: u64,
    pub file: Arc<File>,
    pub path: Arc<PathBuf>,
    pub len: u64,
}

/// A written group waiting for its fsync.
struct Pending {
    group: Vec<Request>,
    results: Vec<Vec<Appended>>,
    published: Vec<Published>,
    /// The active segment's length once this group was written.
    extent: u64,
    file: Arc<File>,
    path: Arc<PathBuf>,
}

enum SyncMsg {
    Pending(Pending),
    /// Answered once everything sent before it is synced and published (used before a roll).
    Barrier(std::sync::mpsc::Sender<()>),
}

pub(crate) struct Writer {
    shared: Arc<Shared>,
    /// The syncer's queue, under `Always`.
    syncer: Option<std::sync::mpsc::Sender<SyncMsg>>,
    syncer_thread: Option<JoinHandle<()>>,
    policy: FsyncPolicy,
    segment_bytes: u64,
    /// See [`crate::LogOptions::cached_segments`].
    cached_segments: Option<usize>,
    active: ActiveSegment,
    /// Counters handed out, which may run ahead of what readers see.
    counters: HashMap<ShardKey, ShardCounters>,
    /// When the oldest write not yet fsynced happened.
    unsynced_since: Option<Instant>,
}

impl Writer {
    pub fn new(
        shared: Arc<Shared>,
        opts: &LogOptions,
        active: ActiveSegment,
        counters: HashMap<ShardKey, ShardCounters>,
    ) -> Self {
        Self {
            shared,
            syncer: None,
            syncer_thread: None,
            policy: opts.fsync,
            segment_bytes: opts.segment_bytes,
            cached_segments: opts.cached_segments,
            active,
            counters,
            unsynced_since: None,
        }
    }

    pub fn spawn(mut self, rx: Receiver<Request>) -> std::io::Result<JoinHandle<()>> {
        if self.policy == FsyncPolicy::Always {
            let (tx, sync_rx) = std::sync::mpsc::channel();
            let shared = Arc::clone(&self.shared);
            let handle = std::thread::Builder::new()
                .name("riffle-log-sync".into())
                .spawn(move || run_syncer(&shared, &sync_rx))?;
            self.syncer = Some(tx);
            self.syncer_thread = Some(handle);
        }
        std::thread::Builder::new().name("riffle-log-writer".into()).spawn(move || self.run(&rx))
    }

    /// Runs until every sender is gone, then syncs what is left.
    fn run(mut self, rx: &Receiver<Request>) {
        while let Some(first) = self.next_request(rx) {
            let mut size = first.size;
            let mut group = vec![first];
            while size < GROUP_BYTES {
                let Ok(req) = rx.try_recv() else { break };
                size += req.size;
                group.push(req);
            }
            self.commit(group);
        }
        // Let the syncer finish what it holds before the final sync and exit.
        self.syncer = None;
        if let Some(t) = self.syncer_thread.take() {
            let _ = t.join();
        }
        if self.unsynced_since.is_some() && !self.shared.is_poisoned() {
            self.sync_or_poison();
        }
    }

    /// Blocks for the next request, waking under `Interval` to sync when the interval is up so
    /// an idle log still reaches the disk.
    fn next_request(&mut self, rx: &Receiver<Request>) -> Option<Request> {
        loop {
            let deadline = match (self.policy, self.unsynced_since) {
                (FsyncPolicy::Interval(d), Some(since)) if !self.shared.is_poisoned() => since + d,
                _ => return rx.recv().ok(),
            };
            let now = Instant::now();
            if deadline <= now {
                self.sync_or_poison();
                continue;
            }
            match rx.recv_timeout(deadline - now) {
                Ok(req) => return Some(req),
                Err(RecvTimeoutError::Timeout) => self.sync_or_poison(),
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn commit(&mut self, group: Vec<Request>) {
        if self.shared.is_poisoned() {
            for req in group {
                let _ = req.reply.send(Err(LogError::Poisoned));
            }
            return;
        }
        let (frame, results) = self.assign_and_encode(&group);
        let offset = self.active.len;
        if let Err(e) = self.write(&frame.bytes, offset) {
            return self.fail(group, "write", &e);
        }
        let base = offset + frame.body_start;
        let published: Vec<Published> = frame
            .blocks
            .iter()
            .map(|h| Published {
                shard: h.shard,
                block: BlockRef {
                    first_counter: h.first_counter,
                    offset: base + u64::from(h.body_offset),
                    first_arrival: h.first_arrival,
                    last_arrival: h.last_arrival,
                    count: h.count,
                    len: h.body_len,
                    crc: h.crc,
                },
            })
            .collect();
        let records: usize = results.iter().map(Vec::len).sum();
        Stats::add(&self.shared.stats.records, records as u64);
        if let Some(o) = &self.shared.observer {
            o.group(group.len(), records, frame.bytes.len());
        }
        let pending = Pending {
            group,
            results,
            published,
            extent: self.active.len,
            file: Arc::clone(&self.active.file),
            path: Arc::clone(&self.active.path),
        };
        match &self.syncer {
            // Always: durable, published and answered by the syncer.
            Some(syncer) => {
                if let Err(std::sync::mpsc::SendError(SyncMsg::Pending(p))) = syncer.send(SyncMsg::Pending(pending)) {
                    reply_err(p.group, || LogError::Closed);
                }
            }
            // Interval and Never: visible once written.
            None => finish(&self.shared, pending),
        }
        if self.active.len >= self.segment_bytes
            && let Err(e) = self.roll()
        {
            self.poison("segment roll", &e);
        }
    }

    /// Hands out counters and arrival times in request order and builds the frame.
    fn assign_and_encode(&mut self, group: &[Request]) -> (EncodedFrame, Vec<Vec<Appended>>) {
        let now = wall_clock_ms();
        let mut blocks: BTreeMap<ShardKey, BlockInput<'_>> = BTreeMap::new();
        let mut results = Vec::with_capacity(group.len());
        for req in group {
            let mut res = Vec::with_capacity(req.records.len());
            for rec in &req.records {
                let c = self.counters.entry(rec.shard).or_default();
                let counter = c.next;
                // Arrival never goes backwards within a shard, even if the clock does, so
                // `counter_at_timestamp` can binary-search.
                let arrival = now.max(c.last_arrival);
                c.next += 1;
                c.last_arrival = arrival;
                let block = blocks.entry(rec.shard).or_insert_with(|| BlockInput {
                    shard: rec.shard,
                    first_counter: counter,
                    records: Vec::new(),
                });
                block.records.push(RecordRef { arrival, partition_key: &rec.partition_key, data: &rec.data });
                res.push(Appended { counter, arrival_ms: arrival });
            }
            results.push(res);
        }
        let inputs: Vec<BlockInput<'_>> = blocks.into_values().collect();
        (format::encode_data_frame(&inputs), results)
    }

    fn write(&mut self, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        #[cfg(test)]
        self.shared.faults.before_write()?;
        self.active.file.write_all_at(bytes, offset)?;
        self.active.len += bytes.len() as u64;
        self.unsynced_since.get_or_insert_with(Instant::now);
        Stats::add(&self.shared.stats.frames, 1);
        Stats::add(&self.shared.stats.bytes_written, bytes.len() as u64);
        Ok(())
    }

    fn sync(&mut self) -> std::io::Result<()> {
        #[cfg(test)]
        self.shared.faults.before_sync()?;
        // fdatasync: the file's length is data for this purpose, so it is flushed too.
        let started = Instant::now();
        self.active.file.sync_data()?;
        if let Some(o) = &self.shared.observer {
            o.fsync(started.elapsed());
        }
        self.unsynced_since = None;
        Stats::add(&self.shared.stats.fsyncs, 1);
        Ok(())
    }

    fn sync_or_poison(&mut self) {
        if let Err(e) = self.sync() {
            self.poison("fsync", &io_copy(&self.active.path, &e));
        }
    }

    fn fail(&self, group: Vec<Request>, what: &str, e: &std::io::Error) {
        self.poison(what, &io_copy(&self.active.path, e));
        for req in group {
            let _ = req.reply.send(Err(io_copy(&self.active.path, e)));
        }
    }

    fn poison(&self, what: &str, error: &LogError) {
        self.shared.poisoned.store(true, Ordering::Release);
        tracing::error!(%error, "{what} failed; the log is poisoned and accepts no more writes");
    }

    /// Seals the active segment and starts the next with a checkpoint of every live shard.
    fn roll(&mut self) -> Result<(), LogError> {
        // Everything written so far must be synced and published before the segment is sealed.
        if let Some(syncer) = &self.syncer {
            let (tx, rx) = std::sync::mpsc::channel();
            if syncer.send(SyncMsg::Barrier(tx)).is_ok() {
                let _ = rx.recv();
            }
            if self.shared.is_poisoned() {
                return Err(LogError::Poisoned);
            }
            self.unsynced_since = None;
        }
        // Synced under every policy, so a crash can only ever tear the last segment — the one
        // recovery may truncate. Earlier segments must be whole or the log will not open.
        if self.unsynced_since.is_some() {
            self.sync().map_err(|e| io_copy(&self.active.path, &e))?;
        }
        let checkpoint = index::checkpoint_entries(&self.counters, &self.shared.index.read());
        let id = self.active.id + 1;
        let (file, path, len) = segment::create_segment(&self.shared.dir, id, &checkpoint, false)?;
        Stats::add(&self.shared.stats.segments_created, 1);
        Stats::add(&self.shared.stats.fsyncs, 2);
        let next = ActiveSegment { id, file: Arc::new(file), path: Arc::new(path), len };
        let entry =
            SegmentEntry { file: Arc::clone(&next.file), path: Arc::clone(&next.path), len, shards: Vec::new() };
        let leaving = {
            let mut idx = self.shared.index.write();
            let (sealed, blocks) = idx.activate(id, entry, Some(self.active.len));
            // Just written, so likely to be read soon: start it off in the cache.
            self.shared.cache.lock().insert(sealed, Arc::new(blocks));
            let old = self.cached_segments.and_then(|n| sealed.checked_sub(n as u64));
            old.and_then(|old| idx.segments.get(&old)).map(|s| (Arc::clone(&s.file), Arc::clone(&s.path)))
        };
        // Synced at its own roll, so its pages are clean and can go; outside the index lock,
        // which readers and every group's publishing wait on (dropping 128 MiB takes a while).
        if let Some((file, path)) = leaving {
            segment::leave_page_cache(&file, &path);
        }
        tracing::debug!(segment = id, "rolled to a new segment");
        self.active = next;
        Ok(())
    }
}

/// Publishes a durable group to readers and answers its requests.
fn finish(shared: &Shared, p: Pending) {
    shared.index.write().publish(&p.published, p.extent);
    for (req, res) in p.group.into_iter().zip(p.results) {
        // The caller may have stopped waiting; the records are stored all the same.
        let _ = req.reply.send(Ok(res));
    }
}

fn reply_err(group: Vec<Request>, err: impl Fn() -> LogError) {
    for req in group {
        let _ = req.reply.send(Err(err()));
    }
}

/// The syncer: takes every written group queued at the moment, fsyncs once, then publishes
/// and answers them in order.
fn run_syncer(shared: &Shared, rx: &Receiver<SyncMsg>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        let (mut pendings, mut barriers) = (Vec::new(), Vec::new());
        for m in batch {
            match m {
                SyncMsg::Pending(p) => pendings.push(p),
                SyncMsg::Barrier(b) => barriers.push(b),
            }
        }
        if let Some(last) = pendings.last() {
            let (file, path) = (Arc::clone(&last.file), Arc::clone(&last.path));
            if shared.is_poisoned() {
                pendings.into_iter().for_each(|p| reply_err(p.group, || LogError::Poisoned));
            } else {
                match sync_file(shared, &file) {
                    Ok(()) => pendings.into_iter().for_each(|p| finish(shared, p)),
                    Err(e) => {
                        shared.poisoned.store(true, Ordering::Release);
                        tracing::error!(error = %e, "fsync failed; the log is poisoned and accepts no more writes");
                        pendings.into_iter().for_each(|p| reply_err(p.group, || io_copy(&path, &e)));
                    }
                }
            }
        }
        for b in barriers {
            let _ = b.send(());
        }
    }
}

/// One fsync of the active segment, covering every group written before it started. Groups of
/// an earlier segment were synced by the roll that sealed it.
fn sync_file(shared: &Shared, file: &File) -> std::io::Result<()> {
    #[cfg(test)]
    shared.faults.before_sync()?;
    let started = Instant::now();
    file.sync_data()?;
    if let Some(o) = &shared.observer {
        o.fsync(started.elapsed());
    }
    Stats::add(&shared.stats.fsyncs, 1);
    Ok(())
}

pub(crate) fn wall_clock_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
