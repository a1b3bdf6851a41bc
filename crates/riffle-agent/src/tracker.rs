//! The set of files one flow reads, kept by inode rather than by name.
//!
//! The Java agent's model (kinesis-spec 6.4) compares snapshots of the matching files by path,
//! inode, size and mtime and guesses the rotation style. Here each file is followed by its open
//! handle, so the styles need no guessing:
//! - **rename** (`app.log` -> `app.log.1`, new `app.log`): the renamed inode keeps its handle,
//!   drained to its end even if its new name no longer matches; the new file is another inode,
//!   read from 0.
//! - **deletion**: the handle still reads what was written before; once the file is gone from
//!   the listing, at its end and unchanged for `close_after`, it is closed.
//! - **copytruncate**: the tailer sees its inode's content replaced and restarts at 0. A new file
//!   whose first bytes are a known content stream's fingerprint is that stream's copy: it starts
//!   where the stream had been read (after draining it), so copied lines are neither lost nor
//!   sent twice.
//! - **inode reuse**: a reused inode is a new candidate (the old one was closed), and checkpoints
//!   match it only if its fingerprint does.
//!
//! Synchronous and I/O-only: the flow decides when to call [`FileTracker::scan`] and
//! [`FileTracker::poll`] and what to do with the lines, so the model-based tests drive it alone.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::InitialPosition;
use crate::discovery::{Candidate, Matcher};
use crate::identity::FileIdentity;
use crate::tailer::{Line, Read, Tailer};

/// How many ended content streams are remembered for copy detection.
const RETIRED_KEPT: usize = 64;

/// Something the flow must act on, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A new content stream is tracked from `offset`.
    /// `copied` when `offset` is how far the content this file is a copy of (copytruncate) was
    /// read — read, not acknowledged: the reader must not checkpoint the copy there before the
    /// original's records are.
    Opened { file: u64, path: PathBuf, identity: FileIdentity, offset: u64, copied: bool },
    /// Complete lines of a tracked file.
    Lines { file: u64, lines: Vec<Line> },
    /// The file's content was replaced in place; reading restarts at 0 of `identity`.
    Truncated { file: u64, identity: FileIdentity },
    /// The file's identity was refined (its fingerprint grew); checkpoints should use it.
    Identity { file: u64, identity: FileIdentity },
    /// The file is gone from the pattern, read to its end and quiet: no more lines will come.
    Closed { file: u64 },
}

/// Settings of a tracker.
#[derive(Debug, Clone, Copy)]
pub struct TrackerOptions {
    /// Where files found by the very first scan start when they have no checkpoint.
    pub initial_position: InitialPosition,
    /// Whether this is the flow's first run (no checkpoints at all). On a restart, files with no
    /// checkpoint appeared while the agent was down and are read from the start.
    pub first_run: bool,
    /// How long a file that left the pattern must stay unchanged at its end before it is closed.
    pub close_after: Duration,
}

struct Tracked {
    tailer: Tailer,
    dev_ino: (u64, u64),
    matched: bool,
    quiet_since: Option<Instant>,
}

/// One flow's tracked files.
pub struct FileTracker {
    matcher: Matcher,
    opts: TrackerOptions,
    files: BTreeMap<u64, Tracked>,
    next_id: u64,
    scanned: bool,
    /// Content streams that ended (truncated in place, or closed), with how far they were read.
    retired: VecDeque<(FileIdentity, u64)>,
}

impl std::fmt::Debug for FileTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTracker").field("dir", &self.matcher.directory()).field("files", &self.files.len()).finish()
    }
}

