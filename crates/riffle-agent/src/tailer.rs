//! Follows one path: reads complete lines from an offset and notices when the path is rotated.
//!
//! Rotation is recognised by [`FileIdentity`], not by name or size alone:
//! - **rename-and-create**: the path now names another inode. The old handle is drained to its
//!   end first (lines written just before the rename are not lost), then the new file is read
//!   from offset 0.
//! - **copytruncate**: same inode, but shorter than our offset or with different first bytes.
//!   Reading restarts at 0 in the new content.
//! - **deletion**: the path is gone; the open handle is still drained.
//!
//! This is synchronous and poll-driven; the agent's file-notification loop decides when to poll.
//! [`Tailer::poll`] follows a path as described above; the agent's discovery tracks files by
//! inode itself and uses [`Tailer::read_available`], which only reads the open handle.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::identity::FileIdentity;

/// One line read from the file, without its `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub data: Vec<u8>,
    /// Offset just past this line: what to checkpoint once it is acknowledged.
    pub end_offset: u64,
    /// The line was longer than the read limit and was cut there; the rest follows as more lines.
    pub cut: bool,
}

/// A rotation noticed by [`Tailer::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The path names a new file; the tailer has switched to it at offset 0.
    Renamed,
    /// The file was truncated in place; the tailer restarted at offset 0.
    Truncated,
    /// The path no longer exists (the open file was read to its end).
    Missing,
}

/// What one poll produced: lines, or (once the current file is drained) a rotation.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Poll {
    pub lines: Vec<Line>,
    pub rotation: Option<Rotation>,
}

/// What [`Tailer::read_available`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// Complete lines (possibly none).
    Lines(Vec<Line>),
    /// The file was truncated or rewritten in place; the content stream `previous` had been read
    /// up to `offset`. The tailer now reads the new content from 0.
    Truncated { previous: FileIdentity, offset: u64 },
}

/// Tails one path.
#[derive(Debug)]
pub struct Tailer {
    path: PathBuf,
    file: File,
    identity: FileIdentity,
    offset: u64,
}

impl Tailer {
    /// Opens `path` and starts reading at `offset` (from a checkpoint, or 0 for START_OF_FILE).
    pub fn open_at(path: impl Into<PathBuf>, offset: u64) -> io::Result<Self> {
        let path = path.into();
        let file = File::open(&path)?;
        let identity = FileIdentity::of_file(&file)?;
        Ok(Self { path, file, identity, offset })
    }

    /// Opens `path` at its current length (END_OF_FILE), rounded back to the start of a line
    /// the writer may be in the middle of, so that line is sent whole rather than as a tail.
    pub fn open_at_end(path: impl Into<PathBuf>) -> io::Result<Self> {
        let mut t = Self::open_at(path, 0)?;
        t.offset = line_start_before_end(&t.file)?;
        Ok(t)
    }

    /// Adopts a file already opened (by discovery) at `offset`, without looking at the path again,
    /// so the handle and the identity are certainly the same inode.
    pub fn from_file(path: impl Into<PathBuf>, file: File, identity: FileIdentity, offset: u64) -> Self {
        Self { path: path.into(), file, identity, offset }
    }

    /// Where discovery last saw this file (it follows renames by inode).
    pub fn set_path(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// Current length of the open file.
    pub fn file_len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Up to `max_bytes` of complete lines from the open handle only, never re-opening the path:
    /// discovery tracks files by inode, so renames and deletions are its business. A file
    /// truncated or rewritten in place (copytruncate) restarts at offset 0 and reports the
    /// content stream that ended.
    pub fn read_available(&mut self, max_bytes: usize) -> io::Result<Read> {
        if !self.identity.matches(&self.file)? {
            let previous = (self.identity.clone(), self.offset);
            self.restart_current()?;
            return Ok(Read::Truncated { previous: previous.0, offset: previous.1 });
        }
        let lines = self.read_lines(max_bytes)?;
        if !lines.is_empty() {
            self.refine_identity()?;
        }
        Ok(Read::Lines(lines))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn identity(&self) -> &FileIdentity {
        &self.identity
    }

    /// Offset just past the last line returned.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Returns up to `max_bytes` of complete lines; only when there are none, checks for rotation.
    pub fn poll(&mut self, max_bytes: usize) -> io::Result<Poll> {
        if !self.identity.matches(&self.file)? {
            self.restart_current()?;
            return Ok(Poll { lines: Vec::new(), rotation: Some(Rotation::Truncated) });
        }
        let lines = self.read_lines(max_bytes)?;
        if !lines.is_empty() {
            self.refine_identity()?;
            return Ok(Poll { lines, rotation: None });
        }
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Poll { lines, rotation: Some(Rotation::Missing) });
            }
            Err(e) => return Err(e),
        };
        if (meta.dev(), meta.ino()) != (self.identity.dev, self.identity.ino) {
            self.file = File::open(&self.path)?;
            self.restart_current()?;
            return Ok(Poll { lines, rotation: Some(Rotation::Renamed) });
        }
        Ok(Poll { lines, rotation: None })
    }

    fn restart_current(&mut self) -> io::Result<()> {
        self.identity = FileIdentity::of_file(&self.file)?;
        self.offset = 0;
        Ok(())
    }

    /// Lengthens a short fingerprint as the file grows, so a later copytruncate whose new
    /// content happens to start like the old is still caught.
    fn refine_identity(&mut self) -> io::Result<()> {
        if self.identity.is_partial() {
            self.identity = FileIdentity::of_file(&self.file)?;
        }
        Ok(())
    }

    fn read_lines(&mut self, max_bytes: usize) -> io::Result<Vec<Line>> {
        // Sized by what is there, so an idle poll allocates nothing.
        let available = self.file.metadata()?.len().saturating_sub(self.offset);
        let want = usize::try_from(available).unwrap_or(usize::MAX).min(max_bytes.max(1));
        if want == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; want];
        let mut filled = 0;
        while filled < buf.len() {
            match self.file.read_at(&mut buf[filled..], self.offset + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let buf = &buf[..filled];
        let mut lines = Vec::new();
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + nl;
            lines.push(Line { data: buf[start..end].to_vec(), end_offset: self.offset + end as u64 + 1, cut: false });
            start = end + 1;
        }
        // A line longer than the whole buffer would never complete: hand it out in pieces.
        if lines.is_empty() && filled == max_bytes.max(1) {
            lines.push(Line { data: buf.to_vec(), end_offset: self.offset + filled as u64, cut: true });
            start = filled;
        }
        self.offset += start as u64;
        Ok(lines)
    }
}

/// Offset just past the last `\n` in the file's final 64 KiB, or its length if there is none
/// there (a line that long is taken from where we are).
fn line_start_before_end(file: &File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    let start = len.saturating_sub(64 * 1024);
    let mut buf = vec![0u8; (len - start) as usize];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], start + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(match buf[..filled].iter().rposition(|&b| b == b'\n') {
        Some(i) => start + i as u64 + 1,
        None if start == 0 && filled > 0 => 0,
        None => len,
    })
}

#[cfg(test)]
mod tests;
