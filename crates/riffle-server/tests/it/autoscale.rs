//! On-demand scaling through the AWS SDK for Rust: a hot key range of an ON_DEMAND stream is
//! split until it stops throttling, cold shards merge back to the minimum, and every
//! acknowledged record stays readable across the lineage the scaling left.

use crate::resharding::{list_shards, read_lineage};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamMode, StreamModeDetails, StreamStatus};
use riffle_server::AutoscalePolicy;
use riffle_testkit::{TestServer, test_config};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Windows of 50 ms; a shard hot over 10 windows splits, a pair cold for 10 in a row merges.
async fn server(enforce_limits: bool) -> (TestServer, Client) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.enforce_limits = enforce_limits;
    config.autoscale = AutoscalePolicy {
        window: Duration::from_millis(50),
        split_after: 10,
        merge_after: 10,
        ..AutoscalePolicy::default()
    };
    let server = TestServer::start_with(dir, config).await;
    let client = server.client().await;
    (server, client)
}

async fn create_on_demand(client: &Client, name: &str) {
    let mode = StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap();
    client.create_stream().stream_name(name).stream_mode_details(mode).send().await.unwrap();
    wait_until(Duration::from_secs(10), "ACTIVE", || async {
        let d = client.describe_stream_summary().stream_name(name).send().await.unwrap();
        d.stream_description_summary().unwrap().stream_status() == &StreamStatus::Active
    })
    .await;
}

async fn wait_until<F: std::future::Future<Output = bool>>(limit: Duration, what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "never {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Open shards as (start, end) hash key ranges.
async fn open(client: &Client, name: &str) -> Vec<(u128, u128)> {
    let mut out: Vec<_> = list_shards(client, name, None)
        .await
        .iter()
        .filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_none())
        .map(|s| {
            let r = s.hash_key_range().unwrap();
            (r.starting_hash_key().parse().unwrap(), r.ending_hash_key().parse().unwrap())
        })
        .collect();
    out.sort_unstable();
    out
}

/// A batch of `n` records with explicit hash keys spread over `[lo, lo + width)`; `next` numbers
/// them. Returns the entries and their data.
fn batch(lo: u128, width: u128, n: usize, next: &mut u64) -> Vec<PutRecordsRequestEntry> {
    (0..n)
        .map(|_| {
            *next += 1;
            let hash = lo + (width / 9_973) * (u128::from(*next) * 7_919 % 9_973);
            PutRecordsRequestEntry::builder()
                .partition_key("p")
                .explicit_hash_key(hash.to_string())
                .data(Blob::new(next.to_string()))
                .build()
                .unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_key_range_is_split_until_it_stops_throttling_then_merges_back_when_cold() {
    let (_server, client) = server(true).await;
    create_on_demand(&client, "od").await;
    let initial = open(&client, "od").await;
    assert_eq!(initial.len(), 4, "on-demand streams start with 4 shards");
    // 5,000 records/s into the lower half of shard 0: 5 times what one shard takes.
    let (lo, width) = (initial[0].0, (initial[0].1 - initial[0].0) / 2);
    let mut next = 0u64;
    let mut acked = HashSet::new();
    let mut throttled_total = 0;
    let mut clean_rounds = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    // Rounds of 100 ms; done after 20 in a row (two seconds) without a throttled record.
    while clean_rounds < 20 {
        assert!(Instant::now() < deadline, "still throttled after 120 s: {:?}", open(&client, "od").await);
        let round = Instant::now();
        let out = client.put_records().stream_name("od").set_records(Some(batch(lo, width, 500, &mut next))).send();
        let out = out.await.unwrap();
        let throttled = out.records().iter().filter(|r| r.error_code().is_some()).count();
        for r in out.records().iter().filter(|r| r.error_code().is_none()) {
            acked.insert(r.sequence_number().unwrap().to_string());
        }
        throttled_total += throttled;
        clean_rounds = if throttled == 0 { clean_rounds + 1 } else { 0 };
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(round.elapsed())).await;
    }
    assert!(throttled_total > 0, "the hot range was throttled before the stream scaled");
    let scaled = open(&client, "od").await;
    let covering = scaled.iter().filter(|(s, e)| *e >= lo && *s < lo + width).count();
    assert!(covering >= 3, "the hot range is spread over several shards: {scaled:?}");
    assert!(scaled.len() > 4);
    // The key space is still tiled by the open shards.
    assert_eq!(scaled[0].0, 0);
    assert_eq!(scaled.last().unwrap().1, u128::MAX);
    assert!(scaled.windows(2).all(|w| w[0].1 + 1 == w[1].0), "{scaled:?}");

    // Idle, it merges back, never below 4 shards.
    wait_until(Duration::from_secs(60), "merged back to 4 shards", || async { open(&client, "od").await.len() == 4 })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(open(&client, "od").await.len(), 4, "no merge below the minimum");

    // Every acknowledged record is read once, walking the lineage from the roots.
    let read: Vec<String> = read_lineage(&client, "od").await.into_iter().map(|r| r.seq).collect();
    let unique: HashSet<String> = read.iter().cloned().collect();
    assert_eq!(unique.len(), read.len(), "no record read twice");
    assert_eq!(unique, acked);
}

#[tokio::test]
async fn provisioned_streams_are_never_scaled() {
    let (_server, client) = server(false).await;
    client.create_stream().stream_name("prov").shard_count(1).send().await.unwrap();
    crate::wait_active(&client, "prov").await;
    // A second of writes far above one shard's limit: 20 windows, enough to split 6 times over.
    let mut next = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        let records = batch(0, u128::MAX, 250, &mut next);
        client.put_records().stream_name("prov").set_records(Some(records)).send().await.unwrap();
    }
    assert!(next > 2_000, "the load exceeded the split threshold");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(open(&client, "prov").await.len(), 1);
}