impl FileTracker {
    pub fn new(matcher: Matcher, opts: TrackerOptions) -> Self {
        Self { matcher, opts, files: BTreeMap::new(), next_id: 0, scanned: false, retired: VecDeque::new() }
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Whether some open file has left the pattern (no notification will tell when it grows,
    /// so the flow polls while there is one).
    pub fn has_unmatched(&self) -> bool {
        self.files.values().any(|t| !t.matched)
    }

    /// `(path, bytes not yet read)` of every tracked file.
    pub fn behind(&self) -> Vec<(PathBuf, u64)> {
        self.files
            .values()
            .map(|t| {
                let len = t.tailer.file_len().unwrap_or(0);
                (t.tailer.path().to_owned(), len.saturating_sub(t.tailer.offset()))
            })
            .collect()
    }

    /// Lists the pattern and starts tracking new files. `checkpoint` answers the acknowledged
    /// offset of an open file from the checkpoint store, if it has one for that content.
    pub fn scan(&mut self, checkpoint: &mut dyn FnMut(&File) -> Option<u64>) -> io::Result<Vec<Event>> {
        let mut events = Vec::new();
        let candidates = self.matcher.list()?;
        for t in self.files.values_mut() {
            t.matched = false;
        }
        for c in candidates {
            if let Some(t) = self.files.values_mut().find(|t| t.dev_ino == (c.dev, c.ino)) {
                t.matched = true;
                if t.tailer.path() != c.path {
                    t.tailer.set_path(c.path);
                }
                continue;
            }
            let path = c.path.clone();
            if let Err(e) = self.open(c, checkpoint, &mut events) {
                // One unreadable file (permissions) must not stop the others; retried next scan.
                tracing::warn!(path = %path.display(), error = %e, "cannot open a matching file");
            }
        }
        self.scanned = true;
        Ok(events)
    }

    fn open(
        &mut self,
        c: Candidate,
        checkpoint: &mut dyn FnMut(&File) -> Option<u64>,
        events: &mut Vec<Event>,
    ) -> io::Result<()> {
        let file = match File::open(&c.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let dev_ino = (meta.dev(), meta.ino());
        if self.files.values().any(|t| t.dev_ino == dev_ino) {
            return Ok(()); // Renamed between listing and open: already tracked.
        }
        let identity = FileIdentity::of_file(&file)?;
        let len = meta.len();
        let mut copied = false;
        let offset = match checkpoint(&file) {
            Some(offset) if offset <= len => offset,
            Some(_) => 0,
            None => match self.copy_of(&file, events)? {
                Some(offset) => {
                    copied = true;
                    offset.min(len)
                }
                None if !self.scanned && self.opts.first_run => match self.opts.initial_position {
                    InitialPosition::StartOfFile => 0,
                    InitialPosition::EndOfFile => Tailer::open_at_end(&c.path)?.offset().min(len),
                },
                None => 0,
            },
        };
        let id = self.next_id;
        self.next_id += 1;
        events.push(Event::Opened { file: id, path: c.path.clone(), identity: identity.clone(), offset, copied });
        let tailer = Tailer::from_file(c.path, file, identity, offset);
        self.files.insert(id, Tracked { tailer, dev_ino, matched: true, quiet_since: None });
        Ok(())
    }

    /// If `file` starts like a tracked or recently ended content stream, drains that stream and
    /// returns how far it was read: the copy's lines before that were already sent.
    fn copy_of(&mut self, file: &File, events: &mut Vec<Event>) -> io::Result<Option<u64>> {
        let ids: Vec<u64> = self.files.keys().copied().collect();
        for id in ids {
            let Some(t) = self.files.get(&id) else { continue };
            if !t.tailer.identity().is_prefix_of(file)? {
                continue;
            }
            // Read the original to its end first: lines it has beyond the copy's end then need
            // nothing from the copy, and if it was already truncated the retired entry says
            // exactly where its old content stopped.
            loop {
                let before = events.len();
                self.read_one(id, 1 << 20, Instant::now(), events)?;
                let read_more = events[before..].iter().any(|e| matches!(e, Event::Lines { .. }));
                if !read_more {
                    break;
                }
            }
            if let Some(t) = self.files.get(&id)
                && t.tailer.identity().is_prefix_of(file)?
            {
                return Ok(Some(t.tailer.offset()));
            }
        }
        for (identity, offset) in self.retired.iter().rev() {
            if identity.is_prefix_of(file)? {
                return Ok(Some(*offset));
            }
        }
        Ok(None)
    }

    /// Reads up to `max_bytes` of lines from every tracked file, and closes files that left the
    /// pattern once they are drained and quiet.
    pub fn poll(&mut self, max_bytes: usize, now: Instant) -> io::Result<Vec<Event>> {
        let mut events = Vec::new();
        let ids: Vec<u64> = self.files.keys().copied().collect();
        for id in ids {
            if let Err(e) = self.read_one(id, max_bytes, now, &mut events) {
                let path = self.files.get(&id).map(|t| t.tailer.path().display().to_string()).unwrap_or_default();
                tracing::warn!(path, error = %e, "cannot read a tracked file; retrying");
            }
        }
        Ok(events)
    }

    fn read_one(&mut self, id: u64, max_bytes: usize, now: Instant, events: &mut Vec<Event>) -> io::Result<()> {
        let Some(t) = self.files.get_mut(&id) else { return Ok(()) };
        let before_len = t.tailer.identity().fingerprint_len;
        match t.tailer.read_available(max_bytes)? {
            Read::Truncated { previous, offset } => {
                t.quiet_since = None;
                events.push(Event::Truncated { file: id, identity: t.tailer.identity().clone() });
                self.retire(previous, offset);
            }
            Read::Lines(lines) if !lines.is_empty() => {
                t.quiet_since = None;
                events.push(Event::Lines { file: id, lines });
                if t.tailer.identity().fingerprint_len != before_len {
                    events.push(Event::Identity { file: id, identity: t.tailer.identity().clone() });
                }
            }
            Read::Lines(_) => {
                if t.matched {
                    return Ok(());
                }
                let at_end = t.tailer.file_len()? <= t.tailer.offset();
                let since = *t.quiet_since.get_or_insert(now);
                if at_end
                    && now.duration_since(since) >= self.opts.close_after
                    && let Some(t) = self.files.remove(&id)
                {
                    events.push(Event::Closed { file: id });
                    self.retire(t.tailer.identity().clone(), t.tailer.offset());
                }
            }
        }
        Ok(())
    }

    fn retire(&mut self, identity: FileIdentity, offset: u64) {
        if self.retired.len() == RETIRED_KEPT {
            self.retired.pop_front();
        }
        self.retired.push_back((identity, offset));
    }
}

#[cfg(test)]
mod tests;
