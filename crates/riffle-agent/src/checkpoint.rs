//! Durable per-file checkpoints.
//!
//! One JSON file holds every flow's checkpoints; each commit writes a temporary file in the same
//! directory, fsyncs it, renames it over the old one and fsyncs the directory, so after a crash
//! the file is either the old or the new version, never a torn mix, and a committed checkpoint
//! survives power loss. Checkpoints are keyed by flow and [`FileIdentity`] rather than path,
//! because after rotation the path names a different file.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::identity::FileIdentity;

const FORMAT_VERSION: u32 = 1;

/// Why checkpoints could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A corrupt file is an error, not "no checkpoints": silently starting over would re-send
    /// (or with END_OF_FILE, skip) everything.
    #[error("checkpoint file {path} is corrupt: {source}")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("checkpoint file {path} has format version {found}, expected {FORMAT_VERSION}")]
    Version { path: PathBuf, found: u32 },
}

/// How far one file of one flow has been sent and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Flow id (`kinesis:<stream>:<pattern>`).
    pub flow: String,
    /// Where the file was last seen; informational, since rotation renames it.
    pub path: PathBuf,
    pub identity: FileIdentity,
    /// Byte offset just past the last acknowledged line.
    pub offset: u64,
    pub updated_unix_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    checkpoints: Vec<Checkpoint>,
}

/// The in-memory checkpoint table and the file it persists to.
#[derive(Debug)]
pub struct CheckpointStore {
    path: PathBuf,
    /// Keyed by (flow, device, inode): one inode holds one content stream at a time, so a new
    /// identity on the same inode (reuse, copytruncate) replaces the old entry.
    entries: HashMap<(String, u64, u64), Checkpoint>,
    dirty: bool,
}

impl CheckpointStore {
    /// Opens the store at `path`; a missing file is an empty store.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, CheckpointError> {
        let path = path.into();
        let io_err = |source| CheckpointError::Io { path: path.clone(), source };
        let entries = match fs::read(&path) {
            Ok(bytes) => {
                let disk: OnDisk = serde_json::from_slice(&bytes)
                    .map_err(|source| CheckpointError::Corrupt { path: path.clone(), source })?;
                if disk.version != FORMAT_VERSION {
                    return Err(CheckpointError::Version { path, found: disk.version });
                }
                disk.checkpoints.into_iter().map(|c| (key(&c.flow, &c.identity), c)).collect()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(io_err(e)),
        };
        Ok(Self { path, entries, dirty: false })
    }

    /// The checkpoint for `file` in `flow`, if one exists for the same content stream.
    pub fn lookup(&self, flow: &str, file: &File) -> io::Result<Option<&Checkpoint>> {
        let meta = file.metadata()?;
        use std::os::unix::fs::MetadataExt;
        match self.entries.get(&(flow.to_owned(), meta.dev(), meta.ino())) {
            Some(c) if c.identity.matches(file)? => Ok(Some(c)),
            _ => Ok(None),
        }
    }

    /// All checkpoints of a flow, most recently updated first.
    pub fn for_flow(&self, flow: &str) -> Vec<&Checkpoint> {
        let mut v: Vec<_> = self.entries.values().filter(|c| c.flow == flow).collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.updated_unix_ms));
        v
    }

    /// Records that `identity` in `flow` is acknowledged up to `offset` (in memory; see
    /// [`commit`](Self::commit)). Returns false, changing nothing, if that would move the same
    /// file's checkpoint backwards (an older buffer acknowledged after a newer one).
    pub fn advance(&mut self, flow: &str, path: &Path, identity: FileIdentity, offset: u64) -> bool {
        let k = key(flow, &identity);
        if let Some(old) = self.entries.get(&k) {
            // Equal identities, or a longer fingerprint of the same file (the caller refines
            // the identity only after `matches`); anything else is a new stream on this inode.
            let same_stream = old.identity == identity || old.identity.fingerprint_len < identity.fingerprint_len;
            if same_stream && old.offset > offset {
                return false;
            }
        }
        self.reset(flow, path, identity, offset);
        true
    }

    /// Records the first checkpoint of a new content stream on `identity`'s inode, replacing
    /// whatever was there (a copytruncated file's new content legitimately starts below the old
    /// offset, which [`advance`](Self::advance) would refuse).
    pub fn reset(&mut self, flow: &str, path: &Path, identity: FileIdentity, offset: u64) {
        let cp = Checkpoint {
            flow: flow.to_owned(),
            path: path.to_owned(),
            identity,
            offset,
            updated_unix_ms: unix_ms(SystemTime::now()),
        };
        self.entries.insert(key(flow, &cp.identity), cp);
        self.dirty = true;
    }

    /// Drops checkpoints not updated since `now - ttl` (the Java agent's checkpointTimeToLiveDays).
    pub fn prune(&mut self, ttl: Duration, now: SystemTime) {
        let cutoff = unix_ms(now).saturating_sub(ttl.as_millis() as u64);
        let before = self.entries.len();
        self.entries.retain(|_, c| c.updated_unix_ms >= cutoff);
        self.dirty |= self.entries.len() != before;
    }

    /// Writes the table durably if it changed since the last commit.
    pub fn commit(&mut self) -> Result<(), CheckpointError> {
        if !self.dirty {
            return Ok(());
        }
        let mut checkpoints: Vec<_> = self.entries.values().cloned().collect();
        checkpoints.sort_by(|a, b| (&a.flow, &a.path).cmp(&(&b.flow, &b.path)));
        let bytes =
            serde_json::to_vec_pretty(&OnDisk { version: FORMAT_VERSION, checkpoints }).expect("checkpoints serialize");
        write_atomically(&self.path, &bytes)
            .map_err(|source| CheckpointError::Io { path: self.path.clone(), source })?;
        self.dirty = false;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn key(flow: &str, identity: &FileIdentity) -> (String, u64, u64) {
    (flow.to_owned(), identity.dev, identity.ino)
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Temp file, fsync, rename, fsync of the directory (without which the rename itself may be
/// lost on power failure).
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path.file_name().ok_or_else(|| io::Error::other("checkpoint path has no file name"))?;
    let mut tmp_name = name.to_owned();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests;
