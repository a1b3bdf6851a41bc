//! Records with the same partition key reach the stream in put order, also when entries fail
//! and are retried.

use crate::common::*;
use std::collections::HashMap;

/// Puts `n` records over `keys` keys to a stream whose PutRecords entries fail 30% of the
/// time, then checks every key's records are in the stream exactly once and in put order.
async fn order_survives_retries(aggregation: bool, name: &str) {
    let server = flaky_server(0.3).await;
    stream(&server, name, 3).await;
    let p = producer(&server, quick().aggregation_enabled(aggregation).aggregation_max_count(20)).await;
    let (n, keys) = (3000, 7);
    let mut futures = Vec::new();
    for i in 0..n {
        let key = format!("key-{}", i % keys);
        futures.push(p.put(name, &key, format!("{key}|{i}")).await.unwrap());
        if i % 500 == 0 {
            // Let calls fail and retry while later records for the same keys arrive.
            tokio::task::yield_now().await;
        }
    }
    let results = outcomes(futures).await;
    p.shutdown().await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert!(results.iter().any(|r| r.as_ref().unwrap().attempt_count() > 1), "some entries were retried");

    let reads = read_all(&server, name).await;
    assert_eq!(reads.len(), n);
    let mut last: HashMap<String, i64> = HashMap::new();
    for r in reads {
        let text = String::from_utf8(r.data).unwrap();
        let (key, i) = text.split_once('|').unwrap();
        assert_eq!(key, r.partition_key);
        let i: i64 = i.parse().unwrap();
        let prev = last.insert(key.to_string(), i).unwrap_or(-1);
        assert!(prev < i, "{key}: record {i} arrived after record {prev}");
    }
}

#[tokio::test]
async fn order_per_key_survives_retries_without_aggregation() {
    order_survives_retries(false, "order-raw").await;
}

#[tokio::test]
async fn order_per_key_survives_retries_with_aggregation() {
    order_survives_retries(true, "order-agg").await;
}

/// Puts interleaved over two streams (taken in by the producer as one batch, which it sorts by
/// stream and shard) land each in its own stream, once, every key's records in put order.
#[tokio::test]
async fn interleaved_streams_each_get_their_records_in_order() {
    let server = server_with(|_| {}).await;
    stream(&server, "left", 2).await;
    stream(&server, "right", 3).await;
    let p = producer(&server, quick()).await;
    // Both shard maps first, so the burst is routed (sorted by stream and shard) as it is taken
    // in, rather than waiting for the maps and being routed one record at a time.
    for name in ["left", "right"] {
        p.put(name, "warm", format!("{name}|warm|-1")).await.unwrap().await.expect("written");
    }
    let (n, keys) = (3000, 11);
    let mut futures = Vec::new();
    for i in 0..n {
        let name = if i % 3 == 0 { "left" } else { "right" };
        let key = format!("key-{}", i % keys);
        futures.push((name, p.put(name, &key, format!("{name}|{key}|{i}")).await.unwrap()));
        if i == n / 2 {
            // A command amid the puts of one batch.
            p.flush();
        }
    }
    for (name, f) in futures {
        let o = f.await.expect("written");
        assert!(o.shard_id().starts_with("shardId-"), "{name}: {o:?}");
        assert!(o.aggregated(), "{name}: routed into an aggregate with others");
    }
    p.shutdown().await;
    for (name, expected) in [("left", n / 3 + 1), ("right", n - n / 3 + 1)] {
        let reads = read_all(&server, name).await;
        assert_eq!(reads.len(), expected, "{name}: each of its records exactly once");
        let mut last: HashMap<String, i64> = HashMap::new();
        for r in reads {
            let text = String::from_utf8(r.data).unwrap();
            let mut parts = text.split('|');
            let (stream, key, i) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            assert_eq!((stream, key), (name, r.partition_key.as_str()));
            assert!(r.in_range, "aggregates hold only records of their shard");
            let i: i64 = i.parse().unwrap();
            let prev = last.insert(key.to_string(), i).unwrap_or(i64::MIN);
            assert!(prev < i, "{name} {key}: record {i} arrived after record {prev}");
        }
    }
}
