//! Group commit: concurrent appends share fsyncs.

use crate::util::{open, rec};
use riffle_types::ShardKey;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let before = log.stats();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64u64 {
        let (log, barrier) = (log.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            log.append(vec![rec(i % 4, "k", "v"), rec(1000 + i, "k", "v")]).await.unwrap()
        });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().len(), 2);
    }
    let after = log.stats();
    assert_eq!(after.appends - before.appends, 64);
    assert!(after.fsyncs - before.fsyncs < 64, "{} fsyncs for 64 appends", after.fsyncs - before.fsyncs);
    // The syncer may cover several frames with one fsync, never the reverse.
    assert!(after.fsyncs - before.fsyncs <= after.frames - before.frames, "at most one fsync per group");
    for s in 0..4 {
        let counters: Vec<u64> =
            log.read(ShardKey(s), 0, 100, usize::MAX).unwrap().records.iter().map(|r| r.counter).collect();
        assert_eq!(counters, (1..=16).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn one_append_across_256_shards_costs_one_frame_and_one_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let before = log.stats();
    let records = (0..512u64).map(|i| rec(i % 256, "k", &i.to_string())).collect();
    log.append(records).await.unwrap();
    let after = log.stats();
    assert_eq!(after.frames - before.frames, 1);
    assert_eq!(after.fsyncs - before.fsyncs, 1);
    assert_eq!(log.shards().len(), 256);
    assert_eq!(log.shard_state(ShardKey(255)).next_counter, 3);
}

/// Under `Interval`, an idle writer still syncs once the interval is up.
#[tokio::test]
async fn interval_policy_syncs_an_idle_log() {
    let dir = tempfile::tempdir().unwrap();
    let policy = riffle_log::FsyncPolicy::Interval(std::time::Duration::from_millis(5));
    let log = riffle_log::Log::open(dir.path(), crate::util::opts(policy, 1 << 20)).unwrap();
    let before = log.stats().fsyncs;
    log.append(vec![rec(1, "k", "v")]).await.unwrap();
    // Acknowledged before any fsync; then the sync comes without further appends. Polls up to
    // 10 s so a slow machine cannot fail it; normally it takes ~5 ms.
    for _ in 0..10_000 {
        if log.stats().fsyncs > before {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!("no fsync within 10 s of an Interval(5 ms) write");
}
