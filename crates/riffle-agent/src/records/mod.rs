//! Record building: turns the lines of one file into the records the agent sends, the way the
//! Java Kinesis Agent's parser, splitters and `dataProcessingOptions` chain do
//! (`tailing/AbstractParser`, `RegexSplitter`, `AbstractRecord.truncate`, `processing/**`).
//!
//! The path of a line:
//! 1. [`assemble`]: `skipHeaderLines` drops the first N lines of a file that is read from offset 0
//!    (as Java, not when resuming from a checkpoint further in); without `multiLineStartPattern`
//!    every line is a record, with it a record runs from a line whose *beginning* matches the
//!    pattern (Java's `lookingAt`) up to the next such line. The first line after a start or a
//!    flush always opens a record, matching or not, so lines before the first start line form a
//!    record of their own, as in Java.
//! 2. [`convert`]: the converters, in configured order. A record LOGTOJSON cannot parse is dropped
//!    and counted (`records_skipped`), as Java's converter returns null for it; nothing else fails.
//! 3. Truncation: data longer than the limit is cut to the limit with `truncatedRecordTerminator`
//!    as its last bytes (Java cuts bytes, even inside a UTF-8 sequence; so do we).
//!
//! **Records keep their line terminators**, as in Java: a one-line record is `line\n`, a
//! multi-line record `l1\nl2\nl3\n`, and the JSON converters strip one trailing `\n` before
//! parsing and end their output with `\n`. Converters decode the bytes as UTF-8 lossily, as Java's
//! `new String(bytes, UTF_8)` does; raw records (no converter) keep their bytes untouched.
//!
//! Where Riffle differs, on purpose:
//! - The limit is fixed per flow, [`KINESIS_MAX_RECORD_BYTES`] − [`PARTITION_KEY_RESERVE`]: Java
//!   subtracts the record's own partition key length, 32 for DETERMINISTIC (hex MD5, identical
//!   here) and 17–22 for RANDOM (Riffle cuts up to ~15 bytes earlier there).
//! - A line longer than the tailer's read limit arrives in pieces (`cut`); the pieces are joined,
//!   and a record stops growing at twice the limit (the rest is counted in `bytes_discarded`),
//!   where Java keeps one parser buffer and discards the rest as a "runaway record".
//! - ADDEC2METADATA needs the instance metadata service and is refused at construction for now.

mod assemble;
mod convert;
mod json;
mod logjson;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::config::FlowConfig;
use crate::tailer::Line;

use assemble::{Assembler, RawRecord};
use convert::Chain;

/// The largest record Kinesis accepts: data plus partition key (kinesis-spec 6.2).
pub const KINESIS_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Bytes of the 1 MiB kept for the partition key: the length of a hex MD5 (DETERMINISTIC), and
/// more than the text of a RANDOM key. The sender must not use longer keys.
pub const PARTITION_KEY_RESERVE: usize = 32;

/// One record ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRecord {
    pub data: Vec<u8>,
    /// File offset just past the last line in this record.
    pub end_offset: u64,
}

/// Why a builder could not be made from a flow (only construction problems; no input fails).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{option}: {reason}")]
    Unsupported { option: &'static str, reason: &'static str },
    #[error("{what}: pattern {pattern:?} does not compile: {source}")]
    Pattern {
        what: &'static str,
        pattern: String,
        #[source]
        source: regex_lite::Error,
    },
    #[error("LOGTOJSON: {names} field names for a pattern with {groups} groups")]
    FieldCount { names: usize, groups: usize },
}

/// Counters since the builder was made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordStats {
    /// Records returned to the caller.
    pub records_built: u64,
    /// Lines dropped by `skipHeaderLines`.
    pub header_lines_skipped: u64,
    /// Records a converter dropped (LOGTOJSON could not parse them).
    pub records_skipped: u64,
    /// Records cut to the size limit.
    pub records_truncated: u64,
    /// Bytes dropped from runaway records (beyond twice the limit) or left pending at a reset.
    pub bytes_discarded: u64,
}

