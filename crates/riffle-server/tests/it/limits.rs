//! `--enforce-limits` and `--fail-rate`, seen through the AWS SDK for Rust: the errors AWS
//! sends, and the SDK's own retries getting through them.

use crate::code_and_message;
use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use riffle_server::{FaultPlan, ServerConfig};
use riffle_testkit::{TestServer, create_active_stream, test_config};
use std::time::Duration;

pub(crate) async fn server_with(change: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    change(&mut config);
    TestServer::start_with(dir, config).await
}

/// A client that retries the way applications run it (standard mode, generous attempts).
pub(crate) fn retrying(server: &TestServer, attempts: u32) -> aws_sdk_kinesis::Client {
    let conf = aws_sdk_kinesis::Config::builder()
        .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
        .endpoint_url(server.endpoint())
        .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kinesis::config::Credentials::new("AKID", "secret", None, None, "test"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(20))
                .with_max_backoff(Duration::from_millis(400)),
        )
        .build();
    aws_sdk_kinesis::Client::from_conf(conf)
}

fn entries(n: usize, size: usize) -> Vec<PutRecordsRequestEntry> {
    (0..n)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("k{i}"))
                .data(Blob::new(vec![1u8; size]))
                .build()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn write_limits_fail_records_individually_with_aws_messages() {
    let server = server_with(|c| c.enforce_limits = true).await;
    let client = server.client().await;
    create_active_stream(&client, "lim", 1).await;
    // 1,200 records at once: the shard admits about 1,000 per second, the rest fail one by one.
    let mut failed = 0;
    let mut ok = 0;
    for batch in [entries(500, 10), entries(500, 10), entries(200, 10)] {
        let out = client.put_records().stream_name("lim").set_records(Some(batch)).send().await.unwrap();
        failed += out.failed_record_count().unwrap_or(0);
        for r in out.records() {
            match r.error_code() {
                Some(code) => {
                    assert_eq!(code, "ProvisionedThroughputExceededException");
                    assert_eq!(
                        r.error_message(),
                        Some("Rate exceeded for shard shardId-000000000000 in stream lim under account 000000000000.")
                    );
                    assert!(r.sequence_number().is_none());
                }
                None => ok += 1,
            }
        }
    }
    assert!(failed > 0, "some records were throttled");
    assert!((1000..1200).contains(&ok), "about a second's allowance got through: {ok}");
    // A single PutRecord over the limit fails whole.
    let err = client.put_record().stream_name("lim").partition_key("k").data(Blob::new(vec![0u8; 1000])).send().await;
    if let Err(e) = err {
        assert_eq!(code_and_message(&e).0, "ProvisionedThroughputExceededException");
    }
}

#[tokio::test]
async fn read_limits_throttle_and_sdk_retries_get_through() {
    let server = server_with(|c| c.enforce_limits = true).await;
    let plain = server.client().await;
    create_active_stream(&plain, "rl", 1).await;
    plain.put_record().stream_name("rl").partition_key("k").data(Blob::new("x")).send().await.unwrap();
    let it = plain
        .get_shard_iterator()
        .stream_name("rl")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_string();
    let mut throttled = 0;
    for _ in 0..8 {
        if let Err(e) = plain.get_records().shard_iterator(&it).send().await {
            let (code, msg) = code_and_message(&e);
            assert_eq!(code, "ProvisionedThroughputExceededException");
            assert_eq!(msg, "Rate exceeded for shard shardId-000000000000 in stream rl under account 000000000000.");
            throttled += 1;
        }
    }
    assert!(throttled >= 2, "five calls per second per shard: {throttled} of 8 throttled");
    // The SDK's standard retries treat it as throttling and get through.
    let client = retrying(&server, 10);
    for _ in 0..10 {
        let out = client.get_records().shard_iterator(&it).send().await.expect("retries absorb throttling");
        assert_eq!(out.records().len(), 1);
    }
}

#[tokio::test]
async fn injected_faults_are_retryable_and_retries_absorb_them() {
    let server = server_with(|c| c.faults = FaultPlan::parse("ListStreams=0.5,PutRecords=0.3").unwrap()).await;
    let plain = server.client().await;
    create_active_stream(&plain, "ff", 2).await;
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..40 {
        if let Err(e) = plain.list_streams().send().await {
            codes.insert(code_and_message(&e).0);
        }
    }
    assert!(!codes.is_empty(), "half of 40 calls failed");
    for c in &codes {
        assert!(
            ["LimitExceededException", "InternalFailureException", "ServiceUnavailable"].contains(&c.as_str()),
            "{c} is one of the retryable errors"
        );
    }
    let client = retrying(&server, 12);
    for _ in 0..20 {
        client.list_streams().send().await.expect("retries absorb injected faults");
    }
    // PutRecords fails per record: a producer resends only the failed entries.
    let mut pending = entries(300, 20);
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds < 30, "resending failed records converges");
        let out = plain.put_records().stream_name("ff").set_records(Some(pending.clone())).send().await.unwrap();
        pending =
            pending.into_iter().zip(out.records()).filter(|(_, r)| r.error_code().is_some()).map(|(e, _)| e).collect();
    }
    assert!(rounds > 1, "some records failed on the first round");
}
