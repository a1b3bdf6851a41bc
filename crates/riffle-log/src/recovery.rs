//! Opening a log directory: rebuild counters and the index from the segments on disk.
//!
//! Only the last segment can hold a torn write (the writer syncs a segment before starting the
//! next), so an invalid tail there is an unacknowledged write and is cut off. Anything invalid
//! in an earlier segment is corruption of acknowledged data and refuses the open: silently
//! dropping it would lose records and could hand their counters out again.

use crate::LogError;
use crate::error::{corrupt, io_err};
use crate::format::{self, FrameHeader};
use crate::index::{BlockCache, Index, SegBlocks, SegmentEntry, ShardCounters};
use crate::segment::{self, ScanEnd};
use riffle_types::ShardKey;
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

pub(crate) struct Recovered {
    pub index: Index,
    pub cache: BlockCache,
    pub counters: HashMap<ShardKey, ShardCounters>,
    /// Id for the new active segment.
    pub next_segment: u64,
    /// The last segment held no frames: the new one takes its name and replaces it.
    pub replace_last: bool,
}

pub(crate) fn recover(dir: &Path, cache_segments: usize) -> Result<Recovered, LogError> {
    let segments = segment::list_segments(dir)?;
    let mut index = Index::default();
    let mut cache = BlockCache::new(cache_segments);
    let mut counters = HashMap::new();
    let (mut next_segment, mut replace_last) = (1, false);
    for (i, (id, path)) in segments.iter().enumerate() {
        let is_last = i + 1 == segments.len();
        match recover_segment(path, is_last, &mut counters)? {
            Some((entry, blocks)) => {
                index.add_sealed(*id, entry, &blocks);
                // The newest segments are the likeliest to be read: leave them cached.
                cache.insert(*id, Arc::new(blocks));
                (next_segment, replace_last) = (id + 1, false);
            }
            None => (next_segment, replace_last) = (*id, true),
        }
    }
    // Checkpoints carry shards whose data is gone; the max rule keeps their counters moving on.
    for (&shard, &c) in &counters {
        index.note_counters(shard, c);
    }
    tracing::info!(segments = index.segments.len(), shards = counters.len(), "recovered log at {}", dir.display());
    Ok(Recovered { index, cache, counters, next_segment, replace_last })
}

/// Checks one segment and collects its blocks; `None` for a last segment with no frames.
fn recover_segment(
    path: &Path,
    is_last: bool,
    counters: &mut HashMap<ShardKey, ShardCounters>,
) -> Result<Option<(SegmentEntry, SegBlocks)>, LogError> {
    let file = OpenOptions::new().read(true).write(is_last).open(path).map_err(|e| io_err(path, e))?;
    let mut len = file.metadata().map_err(|e| io_err(path, e))?.len();
    if len < format::FILE_HEADER_LEN {
        if is_last {
            tracing::warn!(path = %path.display(), len, "segment creation was torn; replacing it");
            return Ok(None);
        }
        return Err(corrupt(path, 0, format!("file of {len} bytes is shorter than its header")));
    }
    let mut header = [0u8; format::FILE_HEADER_LEN as usize];
    file.read_exact_at(&mut header, 0).map_err(|e| io_err(path, e))?;
    format::check_file_header(&header).map_err(|e| corrupt(path, 0, e))?;

    let mut blocks = SegBlocks::new();
    let mut frames = 0usize;
    // Every block CRC of the last segment is checked: a torn write can leave a header intact
    // and a body half-written. Earlier segments were synced whole; reads verify their blocks.
    let end = segment::scan_frames(&file, path, len, is_last, |frame| {
        frames += 1;
        match &frame.header {
            FrameHeader::Checkpoint(entries) => {
                for e in entries {
                    let c = counters.entry(e.shard).or_default();
                    c.next = c.next.max(e.next_counter);
                    c.last_arrival = c.last_arrival.max(e.last_arrival);
                }
            }
            FrameHeader::Data(headers) => {
                for h in headers {
                    let c = counters.entry(h.shard).or_default();
                    if h.first_counter < c.next {
                        let reason = format!(
                            "shard {:#x} counter {} reused (already at {})",
                            h.shard.0, h.first_counter, c.next
                        );
                        return Err(corrupt(path, frame.offset, reason));
                    }
                    c.next = h.first_counter + u64::from(h.count);
                    c.last_arrival = c.last_arrival.max(h.last_arrival);
                }
            }
        }
        segment::add_blocks(&mut blocks, &frame);
        Ok(())
    })?;
    if let ScanEnd::Invalid { offset, reason } = end {
        if !is_last {
            return Err(corrupt(path, offset, reason));
        }
        tracing::warn!(
            path = %path.display(),
            offset,
            discarded = len - offset,
            %reason,
            "truncating the torn tail of the last segment"
        );
        file.set_len(offset).map_err(|e| io_err(path, e))?;
        file.sync_all().map_err(|e| io_err(path, e))?;
        len = offset;
    }
    if frames == 0 {
        if is_last {
            return Ok(None);
        }
        // A sealed segment always starts with a checkpoint; an empty one is harmless, though.
        tracing::warn!(path = %path.display(), "sealed segment holds no frames");
    }
    let entry = SegmentEntry { file: Arc::new(file), path: Arc::new(path.to_path_buf()), len, shards: Vec::new() };
    Ok(Some((entry, blocks)))
}
