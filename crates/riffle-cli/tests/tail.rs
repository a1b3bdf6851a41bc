//! `riffle tail` against a server: every record once, KPL aggregates unpacked, and a split
//! followed with the parent's records before the children's.

use aws_sdk_kinesis::primitives::Blob;
use riffle_testkit::{TestServer, create_active_stream};
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_every_record_in_key_order_across_a_split() {
    let server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "t", 1).await;
    let put = |data: Vec<u8>| {
        let client = client.clone();
        async move {
            client.put_record().stream_name("t").partition_key("k").data(Blob::new(data)).send().await.unwrap();
        }
    };
    for i in 0..5 {
        put(format!("line {i}").into_bytes()).await;
    }
    put(riffle_proto_agg(&["line 5", "line 6"])).await;
    client
        .split_shard()
        .stream_name("t")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("170141183460469231731687303715884105728")
        .send()
        .await
        .unwrap();
    for i in 7..10 {
        put(format!("line {i}").into_bytes()).await;
    }
    let endpoint = server.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_riffle"))
            .args(["tail", "t", "--from", "trim-horizon", "--count", "10", "--endpoint-url", &endpoint])
            .env("AWS_ACCESS_KEY_ID", "x")
            .env("AWS_SECRET_ACCESS_KEY", "x")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    let expected: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
    assert_eq!(lines, expected);
}

/// A KPL aggregate of `records`, all under key "k".
fn riffle_proto_agg(records: &[&str]) -> Vec<u8> {
    riffle_proto::agg::aggregate(records.iter().map(|r| ("k", None, r.as_bytes())))
}
