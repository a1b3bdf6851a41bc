//! The in-memory map from (shard, counter) to bytes on disk.
//!
//! Memory must stay bounded as the log grows, so the index has two levels. Every (segment,
//! shard) pair costs one [`Span`]: which counters and arrival times of that shard the segment
//! holds. Block lists — where each block sits — are kept in full only for the active segment;
//! sealed segments' lists live in a small LRU [`BlockCache`] and are rebuilt from the frame
//! headers on a miss (see `segment::load_blocks`).

use crate::ShardState;
use crate::format::CheckpointEntry;
use riffle_types::ShardKey;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

/// Where one block of one shard sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockRef {
    pub first_counter: u64,
    /// Absolute file offset of the block body.
    pub offset: u64,
    pub first_arrival: i64,
    pub last_arrival: i64,
    pub count: u32,
    pub len: u32,
    pub crc: u32,
}

impl BlockRef {
    pub fn last_counter(&self) -> u64 {
        self.first_counter + u64::from(self.count) - 1
    }
}

/// One segment's blocks, per shard, in counter order.
pub(crate) type SegBlocks = HashMap<ShardKey, Vec<BlockRef>>;

/// What one segment holds of one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub seg: u64,
    pub first_counter: u64,
    pub last_counter: u64,
    pub first_arrival: i64,
    pub last_arrival: i64,
    /// Bytes of this shard's blocks in the segment (bodies as stored), for disk usage.
    pub bytes: u64,
}

/// A shard's counters as the writer tracks them (also what a checkpoint records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShardCounters {
    pub next: u64,
    pub last_arrival: i64,
}

impl Default for ShardCounters {
    fn default() -> Self {
        Self { next: 1, last_arrival: 0 }
    }
}

#[derive(Debug)]
pub(crate) struct ShardEntry {
    /// One past the last published record.
    pub next_counter: u64,
    /// First visible counter; only ever moves forward.
    pub trim_counter: u64,
    pub last_arrival: i64,
    pub dropped: bool,
    /// In segment order, which is also counter order.
    pub spans: Vec<Span>,
    /// Told the shard's next counter on every publish, once someone asked to watch it
    /// ([`crate::Log::watch_shard`]); absent (and free) otherwise.
    pub watch: Option<tokio::sync::watch::Sender<u64>>,
}

impl ShardEntry {
    fn new(c: ShardCounters) -> Self {
        Self {
            next_counter: c.next,
            trim_counter: c.next,
            last_arrival: c.last_arrival,
            dropped: false,
            spans: Vec::new(),
            watch: None,
        }
    }

    pub fn state(&self) -> ShardState {
        let trim = if self.dropped { self.next_counter } else { self.trim_counter };
        ShardState { trim_counter: trim, next_counter: self.next_counter, last_arrival_ms: self.last_arrival }
    }

    /// Index of the first span holding a counter >= `counter`.
    pub fn span_from(&self, counter: u64) -> usize {
        self.spans.partition_point(|s| s.last_counter < counter)
    }

    fn span_in(&self, seg: u64) -> Option<&Span> {
        self.spans.binary_search_by_key(&seg, |s| s.seg).ok().map(|i| &self.spans[i])
    }
}

/// A segment file as readers and reclaim see it.
#[derive(Debug, Clone)]
pub(crate) struct SegmentEntry {
    pub file: Arc<File>,
    pub path: Arc<PathBuf>,
    /// Bytes of whole frames; for the active segment, as of the last publish.
    pub len: u64,
    /// Shards with at least one block here.
    pub shards: Vec<ShardKey>,
}

/// A block the writer has made durable (under the policy) and now shows to readers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Published {
    pub shard: ShardKey,
    pub block: BlockRef,
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    pub shards: HashMap<ShardKey, ShardEntry>,
    pub segments: BTreeMap<u64, SegmentEntry>,
    pub active_id: u64,
    pub active_blocks: SegBlocks,
}

impl Index {
    pub fn shard_state(&self, shard: ShardKey) -> ShardState {
        self.shards
            .get(&shard)
            .map_or(ShardState { trim_counter: 1, next_counter: 1, last_arrival_ms: 0 }, ShardEntry::state)
    }

    /// Registers a shard's counters (from recovery), keeping the larger of old and new.
    pub fn note_counters(&mut self, shard: ShardKey, c: ShardCounters) {
        let e = self.shards.entry(shard).or_insert_with(|| ShardEntry::new(c));
        e.next_counter = e.next_counter.max(c.next);
        e.last_arrival = e.last_arrival.max(c.last_arrival);
    }

    /// Adds a segment found on disk at open. Its spans follow every earlier segment's.
    pub fn add_sealed(&mut self, id: u64, mut seg: SegmentEntry, blocks: &SegBlocks) {
        let mut shards: Vec<ShardKey> = blocks.keys().copied().collect();
        shards.sort_unstable();
        for &shard in &shards {
            let refs = &blocks[&shard];
            let (first, last) = (refs[0], refs[refs.len() - 1]);
            let e = self.shards.entry(shard).or_insert_with(|| ShardEntry::new(ShardCounters::default()));
            if e.spans.is_empty() {
                e.trim_counter = first.first_counter;
            }
            e.spans.push(Span {
                seg: id,
                first_counter: first.first_counter,
                last_counter: last.last_counter(),
                first_arrival: first.first_arrival,
                last_arrival: last.last_arrival,
                bytes: refs.iter().map(|b| u64::from(b.len)).sum(),
            });
            e.next_counter = e.next_counter.max(last.last_counter() + 1);
            e.last_arrival = e.last_arrival.max(last.last_arrival);
        }
        seg.shards = shards;
        self.segments.insert(id, seg);
    }

