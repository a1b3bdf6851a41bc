//! Segment files: names, creation, and sequential scanning of their frames.
//!
//! Scanning serves two callers: recovery (which also verifies block CRCs in the last segment)
//! and the block cache, which rebuilds a sealed segment's block list from its frame headers.

use crate::LogError;
use crate::error::{corrupt, io_err};
use crate::format::{self, CheckpointEntry, FRAME_PREFIX_LEN, FrameHeader};
use crate::index::{BlockRef, SegBlocks};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Read-ahead for scans: large enough that small frames cost one read per many frames.
const SCAN_READ_AHEAD: usize = 256 * 1024;

pub(crate) fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Segment files in `dir`, oldest first. Other files are not ours to judge and are ignored.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, LogError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        if let Some(id) = entry.file_name().to_str().and_then(parse_segment_name) {
            out.push((id, entry.path()));
        }
    }
    out.sort_unstable_by_key(|(id, _)| *id);
    Ok(out)
}

/// Makes creations, truncations and deletions in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_err(dir, e))
}

/// Asks the kernel to drop a sealed, synced segment's pages from its cache (see
/// [`crate::LogOptions::cached_segments`]). Only advice: reads still work, from disk (and
/// bring back what they read, which the kernel keeps or drops as it likes), and a refusal is
/// logged and otherwise ignored. Dirty pages are never dropped, so it cannot lose a write.
pub(crate) fn leave_page_cache(file: &File, path: &Path) {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    if let Err(e) = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed) {
        tracing::debug!(path = %path.display(), error = %e, "could not drop a sealed segment from the page cache");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let _ = (file, path);
}

/// Creates segment `id` holding the file header and a checkpoint frame, synced to disk, and
/// syncs the directory. `replace` overwrites an existing file (recovery found it empty).
/// Returns the file and its length.
pub(crate) fn create_segment(
    dir: &Path,
    id: u64,
    checkpoint: &[CheckpointEntry],
    replace: bool,
) -> Result<(File, PathBuf, u64), LogError> {
    let path = segment_path(dir, id);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    if replace {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let file = opts.open(&path).map_err(|e| io_err(&path, e))?;
    let mut bytes = format::file_header().to_vec();
    bytes.extend_from_slice(&format::encode_checkpoint_frame(checkpoint));
    file.write_all_at(&bytes, 0).map_err(|e| io_err(&path, e))?;
    // The checkpoint is what keeps counters from being reused once older segments are
    // reclaimed, so it is durable before the segment is used, whatever the fsync policy.
    file.sync_data().map_err(|e| io_err(&path, e))?;
    sync_dir(dir)?;
    Ok((file, path, bytes.len() as u64))
}

/// A frame that passed its checks.
#[derive(Debug)]
pub(crate) struct ScannedFrame {
    pub offset: u64,
    /// Absolute offset of the body.
    pub body_start: u64,
    pub header: FrameHeader,
}

/// How a scan ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScanEnd {
    /// Every byte up to the length belongs to a valid frame.
    Clean,
    /// The bytes from `offset` on are not a valid frame.
    Invalid { offset: u64, reason: String },
}

/// Positional, forward-only buffered reader; positional so it never moves a shared file cursor.
struct ScanReader<'a> {
    file: &'a File,
    len: u64,
    buf: Vec<u8>,
    buf_off: u64,
}

impl ScanReader<'_> {
    /// `n` bytes at `off`; the caller has checked they lie within `len`.
    fn bytes(&mut self, off: u64, n: usize) -> io::Result<&[u8]> {
        let have = off >= self.buf_off && off + n as u64 <= self.buf_off + self.buf.len() as u64;
        if !have {
            let want = (n.max(SCAN_READ_AHEAD) as u64).min(self.len - off) as usize;
            self.buf.resize(want, 0);
            self.file.read_exact_at(&mut self.buf, off)?;
            self.buf_off = off;
        }
        let start = (off - self.buf_off) as usize;
        Ok(&self.buf[start..start + n])
    }
}

