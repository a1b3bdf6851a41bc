//! Read semantics: limits, crossing blocks and segments, the block-list cache.

use crate::util::{open, opts, read_all, rec};
use riffle_log::{FsyncPolicy, Log, LogOptions};
use riffle_types::ShardKey;

#[tokio::test]
async fn reads_honour_record_and_byte_limits() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    // Sizes (pk + data): 2+3, 2+10, 2+3.
    log.append(vec![rec(1, "pk", "abc"), rec(1, "pk", "0123456789"), rec(1, "pk", "xyz")]).await.unwrap();

    let b = log.read(ShardKey(1), 1, 2, 1000).unwrap();
    assert_eq!(b.records.iter().map(|r| r.counter).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(b.next_counter, 3);

    // 5 + 12 > 16: stop before the second record.
    let b = log.read(ShardKey(1), 1, 10, 16).unwrap();
    assert_eq!(b.records.len(), 1);
    assert_eq!(b.next_counter, 2);

    // A record bigger than max_bytes still comes back alone, so the shard is not stuck.
    let b = log.read(ShardKey(1), 2, 10, 1).unwrap();
    assert_eq!(b.records.len(), 1);
    assert_eq!(b.records[0].data, "0123456789");
    assert_eq!(b.next_counter, 3);

    // Past the end, and zero records asked for: nothing, and the cursor stays put.
    let b = log.read(ShardKey(1), 9, 10, 1000).unwrap();
    assert!(b.records.is_empty());
    assert_eq!(b.next_counter, 9);
    assert_eq!(log.read(ShardKey(1), 2, 0, 1000).unwrap().next_counter, 2);

    // Counter 0 is nobody's: reading from it starts at the first record.
    assert_eq!(log.read(ShardKey(1), 0, 1, 1000).unwrap().records[0].counter, 1);
    // An unknown shard is empty.
    let b = log.read(ShardKey(99), 0, 10, 1000).unwrap();
    assert!(b.records.is_empty());
    assert_eq!(b.next_counter, 1);
}

#[tokio::test]
async fn a_multi_shard_append_orders_each_shard_in_request_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let got = log
        .append(vec![rec(1, "a", "1a"), rec(2, "a", "2a"), rec(1, "b", "1b"), rec(3, "a", "3a"), rec(2, "b", "2b")])
        .await
        .unwrap();
    assert_eq!(got.iter().map(|a| a.counter).collect::<Vec<_>>(), [1, 1, 2, 1, 2]);
    assert_eq!(read_all(&log, 1), [(1, "1a".to_string()), (2, "1b".to_string())]);
    assert_eq!(read_all(&log, 2), [(1, "2a".to_string()), (2, "2b".to_string())]);
    assert_eq!(read_all(&log, 3), [(1, "3a".to_string())]);
    assert_eq!(log.shards(), [ShardKey(1), ShardKey(2), ShardKey(3)]);
}

/// Many small segments with room for one cached block list: reading everything rebuilds
/// block lists from frame headers and still returns every record in order.
#[tokio::test]
async fn reads_cross_segments_through_a_tiny_block_list_cache() {
    let dir = tempfile::tempdir().unwrap();
    let options = LogOptions { index_cache_segments: 1, ..opts(FsyncPolicy::Never, 256) };
    let log = Log::open(dir.path(), options.clone()).unwrap();
    let mut expected = Vec::new();
    for i in 0..200u64 {
        let data = format!("record-{i}");
        log.append(vec![rec(i % 3, "k", &data), rec(7, "k", &data)]).await.unwrap();
        expected.push((i + 1, data));
    }
    assert!(crate::util::segments(dir.path()).len() > 20);
    let check = |log: &Log| {
        assert_eq!(read_all(log, 7), expected);
        // Small pages from every start point agree with the whole.
        for from in (0..=201).step_by(17) {
            let page = log.read(ShardKey(7), from, 5, usize::MAX).unwrap();
            let want: Vec<u64> = (from.max(1)..=200).take(5).collect();
            assert_eq!(page.records.iter().map(|r| r.counter).collect::<Vec<_>>(), want);
        }
    };
    check(&log);
    log.shutdown();
    let log = Log::open(dir.path(), options).unwrap();
    let loads = log.stats().block_list_loads;
    check(&log);
    assert!(log.stats().block_list_loads > loads, "old segments were read through rebuilt block lists");
}

/// A shard with far more blocks in one segment than a single index lookup hands out.
#[tokio::test]
async fn reads_walk_many_blocks_of_one_segment() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), opts(FsyncPolicy::Never, 1 << 30)).unwrap();
    for i in 0..300u64 {
        log.append(vec![rec(1, "k", &i.to_string())]).await.unwrap();
    }
    let check = |log: &Log| {
        let all = read_all(log, 1);
        assert_eq!(all.len(), 300);
        assert!(all.iter().enumerate().all(|(i, (c, d))| *c == i as u64 + 1 && *d == i.to_string()));
        let mut from = 0;
        let mut seen = 0;
        loop {
            let page = log.read(ShardKey(1), from, 7, usize::MAX).unwrap();
            if page.records.is_empty() {
                break;
            }
            seen += page.records.len();
            from = page.next_counter;
        }
        assert_eq!(seen, 300);
    };
    check(&log);
    log.shutdown();
    // Now the same blocks sit in a sealed segment, read through a rebuilt block list.
    let log =
        Log::open(dir.path(), LogOptions { index_cache_segments: 1, ..opts(FsyncPolicy::Never, 1 << 30) }).unwrap();
    check(&log);
}