    /// Makes `seg` the active segment. Returns the previous active segment's blocks, which the
    /// caller moves into the cache now that it is sealed.
    pub fn activate(&mut self, id: u64, seg: SegmentEntry, sealed_len: Option<u64>) -> (u64, SegBlocks) {
        let old = (self.active_id, std::mem::take(&mut self.active_blocks));
        if let (Some(len), Some(prev)) = (sealed_len, self.segments.get_mut(&self.active_id)) {
            prev.len = len;
        }
        self.active_id = id;
        self.segments.insert(id, seg);
        old
    }

    /// Shows blocks just written to the active segment, which now holds `active_len` bytes.
    pub fn publish(&mut self, blocks: &[Published], active_len: u64) {
        let seg_id = self.active_id;
        let seg = self.segments.get_mut(&seg_id).expect("active segment is indexed");
        seg.len = active_len;
        for p in blocks {
            let b = p.block;
            let first = ShardCounters { next: b.first_counter, last_arrival: b.first_arrival };
            let e = self.shards.entry(p.shard).or_insert_with(|| ShardEntry::new(first));
            match e.spans.last_mut() {
                Some(s) if s.seg == seg_id => {
                    s.last_counter = b.last_counter();
                    s.last_arrival = b.last_arrival;
                    s.bytes += u64::from(b.len);
                }
                _ => {
                    e.spans.push(Span {
                        seg: seg_id,
                        first_counter: b.first_counter,
                        last_counter: b.last_counter(),
                        first_arrival: b.first_arrival,
                        last_arrival: b.last_arrival,
                        bytes: u64::from(b.len),
                    });
                    seg.shards.push(p.shard);
                }
            }
            e.next_counter = b.last_counter() + 1;
            e.last_arrival = b.last_arrival;
            // One wake-up per published block, and only for watched shards.
            if let Some(w) = &e.watch {
                w.send_replace(e.next_counter);
            }
            self.active_blocks.entry(p.shard).or_default().push(b);
        }
    }

    /// A receiver told the shard's next counter whenever new records are published (and when
    /// the shard is dropped).
    pub fn watch(&mut self, shard: ShardKey) -> tokio::sync::watch::Receiver<u64> {
        let e = self.shards.entry(shard).or_insert_with(|| ShardEntry::new(ShardCounters::default()));
        let next = e.next_counter;
        e.watch.get_or_insert_with(|| tokio::sync::watch::Sender::new(next)).subscribe()
    }

    pub fn is_dropped(&self, shard: ShardKey) -> bool {
        self.shards.get(&shard).is_some_and(|e| e.dropped)
    }

    /// Sealed segments that hold nothing visible: every block is a dropped shard's or below its
    /// shard's trim counter.
    pub fn reclaimable(&self) -> Vec<u64> {
        let visible = |id: u64, shard: &ShardKey| {
            self.shards
                .get(shard)
                .is_some_and(|e| !e.dropped && e.span_in(id).is_some_and(|s| s.last_counter >= e.trim_counter))
        };
        self.segments
            .iter()
            .filter(|&(&id, seg)| id != self.active_id && !seg.shards.iter().any(|s| visible(id, s)))
            .map(|(&id, _)| id)
            .collect()
    }

    /// Forgets a segment; returns its entry so the caller can delete the file.
    pub fn remove_segment(&mut self, id: u64) -> Option<SegmentEntry> {
        let seg = self.segments.remove(&id)?;
        for shard in &seg.shards {
            if let Some(e) = self.shards.get_mut(shard) {
                e.spans.retain(|s| s.seg != id);
            }
        }
        Some(seg)
    }
}

/// Converts the writer's counters to checkpoint entries, skipping dropped shards: once their
/// data is reclaimed a restart forgets them, which is how deleted streams leave the log.
pub(crate) fn checkpoint_entries(counters: &HashMap<ShardKey, ShardCounters>, index: &Index) -> Vec<CheckpointEntry> {
    let mut out: Vec<CheckpointEntry> = counters
        .iter()
        .filter(|(s, _)| !index.is_dropped(**s))
        .map(|(&shard, c)| CheckpointEntry { shard, next_counter: c.next, last_arrival: c.last_arrival })
        .collect();
    out.sort_unstable_by_key(|e| e.shard);
    out
}

/// LRU of sealed segments' block lists. Small (tens of entries): a linear scan is cheapest.
#[derive(Debug)]
pub(crate) struct BlockCache {
    capacity: usize,
    tick: u64,
    entries: Vec<(u64, Arc<SegBlocks>, u64)>,
}

impl BlockCache {
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), tick: 0, entries: Vec::new() }
    }

    pub fn get(&mut self, seg: u64) -> Option<Arc<SegBlocks>> {
        self.tick += 1;
        let e = self.entries.iter_mut().find(|e| e.0 == seg)?;
        e.2 = self.tick;
        Some(Arc::clone(&e.1))
    }

    pub fn insert(&mut self, seg: u64, blocks: Arc<SegBlocks>) {
        self.tick += 1;
        if let Some(e) = self.entries.iter_mut().find(|e| e.0 == seg) {
            *e = (seg, blocks, self.tick);
            return;
        }
        if self.entries.len() >= self.capacity
            && let Some(lru) = self.entries.iter().enumerate().min_by_key(|(_, e)| e.2).map(|(i, _)| i)
        {
            self.entries.swap_remove(lru);
        }
        self.entries.push((seg, blocks, self.tick));
    }

    pub fn remove(&mut self, seg: u64) {
        self.entries.retain(|e| e.0 != seg);
    }
}
