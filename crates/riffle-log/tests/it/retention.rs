//! Retention: trim counters, timestamps, dropped shards, reclaim — and counters that are never
//! reused once the segments holding a shard's records are gone.

use crate::util::{now_ms, open, opts, read_all, rec, segments};
use riffle_log::{FsyncPolicy, Log};
use riffle_types::ShardKey;
use std::time::Duration;

fn small(dir: &std::path::Path) -> Log {
    Log::open(dir, opts(FsyncPolicy::Never, 300)).unwrap()
}

/// Waits until the wall clock has passed `ms` so the next arrival is strictly later.
fn after(ms: i64) {
    while now_ms() <= ms {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[tokio::test]
async fn counters_are_never_reused_after_reclaim_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let log = small(dir.path());
    for i in 0..10 {
        log.append(vec![rec(1, "k", &format!("old-{i}")), rec(2, "k", "filler")]).await.unwrap();
    }
    let last = log.shard_state(ShardKey(1)).last_arrival_ms;
    after(last);
    // Shard 2 keeps writing, so shard 1's segments are all sealed.
    for _ in 0..10 {
        log.append(vec![rec(2, "k", "newer filler")]).await.unwrap();
    }
    let cutoff = now_ms();
    log.set_retention_cutoff(ShardKey(1), cutoff);
    log.set_retention_cutoff(ShardKey(2), cutoff);
    assert_eq!(log.shard_state(ShardKey(1)).trim_counter, 11);
    assert!(log.read(ShardKey(1), 0, 100, usize::MAX).unwrap().records.is_empty());
    let before = segments(dir.path()).len();
    let deleted = log.reclaim().unwrap();
    assert!(deleted > 0);
    assert_eq!(segments(dir.path()).len(), before - deleted);
    assert_eq!(log.stats().segments_deleted, deleted as u64);
    log.shutdown();
    drop(log);

    // No segment holds a record of shard 1 any more; the checkpoint alone remembers it.
    let log = small(dir.path());
    let state = log.shard_state(ShardKey(1));
    assert_eq!((state.trim_counter, state.next_counter, state.last_arrival_ms), (11, 11, last));
    assert!(log.shards().contains(&ShardKey(1)));
    let got = log.append(vec![rec(1, "k", "new")]).await.unwrap();
    assert_eq!(got[0].counter, 11);
    assert_eq!(read_all(&log, 1), [(11, "new".to_string())]);
}

#[tokio::test]
async fn cutoffs_and_timestamps_work_at_record_granularity() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let mut arrivals = Vec::new();
    for i in 0..4 {
        // Several records per block, each block at a later millisecond.
        let got = log.append(vec![rec(5, "k", &format!("{i}a")), rec(5, "k", &format!("{i}b"))]).await.unwrap();
        arrivals.push(got[0].arrival_ms);
        after(got[1].arrival_ms);
    }
    let shard = ShardKey(5);
    assert_eq!(log.counter_at_timestamp(shard, 0), 1);
    assert_eq!(log.counter_at_timestamp(shard, arrivals[2]), 5);
    assert_eq!(log.counter_at_timestamp(shard, arrivals[2] + 1), 7);
    assert_eq!(log.counter_at_timestamp(shard, i64::MAX), 9);
    assert_eq!(log.counter_at_timestamp(ShardKey(6), 0), 1);

    log.set_retention_cutoff(shard, arrivals[1]);
    assert_eq!(log.shard_state(shard).trim_counter, 3);
    // Never backwards.
    log.set_retention_cutoff(shard, arrivals[0]);
    assert_eq!(log.shard_state(shard).trim_counter, 3);
    assert_eq!(log.counter_at_timestamp(shard, 0), 3);
    assert_eq!(log.read(shard, 1, 1, usize::MAX).unwrap().records[0].counter, 3);
    log.set_retention_cutoff(shard, i64::MAX);
    assert_eq!(log.shard_state(shard).trim_counter, 9);
    let b = log.read(shard, 0, 10, usize::MAX).unwrap();
    assert!(b.records.is_empty());
    assert_eq!(b.next_counter, 9);
}

#[tokio::test]
async fn dropped_shards_vanish_and_their_segments_are_reclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let log = small(dir.path());
    for i in 0..20 {
        log.append(vec![rec(3, "k", &format!("doomed-{i}"))]).await.unwrap();
    }
    for i in 0..5 {
        log.append(vec![rec(4, "k", &format!("kept-{i}"))]).await.unwrap();
    }
    log.drop_shard(ShardKey(3));
    assert_eq!(log.shards(), [ShardKey(4)]);
    assert!(log.read(ShardKey(3), 0, 100, usize::MAX).unwrap().records.is_empty());
    assert!(log.reclaim().unwrap() > 0);
    assert_eq!(read_all(&log, 4).len(), 5);
    // Nothing to do twice.
    assert_eq!(log.reclaim().unwrap(), 0);
    log.shutdown();
    drop(log);
    // Shard 3 is left only in segments that also hold shard 4, if any; once those go too, a
    // restart forgets it, because checkpoints leave dropped shards out.
    let log = small(dir.path());
    assert_eq!(read_all(&log, 4).len(), 5);
    log.drop_shard(ShardKey(3));
    assert_eq!(log.shards(), [ShardKey(4)]);
}

#[tokio::test]
async fn reclaim_keeps_segments_with_anything_visible() {
    let dir = tempfile::tempdir().unwrap();
    let log = small(dir.path());
    for i in 0..30 {
        log.append(vec![rec(1, "k", &format!("r{i}")), rec(2, "k", "x")]).await.unwrap();
    }
    // Shard 1 trimmed entirely, shard 2 not at all: every segment stays, except those holding
    // no blocks (checkpoint-only ones, if any).
    log.set_retention_cutoff(ShardKey(1), now_ms() + 1);
    log.reclaim().unwrap();
    assert_eq!(read_all(&log, 2).len(), 30);
    assert_eq!(log.shard_state(ShardKey(2)).trim_counter, 1);
}
