//! Records arrive, aggregated or not, and their outcomes say where.

use crate::common::*;
use riffle_producer::{FailureKind, ProducerConfig, PutError};
use std::collections::HashMap;

#[tokio::test]
async fn aggregated_records_arrive_and_outcomes_point_at_them() {
    let server = server_with(|_| {}).await;
    stream(&server, "agg", 4).await;
    let p = producer(&server, quick()).await;
    let mut futures = Vec::new();
    for i in 0..2000 {
        futures.push(p.put("agg", &format!("key-{}", i % 97), format!("record {i}")).await.unwrap());
    }
    let results = outcomes(futures).await;
    p.shutdown().await;

    let reads = read_all(&server, "agg").await;
    assert_eq!(reads.len(), 2000, "each record exactly once");
    let by_position: HashMap<(String, u64), &Read> =
        reads.iter().map(|r| ((r.sequence_number.clone(), r.sub_sequence_number), r)).collect();
    let mut aggregated = 0;
    for (i, r) in results.into_iter().enumerate() {
        let o = r.expect("written");
        assert_eq!(o.attempt_count(), 1);
        aggregated += usize::from(o.aggregated());
        let read = by_position[&(o.sequence_number().to_string(), o.sub_sequence_number())];
        assert_eq!(read.data, format!("record {i}").into_bytes());
        assert_eq!(read.shard, o.shard_id());
        assert!(read.in_range, "aggregates hold only records of their shard");
    }
    assert!(aggregated > 1900, "small records share aggregates ({aggregated} of 2000)");
}

#[tokio::test]
async fn without_aggregation_each_record_is_a_kinesis_record() {
    let server = server_with(|_| {}).await;
    stream(&server, "raw", 2).await;
    let p = producer(&server, quick().aggregation_enabled(false)).await;
    let a = p.put("raw", "k", "alpha").await.unwrap();
    let b = p.put_with_hash_key("raw", "k", "0", "beta").await.unwrap();
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(!a.aggregated() && a.sub_sequence_number() == 0);
    assert_eq!(b.shard_id(), "shardId-000000000000", "explicit hash key 0 routes to the first shard");
    p.shutdown().await;
    let reads = read_all(&server, "raw").await;
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|r| r.partition_key == "k"));
}

#[tokio::test]
async fn bad_records_are_refused_at_put() {
    let server = server_with(|_| {}).await;
    let p = producer(&server, quick().max_user_record_size(1024)).await;
    assert_eq!(p.put("", "k", "x").await.unwrap_err(), PutError::EmptyStreamName);
    assert_eq!(p.put("s", "", "x").await.unwrap_err(), PutError::PartitionKeyLength(0));
    assert_eq!(p.put("s", &"k".repeat(257), "x").await.unwrap_err(), PutError::PartitionKeyLength(257));
    assert!(matches!(p.put_with_hash_key("s", "k", "-1", "x").await, Err(PutError::InvalidHashKey(_))));
    assert!(matches!(
        p.put_with_hash_key("s", "k", "340282366920938463463374607431768211456", "x").await,
        Err(PutError::InvalidHashKey(_))
    ));
    assert!(matches!(
        p.put("s", "k", vec![0u8; 1025]).await,
        Err(PutError::TooLarge { setting: "MaxUserRecordSize", .. })
    ));
    p.shutdown().await;
    assert_eq!(p.put("s", "k", "x").await.unwrap_err(), PutError::ShutDown);
}

#[tokio::test]
async fn a_missing_stream_fails_records_without_retrying_to_the_ttl() {
    let server = server_with(|_| {}).await;
    let p = producer(&server, quick()).await;
    let err = p.put("no-such-stream", "k", "x").await.unwrap().await.unwrap_err();
    match &err.kind {
        FailureKind::Rejected { code, .. } => assert_eq!(code, "ResourceNotFoundException"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    p.shutdown().await;
}

#[tokio::test]
async fn a_kpl_properties_file_configures_the_producer() {
    let server = server_with(|_| {}).await;
    stream(&server, "props", 1).await;
    let text = format!(
        "# as in the KPL's default_config.properties\nAggregationEnabled = false\nRecordMaxBufferedTime = 5\n\
         RecordTtl = 10000\nMetricsLevel = detailed\nKinesisEndpoint = {}\nRegion = us-east-1\n",
        server.endpoint()
    );
    let loaded = ProducerConfig::from_properties(&text).unwrap();
    assert_eq!(loaded.ignored, ["MetricsLevel"]);
    let p = producer(&server, loaded.config).await;
    let o = p.put("props", "k", "v").await.unwrap().await.unwrap();
    assert!(!o.aggregated());
    p.shutdown().await;
}

/// Dropped futures (fire-and-forget) do not hold records back: every record is written, the
/// kept futures are answered, and nothing stays outstanding.
#[tokio::test]
async fn dropped_futures_are_fire_and_forget() {
    let server = server_with(|_| {}).await;
    stream(&server, "fire", 2).await;
    let p = producer(&server, quick()).await;
    let mut kept = Vec::new();
    for (i, f) in put_many(&p, "fire", 1000, "payload").await.into_iter().enumerate() {
        if i % 2 == 0 {
            kept.push(f);
        }
    }
    p.flush_and_wait().await;
    assert_eq!(p.outstanding_records(), 0);
    assert!(outcomes(kept).await.iter().all(|r| r.is_ok()));
    p.shutdown().await;
    assert_eq!(read_all(&server, "fire").await.len(), 1000);
}
