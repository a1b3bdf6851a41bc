//! Model-based test of discovery and tailing: random file operations against the list of lines
//! written; every line must come out exactly once.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::checkpoint::CheckpointStore;
use crate::config::FilePattern;

#[derive(Debug, Clone)]
enum Op {
    /// Append lines to slot `f{slot}.log` (created if missing).
    Append {
        slot: u8,
        lines: u8,
    },
    /// logrotate's default: rename, the writer then creates a new file on its next append.
    Rename {
        slot: u8,
        matching: bool,
    },
    /// copytruncate, with `extra` lines written just before the copy (the agent has not seen
    /// them: only the copy has them). Extra lines need a copy the pattern matches.
    CopyTruncate {
        slot: u8,
        extra: u8,
        matching: bool,
    },
    Delete {
        slot: u8,
    },
    /// The agent stops (after catching up and checkpointing) and starts again.
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u8, 1..6u8).prop_map(|(slot, lines)| Op::Append { slot, lines }),
        1 => (0..3u8, any::<bool>()).prop_map(|(slot, matching)| Op::Rename { slot, matching }),
        1 => (0..3u8, 0..4u8, any::<bool>())
            .prop_map(|(slot, extra, matching)| Op::CopyTruncate { slot, extra: if matching { extra } else { 0 }, matching }),
        1 => (0..3u8).prop_map(|slot| Op::Delete { slot }),
        1 => Just(Op::Restart),
    ]
}

struct Harness<'a> {
    dir: &'a Path,
    tracker: FileTracker,
    next_line: u64,
    next_name: u64,
    written: Vec<String>,
    read: Vec<String>,
    /// Identity and read offset of every open content stream, for checkpoints at a restart.
    positions: HashMap<u64, (PathBuf, FileIdentity, u64)>,
}

fn tracker(dir: &Path, first_run: bool) -> FileTracker {
    let matcher = Matcher::new(&FilePattern { directory: dir.to_owned(), name_glob: "*.log".into() }).unwrap();
    let opts =
        TrackerOptions { initial_position: InitialPosition::StartOfFile, first_run, close_after: Duration::ZERO };
    FileTracker::new(matcher, opts)
}

impl Harness<'_> {
    fn slot(&self, slot: u8) -> PathBuf {
        self.dir.join(format!("f{slot}.log"))
    }

    fn append(&mut self, path: &Path, n: u8) {
        let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
        for _ in 0..n {
            let line = format!("line-{:06}-{}", self.next_line, "x".repeat((self.next_line % 7) as usize * 40));
            self.next_line += 1;
            writeln!(f, "{line}").unwrap();
            self.written.push(line);
        }
    }

    fn apply(&mut self, events: Vec<Event>) {
        for e in events {
            match e {
                Event::Opened { file, path, identity, offset, .. } => {
                    self.positions.insert(file, (path, identity, offset));
                }
                Event::Lines { file, lines } => {
                    for l in &lines {
                        self.read.push(String::from_utf8(l.data.clone()).unwrap());
                    }
                    if let (Some(p), Some(l)) = (self.positions.get_mut(&file), lines.last()) {
                        p.2 = l.end_offset;
                    }
                }
                Event::Truncated { file, identity } => {
                    if let Some(p) = self.positions.get_mut(&file) {
                        (p.1, p.2) = (identity, 0);
                    }
                }
                Event::Identity { file, identity } => {
                    if let Some(p) = self.positions.get_mut(&file) {
                        p.1 = identity;
                    }
                }
                Event::Closed { file } => {
                    self.positions.remove(&file);
                }
            }
        }
    }

    /// One notification's worth of work: rescan, read once.
    fn step(&mut self) {
        let events = self.tracker.scan(&mut |_| None).unwrap();
        self.apply(events);
        let events = self.tracker.poll(1 << 20, Instant::now()).unwrap();
        self.apply(events);
    }

    fn settle(&mut self) {
        for _ in 0..4 {
            self.step();
        }
    }

    fn run(&mut self, op: Op) {
        match op {
            Op::Append { slot, lines } => {
                let path = self.slot(slot);
                self.append(&path, lines);
            }
            Op::Rename { slot, matching } => {
                let from = self.slot(slot);
                if from.exists() {
                    self.next_name += 1;
                    let to = if matching {
                        format!("r{}.log", self.next_name)
                    } else {
                        format!("f{slot}.log.{}", self.next_name)
                    };
                    fs::rename(&from, self.dir.join(to)).unwrap();
                }
            }
            Op::CopyTruncate { slot, extra, matching } => {
                let from = self.slot(slot);
                if from.exists() {
                    self.append(&from, extra);
                    self.next_name += 1;
                    let to = if matching {
                        format!("c{}.log", self.next_name)
                    } else {
                        format!("f{slot}.log.{}", self.next_name)
                    };
                    fs::copy(&from, self.dir.join(to)).unwrap();
                    OpenOptions::new().write(true).truncate(true).open(&from).unwrap();
                }
            }
            Op::Delete { slot } => {
                let _ = fs::remove_file(self.slot(slot));
            }
            Op::Restart => {
                self.settle();
                let mut store = CheckpointStore::open(self.dir.join("../cp.json")).unwrap();
                for (path, identity, offset) in self.positions.values() {
                    store.reset("f", path, identity.clone(), *offset);
                }
                self.tracker = tracker(self.dir, false);
                self.positions.clear();
                let events = self.tracker.scan(&mut |f| store.lookup("f", f).ok().flatten().map(|c| c.offset)).unwrap();
                self.apply(events);
            }
        }
        self.step();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_line_is_read_exactly_once(ops in proptest::collection::vec(op(), 1..30)) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("logs");
        fs::create_dir(&dir).unwrap();
        let mut h = Harness {
            dir: &dir,
            tracker: tracker(&dir, true),
            next_line: 0,
            next_name: 0,
            written: Vec::new(),
            read: Vec::new(),
            positions: HashMap::new(),
        };
        for op in ops {
            h.run(op);
        }
        h.settle();
        let mut written = h.written.clone();
        let mut read = h.read.clone();
        written.sort();
        read.sort();
        prop_assert_eq!(read, written);
    }
}

#[test]
fn end_of_file_applies_to_the_first_scan_only() {
    let root = tempfile::tempdir().unwrap();
    fs::write(root.path().join("old.log"), b"before\n").unwrap();
    let matcher = Matcher::new(&FilePattern { directory: root.path().to_owned(), name_glob: "*.log".into() }).unwrap();
    let opts =
        TrackerOptions { initial_position: InitialPosition::EndOfFile, first_run: true, close_after: Duration::ZERO };
    let mut t = FileTracker::new(matcher, opts);
    t.scan(&mut |_| None).unwrap();
    fs::write(root.path().join("new.log"), b"fresh\n").unwrap();
    OpenOptions::new().append(true).open(root.path().join("old.log")).unwrap().write_all(b"after\n").unwrap();
    t.scan(&mut |_| None).unwrap();
    let mut got: Vec<String> = t
        .poll(1024, Instant::now())
        .unwrap()
        .into_iter()
        .flat_map(|e| match e {
            Event::Lines { lines, .. } => lines.into_iter().map(|l| String::from_utf8(l.data).unwrap()).collect(),
            _ => Vec::new(),
        })
        .collect();
    got.sort();
    assert_eq!(got, ["after", "fresh"]);
}
