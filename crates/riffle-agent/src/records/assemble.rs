//! Lines into raw records: header skipping, multi-line joining, pieces of cut lines.
//!
//! Java's `RegexSplitter` scans a buffer line by line and ends a record just before a line whose
//! beginning matches the start pattern (`Matcher.lookingAt`), never before the buffer's first
//! line: so the first line after a record boundary always belongs to the next record. Lines are
//! kept with their `\n`. `AbstractParser` skips header lines only when it opens a file at offset
//! 0, and counts them by `\n`.

use regex_lite::Regex;

use super::RecordError;
use crate::tailer::Line;

/// A record before conversion: the bytes of its lines and where its last line ends.
#[derive(Debug)]
pub(super) struct RawRecord {
    pub data: Vec<u8>,
    pub end_offset: u64,
}

#[derive(Debug)]
struct Pending {
    data: Vec<u8>,
    start: u64,
    end: u64,
}

#[derive(Debug)]
pub(super) struct Assembler {
    skip_header_lines: u64,
    /// `multiLineStartPattern` anchored at the start of the line, as `lookingAt` is.
    start_pattern: Option<Regex>,
    /// A record stops growing here: twice the size limit, so that a converter that shrinks
    /// records (SINGLELINE) still sees enough, and memory stays bounded on a runaway line.
    cap: usize,
    headers_left: u64,
    /// No line of the current file seen yet (decides whether header skipping applies).
    file_fresh: bool,
    /// The last piece was cut: the next one continues the same line.
    mid_line: bool,
    pending: Option<Pending>,
    consumed: Option<u64>,
    header_lines_skipped: u64,
    bytes_discarded: u64,
}

impl Assembler {
    pub fn new(skip_header_lines: u64, start: Option<&Regex>, max_record_bytes: usize) -> Result<Self, RecordError> {
        let start_pattern = start
            .map(|re| {
                Regex::new(&format!("^(?:{})", re.as_str())).map_err(|source| RecordError::Pattern {
                    what: "multiLineStartPattern",
                    pattern: re.as_str().to_owned(),
                    source,
                })
            })
            .transpose()?;
        let mut assembler = Self {
            skip_header_lines,
            start_pattern,
            cap: 0,
            headers_left: skip_header_lines,
            file_fresh: true,
            mid_line: false,
            pending: None,
            consumed: None,
            header_lines_skipped: 0,
            bytes_discarded: 0,
        };
        assembler.set_cap(max_record_bytes);
        Ok(assembler)
    }

    pub fn set_cap(&mut self, max_record_bytes: usize) {
        self.cap = max_record_bytes.saturating_mul(2);
    }

    pub fn push(&mut self, line: &Line) -> Vec<RawRecord> {
        let continuation = self.mid_line;
        self.mid_line = line.cut;
        let terminator = u64::from(!line.cut);
        let start = line.end_offset.saturating_sub(line.data.len() as u64 + terminator);
        if self.file_fresh {
            self.file_fresh = false;
            // Java sets headerLinesToSkip only when it opens the file at offset 0.
            if start > 0 && !continuation {
                self.headers_left = 0;
            }
        }
        if self.headers_left > 0 {
            if !line.cut {
                self.headers_left -= 1;
                self.header_lines_skipped += 1;
                self.consumed = Some(line.end_offset);
            }
            return Vec::new();
        }
        let mut out = Vec::new();
        if !continuation && self.starts_record(&line.data) {
            out.extend(self.flush());
        }
        self.append(start, line);
        if self.start_pattern.is_none() && !line.cut {
            out.extend(self.flush());
        }
        out
    }

    /// Whether a line (not a continuation piece) opens a new record.
    fn starts_record(&self, data: &[u8]) -> bool {
        match (&self.start_pattern, &self.pending) {
            (_, None) | (None, _) => true,
            (Some(re), Some(_)) => re.is_match(&String::from_utf8_lossy(data)),
        }
    }

    fn append(&mut self, start: u64, line: &Line) {
        let pending = self.pending.get_or_insert_with(|| Pending { data: Vec::new(), start, end: start });
        pending.end = line.end_offset;
        let newline: &[u8] = if line.cut { b"" } else { b"\n" };
        for part in [line.data.as_slice(), newline] {
            let room = self.cap.saturating_sub(pending.data.len());
            let take = room.min(part.len());
            pending.data.extend_from_slice(&part[..take]);
            self.bytes_discarded += (part.len() - take) as u64;
        }
    }

    pub fn flush(&mut self) -> Option<RawRecord> {
        let pending = self.pending.take()?;
        self.consumed = Some(pending.end);
        Some(RawRecord { data: pending.data, end_offset: pending.end })
    }

    pub fn pending_start(&self) -> Option<u64> {
        self.pending.as_ref().map(|p| p.start)
    }

    pub fn consumed_offset(&self) -> Option<u64> {
        self.consumed
    }

    pub fn reset(&mut self) {
        if let Some(p) = self.pending.take() {
            self.bytes_discarded += p.data.len() as u64;
        }
        self.headers_left = self.skip_header_lines;
        self.file_fresh = true;
        self.mid_line = false;
        self.consumed = None;
    }

    pub fn header_lines_skipped(&self) -> u64 {
        self.header_lines_skipped
    }

    pub fn bytes_discarded(&self) -> u64 {
        self.bytes_discarded
    }
}
