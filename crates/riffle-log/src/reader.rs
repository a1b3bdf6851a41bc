//! The read path: find blocks through the index, then `pread` them with no lock held.
//!
//! Every lookup copies what it needs (a few block refs and an `Arc<File>`) out of the index
//! under a read lock and drops the lock before touching the disk, so readers run alongside the
//! writer and each other. A file deleted by reclaim meanwhile stays readable through its handle.

use crate::error::{corrupt, io_err};
use crate::format::{self, BlockInfo};
use crate::index::{BlockRef, Index, SegBlocks, SegmentEntry};
use crate::segment;
use crate::shared::{Shared, Stats};
use crate::{LogError, ReadBatch, StoredRecord};
use bytes::Bytes;
use riffle_types::ShardKey;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Block refs copied out of the index per lookup, so a small read of a long active segment does
/// not clone its whole block list under the lock.
const REFS_PER_LOOKUP: usize = 64;

/// What a closure run under the index lock decided.
pub(crate) enum Step<R> {
    Done(R),
    /// It needs the block list of this sealed segment, which is not cached.
    Miss(u64),
}

/// A sealed segment's block list loaded by the previous attempt, offered to the next one so a
/// cache that evicts it at once cannot stall progress.
pub(crate) type Loaded = Option<(u64, Arc<SegBlocks>)>;

/// Blocks of one segment to read for a shard.
struct Piece {
    file: Arc<File>,
    path: Arc<PathBuf>,
    refs: Vec<BlockRef>,
    /// The last counter these refs cover for this segment; reading resumes after it.
    covered_until: u64,
}

/// Lookup for `locate`.
enum Found {
    Counter(u64),
    /// The answer is inside this block.
    Block(Arc<File>, Arc<PathBuf>, BlockRef),
}

impl Shared {
    /// Runs `f` under the index read lock; on a cache miss loads the block list without the
    /// lock and runs `f` again.
    pub(crate) fn with_index<R>(&self, mut f: impl FnMut(&Index, &Loaded) -> Step<R>) -> Result<R, LogError> {
        let mut loaded: Loaded = None;
        loop {
            let (seg, entry) = {
                let idx = self.index.read();
                match f(&idx, &loaded) {
                    Step::Done(r) => return Ok(r),
                    Step::Miss(seg) => (seg, idx.segments.get(&seg).cloned()),
                }
            };
            // A missing entry means reclaim removed the segment; the retry will not ask again.
            loaded = match entry {
                Some(entry) => Some((seg, self.load_block_list(seg, &entry)?)),
                None => None,
            };
        }
    }

    fn load_block_list(&self, seg: u64, entry: &SegmentEntry) -> Result<Arc<SegBlocks>, LogError> {
        Stats::add(&self.stats.block_list_loads, 1);
        let blocks = Arc::new(segment::load_blocks(&entry.file, &entry.path, entry.len)?);
        self.cache.lock().insert(seg, Arc::clone(&blocks));
        Ok(blocks)
    }

    /// Calls `f` with `shard`'s blocks in segment `seg`, or returns `None` on a cache miss.
    pub(crate) fn with_blocks<R>(
        &self,
        idx: &Index,
        loaded: &Loaded,
        seg: u64,
        shard: ShardKey,
        f: impl FnOnce(&[BlockRef]) -> R,
    ) -> Option<R> {
        fn of(blocks: &SegBlocks, shard: ShardKey) -> &[BlockRef] {
            blocks.get(&shard).map_or(&[][..], Vec::as_slice)
        }
        if seg == idx.active_id {
            return Some(f(of(&idx.active_blocks, shard)));
        }
        if let Some((id, blocks)) = loaded
            && *id == seg
        {
            return Some(f(of(blocks, shard)));
        }
        let blocks = self.cache.lock().get(seg)?;
        Some(f(of(&blocks, shard)))
    }

