use std::fs::{self, OpenOptions};
use std::io::Write;

use super::*;

fn append(path: &Path, bytes: &[u8]) {
    OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(bytes).unwrap();
}

fn texts(p: &Poll) -> Vec<&str> {
    p.lines.iter().map(|l| std::str::from_utf8(&l.data).unwrap()).collect()
}

#[test]
fn reads_complete_lines_and_holds_back_a_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"one\ntwo\nthr");
    let mut t = Tailer::open_at(&log, 0).unwrap();
    let p = t.poll(1024).unwrap();
    assert_eq!(texts(&p), ["one", "two"]);
    assert_eq!(p.lines[1].end_offset, 8);
    assert_eq!(t.offset(), 8);
    assert_eq!(t.poll(1024).unwrap(), Poll::default());
    append(&log, b"ee\n");
    let p = t.poll(1024).unwrap();
    assert_eq!(texts(&p), ["three"]);
    assert_eq!(t.offset(), 14);
}

#[test]
fn resumes_from_an_offset_and_respects_the_byte_limit() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"aaaa\nbbbb\ncccc\n");
    let mut t = Tailer::open_at(&log, 5).unwrap();
    assert_eq!(texts(&t.poll(10).unwrap()), ["bbbb", "cccc"]);
    let mut t = Tailer::open_at(&log, 0).unwrap();
    assert_eq!(texts(&t.poll(7).unwrap()), ["aaaa"]);
    // Longer than the limit: handed out cut.
    let mut t = Tailer::open_at(&log, 0).unwrap();
    let p = t.poll(3).unwrap();
    assert_eq!(p.lines, [Line { data: b"aaa".to_vec(), end_offset: 3, cut: true }]);
}

#[test]
fn open_at_end_skips_existing_content() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"old\n");
    let mut t = Tailer::open_at_end(&log).unwrap();
    append(&log, b"new\n");
    assert_eq!(texts(&t.poll(1024).unwrap()), ["new"]);
}

#[test]
fn rename_and_create_drains_the_old_file_first() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"a\n");
    let mut t = Tailer::open_at(&log, 0).unwrap();
    assert_eq!(texts(&t.poll(1024).unwrap()), ["a"]);
    append(&log, b"b\n");
    fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append(&log, b"c\n");
    // The line written before the rename comes first, from the old inode.
    let p = t.poll(1024).unwrap();
    assert_eq!((texts(&p), p.rotation), (vec!["b"], None));
    let p = t.poll(1024).unwrap();
    assert_eq!((texts(&p), p.rotation), (vec![], Some(Rotation::Renamed)));
    assert_eq!(t.offset(), 0);
    assert_eq!(texts(&t.poll(1024).unwrap()), ["c"]);
}

#[test]
fn copytruncate_restarts_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"first line\nsecond line\n");
    let mut t = Tailer::open_at(&log, 0).unwrap();
    assert_eq!(t.poll(1024).unwrap().lines.len(), 2);
    let ino = t.identity().ino;
    fs::copy(&log, dir.path().join("app.log.1")).unwrap();
    OpenOptions::new().write(true).truncate(true).open(&log).unwrap();
    append(&log, b"x\n");
    let p = t.poll(1024).unwrap();
    assert_eq!(p.rotation, Some(Rotation::Truncated));
    assert_eq!(t.identity().ino, ino);
    assert_eq!(texts(&t.poll(1024).unwrap()), ["x"]);
}

#[test]
fn truncated_and_rewritten_past_the_offset_is_still_caught() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"2024 a\n");
    let mut t = Tailer::open_at(&log, 0).unwrap();
    assert_eq!(texts(&t.poll(1024).unwrap()), ["2024 a"]);
    OpenOptions::new().write(true).truncate(true).open(&log).unwrap();
    append(&log, b"2025 new content, longer than before\n");
    assert_eq!(t.poll(1024).unwrap().rotation, Some(Rotation::Truncated));
    assert_eq!(texts(&t.poll(1024).unwrap()), ["2025 new content, longer than before"]);
}

#[test]
fn deletion_is_reported_after_draining() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"a\n");
    let mut t = Tailer::open_at(&log, 0).unwrap();
    let mut f = OpenOptions::new().append(true).open(&log).unwrap();
    fs::remove_file(&log).unwrap();
    f.write_all(b"b\n").unwrap();
    assert_eq!(texts(&t.poll(1024).unwrap()), ["a", "b"]);
    assert_eq!(t.poll(1024).unwrap().rotation, Some(Rotation::Missing));
}
