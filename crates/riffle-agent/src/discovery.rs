//! Which files a flow's `filePattern` names right now.
//!
//! As in the Java agent, the directory part is literal and the glob applies to the file name
//! only, so one `read_dir` of one directory answers it. Compressed files (rotated and packed by
//! logrotate) are never candidates: their bytes are not lines, and their content was already
//! read from the file they were rotated from.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::SystemTime;

use globset::{GlobBuilder, GlobMatcher};

use crate::config::FilePattern;

/// Extensions of compressed or archived files, compared case-insensitively.
const COMPRESSED: &[&str] =
    &["gz", "tgz", "bz2", "tbz2", "xz", "txz", "lz", "lz4", "lzma", "zst", "zip", "7z", "z", "br"];

/// A file that matches a flow's pattern, as `stat` saw it during one listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    pub modified: SystemTime,
}

/// A compiled `filePattern`.
#[derive(Debug, Clone)]
pub struct Matcher {
    directory: PathBuf,
    glob: GlobMatcher,
}

impl Matcher {
    /// Compiles the name glob (`*`, `?`, `[...]`, `{a,b}`; `*` never crosses a `/`).
    pub fn new(pattern: &FilePattern) -> Result<Self, globset::Error> {
        let glob = GlobBuilder::new(&pattern.name_glob).literal_separator(true).build()?.compile_matcher();
        Ok(Self { directory: pattern.directory.clone(), glob })
    }

    pub fn directory(&self) -> &std::path::Path {
        &self.directory
    }

    /// Whether a file name is one of the flow's (and not compressed).
    pub fn matches_name(&self, name: &str) -> bool {
        self.glob.is_match(name) && !is_compressed(name)
    }

    /// Regular files matching now, newest first by modification time (the Java agent's order),
    /// then by name for a stable order. A missing directory is no files yet, not an error: it
    /// may be created later. Entries that vanish while listed are skipped.
    pub fn list(&self) -> io::Result<Vec<Candidate>> {
        let entries = match std::fs::read_dir(&self.directory) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !self.matches_name(name) {
                continue;
            }
            // Follows symlinks, as a log path that is a link should be read through it.
            let meta = match std::fs::metadata(entry.path()) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if !meta.is_file() {
                continue;
            }
            out.push(Candidate {
                path: entry.path(),
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        out.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| a.path.cmp(&b.path)));
        Ok(out)
    }
}

/// Whether a name ends in a compression or archive extension.
pub fn is_compressed(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| COMPRESSED.iter().any(|c| ext.eq_ignore_ascii_case(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(dir: &std::path::Path, glob: &str) -> Matcher {
        Matcher::new(&FilePattern { directory: dir.to_owned(), name_glob: glob.into() }).unwrap()
    }

    #[test]
    fn lists_matching_regular_files_but_not_compressed_ones() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["app.log", "app.log.1", "app.log.2.gz", "app.log.3.bz2", "other.txt"] {
            std::fs::write(dir.path().join(name), b"x\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("app.log.d")).unwrap();
        let m = matcher(dir.path(), "app.log*");
        let mut names: Vec<_> = m.list().unwrap().into_iter().map(|c| c.path.file_name().unwrap().to_owned()).collect();
        names.sort();
        assert_eq!(names, ["app.log", "app.log.1"]);
    }

    #[test]
    fn missing_directory_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matcher(&dir.path().join("nope"), "*.log").list().unwrap().is_empty());
    }

    #[test]
    fn compressed_extensions() {
        assert!(is_compressed("a.log.1.gz") && is_compressed("a.ZIP") && is_compressed("x.log.xz"));
        assert!(!is_compressed("a.log") && !is_compressed("a.log.1") && !is_compressed("gz"));
    }
}