    pub(crate) fn read(
        &self,
        shard: ShardKey,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<ReadBatch, LogError> {
        let mut cursor = from.max(self.index.read().shard_state(shard).trim_counter);
        let mut records: Vec<StoredRecord> = Vec::new();
        let mut bytes = 0usize;
        while records.len() < max_records {
            let Some(piece) = self.with_index(|idx, loaded| self.piece_at(idx, loaded, shard, cursor))? else {
                break;
            };
            for b in &piece.refs {
                for rec in read_block(&piece.file, &piece.path, b)? {
                    if rec.counter < cursor {
                        continue;
                    }
                    let size = rec.partition_key.len() + rec.data.len();
                    // The first record goes out whatever its size, or a big one would block the shard.
                    if records.len() >= max_records || (!records.is_empty() && bytes + size > max_bytes) {
                        return Ok(ReadBatch { records, next_counter: cursor });
                    }
                    bytes += size;
                    cursor = rec.counter + 1;
                    records.push(rec);
                }
            }
            cursor = cursor.max(piece.covered_until + 1);
        }
        Ok(ReadBatch { records, next_counter: cursor })
    }

    fn piece_at(&self, idx: &Index, loaded: &Loaded, shard: ShardKey, cursor: u64) -> Step<Option<Piece>> {
        let Some(e) = idx.shards.get(&shard).filter(|e| !e.dropped) else {
            return Step::Done(None);
        };
        let Some(span) = e.spans.get(e.span_from(cursor)) else {
            return Step::Done(None);
        };
        let refs = self.with_blocks(idx, loaded, span.seg, shard, |refs| {
            let refs = &refs[refs.partition_point(|b| b.last_counter() < cursor)..];
            let taken: Vec<BlockRef> = refs.iter().take(REFS_PER_LOOKUP).copied().collect();
            let covered_until = match taken.last() {
                Some(last) if refs.len() > taken.len() => last.last_counter(),
                _ => span.last_counter,
            };
            (taken, covered_until)
        });
        let Some((refs, covered_until)) = refs else {
            return Step::Miss(span.seg);
        };
        let seg = &idx.segments[&span.seg];
        Step::Done(Some(Piece { file: Arc::clone(&seg.file), path: Arc::clone(&seg.path), refs, covered_until }))
    }

    /// The first counter >= `from` whose arrival is >= `ts`, or the shard's next counter.
    pub(crate) fn locate(&self, shard: ShardKey, ts: i64, from: u64) -> Result<u64, LogError> {
        let found = self.with_index(|idx, loaded| {
            let Some(e) = idx.shards.get(&shard) else {
                return Step::Done(Found::Counter(1));
            };
            if e.dropped {
                return Step::Done(Found::Counter(e.next_counter));
            }
            // Counters and arrivals both rise along the spans, so both searches are binary.
            let i = e.span_from(from).max(e.spans.partition_point(|s| s.last_arrival < ts));
            let Some(span) = e.spans.get(i) else {
                return Step::Done(Found::Counter(e.next_counter));
            };
            if span.first_arrival >= ts {
                return Step::Done(Found::Counter(span.first_counter.max(from)));
            }
            let block = self.with_blocks(idx, loaded, span.seg, shard, |refs| {
                let j = refs.partition_point(|b| b.last_counter() < from);
                refs.get(j.max(refs.partition_point(|b| b.last_arrival < ts))).copied()
            });
            match block {
                None => Step::Miss(span.seg),
                Some(None) => Step::Done(Found::Counter(span.last_counter + 1)),
                Some(Some(b)) if b.first_arrival >= ts => Step::Done(Found::Counter(b.first_counter.max(from))),
                Some(Some(b)) => {
                    let seg = &idx.segments[&span.seg];
                    Step::Done(Found::Block(Arc::clone(&seg.file), Arc::clone(&seg.path), b))
                }
            }
        })?;
        match found {
            Found::Counter(c) => Ok(c),
            Found::Block(file, path, b) => {
                let recs = read_block(&file, &path, &b)?;
                let hit = recs.iter().find(|r| r.counter >= from && r.arrival_ms >= ts);
                Ok(hit.map_or(b.last_counter() + 1, |r| r.counter))
            }
        }
    }
}

/// Reads, verifies and decodes one block. A CRC mismatch is corruption, never data.
pub(crate) fn read_block(file: &File, path: &Path, b: &BlockRef) -> Result<Vec<StoredRecord>, LogError> {
    let mut buf = vec![0u8; b.len as usize];
    file.read_exact_at(&mut buf, b.offset).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            corrupt(path, b.offset, "block extends past the end of the file")
        } else {
            io_err(path, e)
        }
    })?;
    format::verify_block(&buf, b.crc).map_err(|e| corrupt(path, b.offset, e))?;
    let info = BlockInfo {
        first_counter: b.first_counter,
        count: b.count,
        first_arrival: b.first_arrival,
        last_arrival: b.last_arrival,
    };
    format::decode_block(&Bytes::from(buf), &info).map_err(|e| corrupt(path, b.offset, e))
}
