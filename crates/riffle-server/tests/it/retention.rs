use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::ShardIteratorType;
use riffle_testkit::{TestServer, create_active_stream, test_config};

/// Records older than the retention period stop being returned, and their disk space is freed.
#[tokio::test]
async fn expired_records_vanish_and_their_segments_are_reclaimed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut server = TestServer::start_with(dir, test_config(&path)).await;
    let client = server.client().await;
    create_active_stream(&client, "old", 1).await;
    create_active_stream(&client, "long", 1).await;
    client.increase_stream_retention_period().stream_name("long").retention_period_hours(48).send().await.unwrap();
    let big = vec![7u8; 512 * 1024];
    for _ in 0..8 {
        for s in ["old", "long"] {
            client.put_record().stream_name(s).partition_key("k").data(Blob::new(big.clone())).send().await.unwrap();
        }
    }
    let log_bytes = |p: &std::path::Path| -> u64 {
        std::fs::read_dir(p.join("log")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
    };
    let before = log_bytes(&path);

    // Restart 25 hours "later": past the 24-hour retention of "old", within the 48 of "long".
    server.restart_with(|c| c.retention_clock_offset_ms = 25 * 3_600_000).await;
    let client = server.client().await;
    let read = |stream: &'static str| {
        let client = client.clone();
        async move {
            let it = client
                .get_shard_iterator()
                .stream_name(stream)
                .shard_id("shardId-000000000000")
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .unwrap();
            client.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap().records().len()
        }
    };
    assert_eq!(read("old").await, 0, "records past retention are not returned");
    assert_eq!(read("long").await, 8, "records within retention still are");

    // Retention ends "long" too once it is 49 hours later; then the segments can go.
    server.restart_with(|c| c.retention_clock_offset_ms = 49 * 3_600_000).await;
    let after = log_bytes(&path);
    assert!(after < before / 2, "log shrank from {before} to {after} bytes");
}
