//! Splitting a shard while the producer writes: the producer notices records landing on shards
//! it did not predict, reloads its shard map and aggregates for the children from then on.

use crate::common::*;
use aws_sdk_kinesis::types::StreamStatus;
use std::collections::HashSet;

async fn wait_active(server: &riffle_testkit::TestServer, name: &str) {
    let client = server.client().await;
    loop {
        let s = client.describe_stream_summary().stream_name(name).send().await.unwrap();
        if s.stream_description_summary().unwrap().stream_status() == &StreamStatus::Active {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_split_mid_stream_reroutes_aggregation() {
    let server = server_with(|_| {}).await;
    stream(&server, "split", 1).await;
    let p = producer(&server, quick()).await;
    let keys: Vec<String> = (0..64).map(|k| format!("user-{k}")).collect();
    let mut sent = Vec::new();
    let mut futures = Vec::new();
    for (i, key) in keys.iter().cycle().take(1000).enumerate() {
        sent.push(format!("{key}|{i}"));
        futures.push(p.put("split", key, format!("{key}|{i}")).await.unwrap());
    }
    p.flush_and_wait().await;

    let client = server.client().await;
    client
        .split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .unwrap();
    wait_active(&server, "split").await;

    // The producer still predicts the parent: the first calls land on the children.
    let mut after = Vec::new();
    for round in 0..5 {
        for (i, key) in keys.iter().enumerate() {
            let data = format!("{key}|{}", 1000 + round * 64 + i);
            sent.push(data.clone());
            after.push(p.put("split", key, data).await.unwrap());
        }
        p.flush_and_wait().await;
    }
    let before = outcomes(futures).await;
    let after = outcomes(after).await;
    p.shutdown().await;
    assert!(before.iter().all(|r| r.as_ref().unwrap().shard_id() == "shardId-000000000000"));
    let child_shards: HashSet<String> =
        after.iter().map(|r| r.as_ref().expect("written").shard_id().to_string()).collect();
    assert_eq!(child_shards, HashSet::from(["shardId-000000000001".to_string(), "shardId-000000000002".to_string()]));
    // The last round went out after the map was reloaded: aggregated per child.
    assert!(after[after.len() - 64..].iter().all(|r| r.as_ref().unwrap().aggregated()));

    // Every record is readable where a KCL with the lease's hash range would keep it.
    let reads = read_all(&server, "split").await;
    let visible: HashSet<&[u8]> = reads.iter().filter(|r| r.in_range).map(|r| &r.data[..]).collect();
    for data in &sent {
        assert!(visible.contains(data.as_bytes()), "{data} is visible in its shard");
    }
    // The first call after the split put an aggregate on a child that does not own all of
    // it; its records were put again, so the stream holds more than was sent.
    assert!(reads.len() > sent.len());
}