/// The clock ADDMETADATA's `ts` reads; replaceable for tests.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Turns the lines of one file (then its successors) into records. See the module docs.
pub struct RecordBuilder {
    assembler: Assembler,
    chain: Chain,
    max_record_bytes: usize,
    terminator: Vec<u8>,
    clock: Clock,
    stats: RecordStats,
}

impl fmt::Debug for RecordBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordBuilder")
            .field("max_record_bytes", &self.max_record_bytes)
            .field("pending_start", &self.pending_start())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl RecordBuilder {
    pub fn new(flow: &FlowConfig) -> Result<Self, RecordError> {
        let max_record_bytes = KINESIS_MAX_RECORD_BYTES - PARTITION_KEY_RESERVE;
        Ok(Self {
            assembler: Assembler::new(flow.skip_header_lines, flow.multi_line_start.as_ref(), max_record_bytes)?,
            chain: Chain::new(&flow.processing)?,
            max_record_bytes,
            terminator: flow.truncated_record_terminator.as_bytes().to_vec(),
            clock: Arc::new(SystemTime::now),
            stats: RecordStats::default(),
        })
    }

    /// Overrides the size limit (default 1 MiB − [`PARTITION_KEY_RESERVE`]); at least 1.
    #[must_use]
    pub fn with_max_record_bytes(mut self, max: usize) -> Self {
        self.max_record_bytes = max.max(1);
        self.assembler.set_cap(self.max_record_bytes);
        self
    }

    /// Replaces the clock ADDMETADATA timestamps come from.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// One complete line (as crate::tailer::Line: without its "\n"; `cut` = longer than the
    /// read limit). Returns the records this line completes (0, 1, or more), in order.
    pub fn push_line(&mut self, line: &Line) -> Vec<BuiltRecord> {
        let raws = self.assembler.push(line);
        raws.into_iter().filter_map(|raw| self.finish(raw)).collect()
    }

    /// Completes a pending multi-line record (quiet period, end of file, shutdown).
    pub fn flush(&mut self) -> Option<BuiltRecord> {
        let raw = self.assembler.flush()?;
        self.finish(raw)
    }

    /// The smallest file offset that is safe to checkpoint given what is pending inside the
    /// builder: the start offset of a pending multi-line record, or None when nothing is pending.
    pub fn pending_start(&self) -> Option<u64> {
        self.assembler.pending_start()
    }

    /// Offset just past the last line the builder is done with (built, dropped by a converter,
    /// or skipped as a header): lets the caller checkpoint past data that produced no record,
    /// once every record returned before it has been acknowledged.
    pub fn consumed_offset(&self) -> Option<u64> {
        self.assembler.consumed_offset()
    }

    /// A new file starts (rotation): header skipping restarts; pending data is flushed first by
    /// the caller (anything still pending is discarded and counted in `bytes_discarded`).
    pub fn reset_for_new_file(&mut self) {
        self.assembler.reset();
    }

    /// Counters: records built, lines skipped as headers, records dropped by a converter (parse
    /// failures), records truncated.
    pub fn stats(&self) -> RecordStats {
        let mut stats = self.stats;
        stats.header_lines_skipped = self.assembler.header_lines_skipped();
        stats.bytes_discarded = self.assembler.bytes_discarded();
        stats
    }

    fn finish(&mut self, raw: RawRecord) -> Option<BuiltRecord> {
        let Some(mut data) = self.chain.apply(raw.data, &self.clock) else {
            self.stats.records_skipped += 1;
            return None;
        };
        if truncate(&mut data, self.max_record_bytes, &self.terminator) {
            self.stats.records_truncated += 1;
        }
        self.stats.records_built += 1;
        Some(BuiltRecord { data, end_offset: raw.end_offset })
    }
}

/// `AbstractRecord.truncate`: data over `max` keeps its first `max - terminator.len()` bytes
/// followed by the terminator, so the result is exactly `max` bytes. Returns whether it cut.
fn truncate(data: &mut Vec<u8>, max: usize, terminator: &[u8]) -> bool {
    if data.len() <= max {
        return false;
    }
    data.truncate(max.saturating_sub(terminator.len()));
    data.extend_from_slice(terminator);
    data.truncate(max);
    true
}

#[cfg(test)]
mod tests;
