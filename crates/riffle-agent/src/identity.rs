//! File identity: device + inode + a fingerprint of the file's first bytes.
//!
//! Device and inode alone are not enough: after deletion the kernel reuses inode numbers, and
//! copytruncate keeps the inode while replacing the content. Hashing the first bytes tells a
//! reused inode or a truncated-and-rewritten file from the one a checkpoint was written for.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How many leading bytes are fingerprinted. Log lines start with timestamps, so 1 KiB is
/// nearly always distinct between files.
pub const FINGERPRINT_BYTES: u64 = 1024;

/// Identity of one file's content stream, persisted in checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileIdentity {
    pub dev: u64,
    pub ino: u64,
    /// Number of leading bytes hashed (less than [`FINGERPRINT_BYTES`] while the file is short).
    pub fingerprint_len: u64,
    /// Hex SHA-256 of those bytes.
    pub fingerprint: String,
}

impl FileIdentity {
    /// Identity of an open file, from its current first bytes.
    pub fn of_file(file: &File) -> io::Result<Self> {
        let meta = file.metadata()?;
        let len = meta.len().min(FINGERPRINT_BYTES);
        Ok(Self {
            dev: meta.dev(),
            ino: meta.ino(),
            fingerprint_len: len,
            fingerprint: hash_prefix(file, len)?.unwrap_or_default(),
        })
    }

    /// Whether `file` is the same content stream: same device and inode, and its first
    /// `fingerprint_len` bytes still hash the same (a file that only grew still matches).
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        let meta = file.metadata()?;
        if meta.dev() != self.dev || meta.ino() != self.ino {
            return Ok(false);
        }
        Ok(hash_prefix(file, self.fingerprint_len)?.as_deref() == Some(self.fingerprint.as_str()))
    }

    /// Whether `file`, whatever its inode, starts with the bytes this identity fingerprinted: a
    /// copy of this content stream (copytruncate's copy). An empty fingerprint matches nothing.
    pub fn is_prefix_of(&self, file: &File) -> io::Result<bool> {
        if self.fingerprint_len == 0 {
            return Ok(false);
        }
        Ok(hash_prefix(file, self.fingerprint_len)?.as_deref() == Some(self.fingerprint.as_str()))
    }

    /// Whether the fingerprint covers fewer bytes than it could; the caller should then
    /// re-take the identity (after checking [`matches`](Self::matches)) as the file grows.
    pub fn is_partial(&self) -> bool {
        self.fingerprint_len < FINGERPRINT_BYTES
    }
}

/// Hex SHA-256 of the first `len` bytes, or `None` if the file is now shorter than `len`.
fn hash_prefix(file: &File, len: u64) -> io::Result<Option<String>> {
    let mut buf = vec![0u8; len as usize];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => return Ok(None),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let digest = Sha256::digest(&buf);
    Ok(Some(digest.iter().map(|b| format!("{b:02x}")).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn growing_file_keeps_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut f = File::create(&path).unwrap();
        f.write_all(b"first line\n").unwrap();
        let id = FileIdentity::of_file(&File::open(&path).unwrap()).unwrap();
        assert_eq!(id.fingerprint_len, 11);
        assert!(id.is_partial());
        f.write_all(&[b'x'; 4000]).unwrap();
        let reopened = File::open(&path).unwrap();
        assert!(id.matches(&reopened).unwrap());
        let full = FileIdentity::of_file(&reopened).unwrap();
        assert_eq!(full.fingerprint_len, FINGERPRINT_BYTES);
        assert!(!full.is_partial());
    }

    #[test]
    fn truncated_and_rewritten_file_is_a_new_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"old content\n").unwrap();
        let id = FileIdentity::of_file(&File::open(&path).unwrap()).unwrap();
        // copytruncate: same inode, new content.
        let f = std::fs::OpenOptions::new().write(true).truncate(true).open(&path).unwrap();
        f.write_all_at(b"new content\n", 0).unwrap();
        let reopened = File::open(&path).unwrap();
        assert!(!id.matches(&reopened).unwrap());
        // Truncated to shorter than the fingerprint: also not a match.
        f.set_len(3).unwrap();
        assert!(!id.matches(&reopened).unwrap());
    }

    #[test]
    fn other_inode_with_same_content_is_not_a_match() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"same\n").unwrap();
        std::fs::write(dir.path().join("b"), b"same\n").unwrap();
        let a = FileIdentity::of_file(&File::open(dir.path().join("a")).unwrap()).unwrap();
        let b = File::open(dir.path().join("b")).unwrap();
        assert!(!a.matches(&b).unwrap());
        assert_eq!(a.fingerprint, FileIdentity::of_file(&b).unwrap().fingerprint);
    }
}