/// Walks the frames of a segment from just after the file header up to `len`, calling `each`
/// for every valid frame, and stops at the first invalid one. With `verify_bodies`, block CRCs
/// are checked too (that reads every byte; without it only headers are read).
pub(crate) fn scan_frames(
    file: &File,
    path: &Path,
    len: u64,
    verify_bodies: bool,
    mut each: impl FnMut(ScannedFrame) -> Result<(), LogError>,
) -> Result<ScanEnd, LogError> {
    let mut r = ScanReader { file, len, buf: Vec::new(), buf_off: 0 };
    let mut off = format::FILE_HEADER_LEN;
    let invalid = |offset: u64, reason: String| Ok(ScanEnd::Invalid { offset, reason });
    while off < len {
        if len - off < FRAME_PREFIX_LEN as u64 {
            return invalid(off, "incomplete frame prefix".into());
        }
        let prefix_bytes: [u8; FRAME_PREFIX_LEN] =
            r.bytes(off, FRAME_PREFIX_LEN).map_err(|e| io_err(path, e))?.try_into().unwrap();
        let prefix = match format::parse_prefix(&prefix_bytes) {
            Ok(p) => p,
            Err(e) => return invalid(off, e.to_string()),
        };
        if prefix.frame_len() > len - off {
            return invalid(off, format!("incomplete frame ({} bytes, {} left)", prefix.frame_len(), len - off));
        }
        let table_off = off + FRAME_PREFIX_LEN as u64;
        let table = r.bytes(table_off, prefix.header_len as usize).map_err(|e| io_err(path, e))?;
        let header = match format::parse_header(&prefix_bytes, &prefix, table) {
            Ok(h) => h,
            Err(e) => return invalid(off, e.to_string()),
        };
        let body_start = off + prefix.body_start();
        if verify_bodies && let FrameHeader::Data(blocks) = &header {
            let body = r.bytes(body_start, prefix.body_len as usize).map_err(|e| io_err(path, e))?;
            for b in blocks {
                let start = b.body_offset as usize;
                if let Err(e) = format::verify_block(&body[start..start + b.body_len as usize], b.crc) {
                    return invalid(off, format!("{e} (shard {}, counter {})", b.shard.0, b.first_counter));
                }
            }
        }
        each(ScannedFrame { offset: off, body_start, header })?;
        off += prefix.frame_len();
    }
    Ok(ScanEnd::Clean)
}

/// Adds a scanned data frame's blocks to a segment's block list.
pub(crate) fn add_blocks(blocks: &mut SegBlocks, frame: &ScannedFrame) {
    if let FrameHeader::Data(headers) = &frame.header {
        for h in headers {
            blocks.entry(h.shard).or_default().push(BlockRef {
                first_counter: h.first_counter,
                offset: frame.body_start + u64::from(h.body_offset),
                first_arrival: h.first_arrival,
                last_arrival: h.last_arrival,
                count: h.count,
                len: h.body_len,
                crc: h.crc,
            });
        }
    }
}

/// Rebuilds a sealed segment's block list from its frame headers. Recovery checked this
/// segment when the log opened, so an invalid frame now means the file changed under us.
pub(crate) fn load_blocks(file: &File, path: &Path, len: u64) -> Result<SegBlocks, LogError> {
    let mut blocks = SegBlocks::new();
    let end = scan_frames(file, path, len, false, |frame| {
        add_blocks(&mut blocks, &frame);
        Ok(())
    })?;
    match end {
        ScanEnd::Clean => Ok(blocks),
        ScanEnd::Invalid { offset, reason } => Err(corrupt(path, offset, reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_reject_strangers() {
        let p = segment_path(Path::new("/x"), 42);
        assert_eq!(p, Path::new("/x/00000000000000000042.seg"));
        assert_eq!(parse_segment_name("00000000000000000042.seg"), Some(42));
        assert_eq!(parse_segment_name("42.seg"), None);
        assert_eq!(parse_segment_name("0000000000000000004x.seg"), None);
        assert_eq!(parse_segment_name("00000000000000000042.seg.tmp"), None);
    }
}
