//! The mutation log: `header | frame*`, each frame `len u32 LE | crc32c u32 LE | payload`.
//!
//! Appends are written and fsynced before the caller answers its client. Recovery reads frames
//! until the first bad one; a bad frame is a torn tail (the write the crash interrupted, never
//! acknowledged) when it runs past the end of the file or only zeros follow its start, and is
//! truncated away. A bad frame with intact-looking data after it is corruption, and opening
//! fails rather than silently dropping acknowledged writes.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Identifies the file and its format version.
pub const WAL_HEADER: &[u8; 8] = b"RDYWAL01";
/// Same framing, one frame: the snapshot.
pub const SNAPSHOT_HEADER: &[u8; 8] = b"RDYSNP01";
const FRAME_HEADER: usize = 8;
/// Larger frames are refused as corrupt rather than allocated.
const MAX_FRAME: usize = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is corrupt at byte {offset}: {reason}")]
    Corrupt { path: PathBuf, offset: u64, reason: String },
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Outcome of reading frames from a buffer.
#[derive(Debug)]
pub struct Scan {
    pub payloads: Vec<Vec<u8>>,
    /// Where the good frames end.
    pub valid_len: usize,
    /// Why reading stopped early, if it did and it was not a clean torn tail.
    pub corrupt: Option<String>,
}

/// Reads frames after `header` from `buf`.
pub fn scan(buf: &[u8], header: &[u8; 8]) -> Scan {
    let mut payloads = Vec::new();
    if buf.len() < header.len() || &buf[..header.len()] != header {
        // A file cut short before its header was synced holds nothing acknowledged.
        let torn = buf.len() < header.len() && header.starts_with(buf);
        let corrupt = (!torn).then(|| "not a Riffle DynamoDB file (bad header)".to_string());
        return Scan { payloads, valid_len: 0, corrupt };
    }
    let mut at = header.len();
    let reason = loop {
        let rest = &buf[at..];
        if rest.is_empty() {
            return Scan { payloads, valid_len: at, corrupt: None };
        }
        let Some(end) = frame_end(rest) else { break "bad frame header" };
        if end > rest.len() {
            break "frame runs past the end of the file";
        }
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let payload = &rest[FRAME_HEADER..end];
        if crc32c::crc32c(payload) != crc {
            break "checksum mismatch";
        }
        payloads.push(payload.to_vec());
        at += end;
    };
    // Only the last write can be torn: it runs to the end of the file, or the file was extended
    // with zeros that the data never reached.
    let rest = &buf[at..];
    let torn = rest.len() < FRAME_HEADER
        || rest.iter().all(|&b| b == 0)
        || frame_end(rest).is_some_and(|end| end >= rest.len());
    Scan { payloads, valid_len: at, corrupt: (!torn).then(|| reason.to_string()) }
}

/// Where the frame starting at `rest` ends, if its header is whole and its length sane (never
/// zero: every payload written has content).
fn frame_end(rest: &[u8]) -> Option<usize> {
    let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    (rest.len() >= FRAME_HEADER && (1..=MAX_FRAME).contains(&len)).then_some(FRAME_HEADER + len)
}

/// The open log, positioned at its end.
pub struct Wal {
    file: File,
    path: PathBuf,
    len: u64,
    fsync: bool,
}

impl Wal {
    /// Opens (or creates) the log and returns the payloads it holds, a torn tail removed.
    pub fn open(path: &Path, fsync: bool) -> Result<(Wal, Vec<Vec<u8>>), WalError> {
        let io = |source| WalError::Io { path: path.to_path_buf(), source };
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).map_err(io)?;
        let s = scan(&buf, WAL_HEADER);
        if let Some(reason) = s.corrupt {
            return Err(WalError::Corrupt { path: path.to_path_buf(), offset: s.valid_len as u64, reason });
        }
        let mut wal = Wal { file, path: path.to_path_buf(), len: s.valid_len as u64, fsync };
        if s.valid_len < buf.len() {
            tracing::warn!(path = %path.display(), at = s.valid_len, dropped = buf.len() - s.valid_len, "truncating a torn tail");
        }
        if s.valid_len == 0 {
            wal.reset().map_err(io)?;
        } else if s.valid_len < buf.len() {
            wal.file.set_len(wal.len).map_err(io)?;
            wal.sync().map_err(io)?;
        }
        wal.file.seek(SeekFrom::Start(wal.len)).map_err(io)?;
        Ok((wal, s.payloads))
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= WAL_HEADER.len() as u64
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the payloads as frames and, unless fsync is off, makes them durable.
    pub fn append(&mut self, payloads: &[Vec<u8>]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for p in payloads {
            buf.extend_from_slice(&frame(p));
        }
        self.file.write_all(&buf)?;
        self.len += buf.len() as u64;
        self.sync()
    }

    /// Empties the log (after a snapshot took in everything it held).
    pub fn reset(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(WAL_HEADER)?;
        self.len = WAL_HEADER.len() as u64;
        self.sync()
    }

    fn sync(&self) -> std::io::Result<()> {
        if self.fsync { self.file.sync_data() } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(frames: &[&[u8]]) -> Vec<u8> {
        let mut b = WAL_HEADER.to_vec();
        for f in frames {
            b.extend(frame(f));
        }
        b
    }

    #[test]
    fn torn_tails_are_cut_and_corruption_refused() {
        let full = log(&[b"one", b"two", b"three"]);
        let s = scan(&full, WAL_HEADER);
        assert_eq!(s.payloads.len(), 3);
        assert!(s.corrupt.is_none());
        for cut in WAL_HEADER.len()..full.len() {
            let s = scan(&full[..cut], WAL_HEADER);
            assert!(s.corrupt.is_none(), "cut at {cut}");
            assert!(s.payloads.len() < 3);
        }
        let mut zeros = log(&[b"one"]);
        zeros.extend([0u8; 64]);
        let s = scan(&zeros, WAL_HEADER);
        assert!(s.corrupt.is_none());
        assert_eq!(s.payloads.len(), 1);
        let mut flipped = full.clone();
        flipped[WAL_HEADER.len() + 9] ^= 1;
        assert!(scan(&flipped, WAL_HEADER).corrupt.is_some(), "a bad frame followed by data is corruption");
        assert!(scan(b"RDY", WAL_HEADER).corrupt.is_none());
        assert!(scan(b"garbage!", WAL_HEADER).corrupt.is_some());
    }
}
