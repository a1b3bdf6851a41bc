//! Recovery on hand-damaged files: torn tails in the last segment are cut off; damage anywhere
//! else refuses the open (or, inside a block of a sealed segment, fails the read).

use crate::util::{FILE_HEADER_LEN, file_len, flip_byte, frames, open, read_all, rec, segments};
use riffle_log::{Log, LogError, LogOptions};
use riffle_types::ShardKey;
use std::io::Write;
use std::path::Path;

/// One segment: checkpoint, then a frame of 3 records and a frame of 2 for shard 1.
async fn two_frames(dir: &Path) {
    let log = open(dir);
    log.append(vec![rec(1, "a", "one"), rec(1, "a", "two"), rec(1, "a", "three")]).await.unwrap();
    log.append(vec![rec(1, "b", "four"), rec(1, "b", "five")]).await.unwrap();
    log.shutdown();
}

fn data(log: &Log) -> Vec<String> {
    read_all(log, 1).into_iter().map(|(_, d)| d).collect()
}

fn expect_corrupt(dir: &Path, path: &Path, offset: u64) {
    match Log::open(dir, LogOptions::default()) {
        Err(LogError::Corrupt { path: p, offset: o, .. }) => {
            assert_eq!(p, path.display().to_string());
            assert_eq!(o, offset);
        }
        other => panic!("expected Corrupt at {} offset {offset}, got {other:?}", path.display()),
    }
}

#[tokio::test]
async fn a_truncated_last_frame_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    let seg = &segments(dir.path())[0];
    let all = frames(seg);
    assert_eq!(all.iter().map(|f| f.kind).collect::<Vec<_>>(), [2, 1, 1], "checkpoint, data, data");
    let last = all[2];
    std::fs::OpenOptions::new().write(true).open(seg).unwrap().set_len(last.end() - 3).unwrap();

    let log = open(dir.path());
    assert_eq!(data(&log), ["one", "two", "three"]);
    assert_eq!(file_len(seg), last.offset, "torn frame truncated away");
    // The lost write was never acknowledged; its counters go to the next one.
    assert_eq!(log.append(vec![rec(1, "c", "six")]).await.unwrap()[0].counter, 4);
}

#[tokio::test]
async fn garbage_after_the_last_frame_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    let seg = &segments(dir.path())[0];
    let len = file_len(seg);
    let mut f = std::fs::OpenOptions::new().append(true).open(seg).unwrap();
    f.write_all(&[0u8; 100]).unwrap();
    f.write_all(b"RFRM and then some nonsense").unwrap();
    drop(f);

    let log = open(dir.path());
    assert_eq!(data(&log), ["one", "two", "three", "four", "five"]);
    assert_eq!(file_len(seg), len);
}

#[tokio::test]
async fn a_bad_block_crc_in_the_last_segment_truncates_from_that_frame() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    let seg = &segments(dir.path())[0];
    let last = *frames(seg).last().unwrap();
    flip_byte(seg, last.body_start() + 2);

    let log = open(dir.path());
    assert_eq!(data(&log), ["one", "two", "three"]);
    assert_eq!(file_len(seg), last.offset);
}

#[tokio::test]
async fn a_bad_frame_header_in_an_earlier_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    // Reopening starts segment 2; segment 1 is now sealed.
    let log = open(dir.path());
    log.append(vec![rec(1, "c", "six")]).await.unwrap();
    log.shutdown();
    drop(log);
    let seg = &segments(dir.path())[0];
    let victim = frames(seg)[1];
    flip_byte(seg, victim.offset + FILE_HEADER_LEN + 20);
    expect_corrupt(dir.path(), seg, victim.offset);
    // Refusing is not repairing: the file is untouched and still refused.
    expect_corrupt(dir.path(), seg, victim.offset);
}

#[tokio::test]
async fn a_torn_frame_in_an_earlier_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    drop(open(dir.path()));
    let seg = &segments(dir.path())[0];
    let last = *frames(seg).last().unwrap();
    std::fs::OpenOptions::new().write(true).open(seg).unwrap().set_len(last.end() - 1).unwrap();
    expect_corrupt(dir.path(), seg, last.offset);
}

#[tokio::test]
async fn a_bad_block_in_an_earlier_segment_fails_the_read_not_the_open() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    drop(open(dir.path()));
    let seg = &segments(dir.path())[0];
    let first_data = frames(seg)[1];
    flip_byte(seg, first_data.body_start() + 1);

    let log = open(dir.path());
    match log.read(ShardKey(1), 1, 10, usize::MAX) {
        Err(LogError::Corrupt { path, offset, .. }) => {
            assert_eq!(path, seg.display().to_string());
            assert_eq!(offset, first_data.body_start());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // Records in other blocks are still readable.
    let tail = log.read(ShardKey(1), 4, 10, usize::MAX).unwrap();
    assert_eq!(tail.records.len(), 2);
}

#[tokio::test]
async fn empty_and_header_only_last_segments_are_fine() {
    for junk in [&b""[..], b"RFL", b"RFLG\x01\x00\x00\x00"] {
        let dir = tempfile::tempdir().unwrap();
        two_frames(dir.path()).await;
        let stray = dir.path().join("00000000000000000002.seg");
        std::fs::write(&stray, junk).unwrap();
        let log = open(dir.path());
        assert_eq!(data(&log).len(), 5);
        // The empty segment was replaced by the new active one, under the same name.
        assert_eq!(segments(dir.path()).len(), 2);
        assert!(file_len(&stray) > FILE_HEADER_LEN);
        assert_eq!(log.append(vec![rec(1, "c", "six")]).await.unwrap()[0].counter, 6);
    }
}

#[tokio::test]
async fn a_torn_checkpoint_in_a_new_last_segment_keeps_counters_from_older_ones() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    drop(open(dir.path()));
    let seg2 = &segments(dir.path())[1];
    std::fs::OpenOptions::new().write(true).open(seg2).unwrap().set_len(FILE_HEADER_LEN + 5).unwrap();
    let log = open(dir.path());
    assert_eq!(log.shard_state(ShardKey(1)).next_counter, 6);
}

#[tokio::test]
async fn bad_file_headers_are_refused() {
    for (offset_in_header, is_last) in [(0, false), (0, true), (4, false)] {
        let dir = tempfile::tempdir().unwrap();
        two_frames(dir.path()).await;
        if !is_last {
            drop(open(dir.path()));
        }
        let seg = &segments(dir.path())[0];
        flip_byte(seg, offset_in_header);
        expect_corrupt(dir.path(), seg, 0);
    }
}

#[tokio::test]
async fn a_newer_format_version_is_refused_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    two_frames(dir.path()).await;
    let seg = &segments(dir.path())[0];
    let mut bytes = std::fs::read(seg).unwrap();
    bytes[4] = 2;
    std::fs::write(seg, bytes).unwrap();
    match Log::open(dir.path(), LogOptions::default()) {
        Err(LogError::Corrupt { reason, .. }) => assert!(reason.contains("version 2"), "{reason}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_missing_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/log");
    let log = open(&path);
    assert_eq!(segments(&path).len(), 1);
    assert!(log.shards().is_empty());
}
