//! Splits and merges mid-stream: every record once in per-key order, and each child shard
//! initialized only after its parents ended.

use crate::common::*;
use riffle_testkit::TestServer;
use std::collections::HashMap;

async fn wait_active(client: &aws_sdk_kinesis::Client, name: &str) {
    wait_until("stream ACTIVE", LONG, || async {
        let s = client.describe_stream_summary().stream_name(name).send().await.unwrap();
        s.stream_description_summary().unwrap().stream_status() == &aws_sdk_kinesis::types::StreamStatus::Active
    })
    .await;
}

fn shard(i: u32) -> String {
    format!("shardId-{i:012}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_and_merge_keep_per_key_order_and_parents_before_children() {
    let server = TestServer::start().await;
    let client = stream(&server, "reshard", 2).await;
    let log = Log::default();
    let a = start(&server, config("reshard-app", "reshard", "a"), &log).await;
    let b = start(&server, config("reshard-app", "reshard", "b"), &log).await;
    let keys = keys(12);
    put(&client, "reshard", &keys, 0..10).await;

    // Shard 0 covers [0, 2^127); split it at 2^126 into 2 and 3.
    client
        .split_shard()
        .stream_name("reshard")
        .shard_to_split(shard(0))
        .new_starting_hash_key("85070591730234615865843651857942052864")
        .send()
        .await
        .unwrap();
    wait_active(&client, "reshard").await;
    put(&client, "reshard", &keys, 10..20).await;
    // 3 covers [2^126, 2^127) and 1 [2^127, 2^128): adjacent, merged into 4.
    client
        .merge_shards()
        .stream_name("reshard")
        .shard_to_merge(shard(3))
        .adjacent_shard_to_merge(shard(1))
        .send()
        .await
        .unwrap();
    wait_active(&client, "reshard").await;
    put(&client, "reshard", &keys, 20..30).await;

    wait_until("all 360 records processed", LONG, || async { log.data().len() == 360 }).await;
    let events = log.events();

    // Per key: values arrive in order; a replay may repeat earlier values but never skips.
    let mut next: HashMap<String, u32> = HashMap::new();
    for e in &events {
        if let Event::Record { key, data, .. } = e {
            let v: u32 = data.rsplit(':').next().unwrap().parse().unwrap();
            let expected = next.entry(key.clone()).or_default();
            assert!(v <= *expected, "{key}: got {v}, expected at most {expected}");
            if v == *expected {
                *expected += 1;
            }
        }
    }
    assert!(next.values().all(|n| *n == 30), "{next:?}");

    // Parents are processed to their end before their children start. (The processor logs
    // `Ended` only after its SHARD_END checkpoint returns, which is what lets a child start, so
    // the order of those two events is not the property; the parent's last record is.)
    let position = |f: &dyn Fn(&Event) -> bool| events.iter().position(f);
    let last_record = |s: String| events.iter().rposition(|e| matches!(e, Event::Record { shard, .. } if *shard == s));
    let started = |s: String| position(&|e| matches!(e, Event::Init { shard, .. } if *shard == s));
    for (child, parents) in [(2, vec![0]), (3, vec![0]), (4, vec![3, 1])] {
        let c = started(shard(child)).unwrap_or_else(|| panic!("child {child} never started"));
        for p in parents {
            assert!(
                events.iter().any(|e| matches!(e, Event::Ended { shard: s, .. } if *s == shard(p))),
                "parent {p} never ended"
            );
            if let Some(last) = last_record(shard(p)) {
                assert!(last < c, "parent {p} had a record processed after child {child} started");
            }
        }
    }
    // Finished parents' leases are cleaned up once their children have leases.
    let table = leases(&server, "reshard-app");
    wait_until("parent leases cleaned up", LONG, || async {
        let keys: Vec<String> = table.list().await.unwrap().into_iter().map(|l| l.key).collect();
        keys.len() == 2 && keys.contains(&shard(2)) && keys.contains(&shard(4))
    })
    .await;
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
