//! Shared fixtures: servers with faults or limits, producers pointed at them, and a reader
//! that takes every record back out of a stream, unpacking aggregates.

use riffle_producer::{Producer, ProducerConfig, RecordFuture, RecordResult};
use riffle_proto::agg;
use riffle_testkit::{FaultPlan, ServerConfig, TestServer, create_active_stream, test_config};
use std::time::Duration;

/// A server whose test configuration `change` adjusts.
pub async fn server_with(change: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    change(&mut config);
    TestServer::start_with(dir, config).await
}

/// A server that fails PutRecords entries with probability `p`.
pub async fn flaky_server(p: f64) -> TestServer {
    server_with(|c| c.faults = FaultPlan::parse(&format!("PutRecords={p}")).unwrap()).await
}

/// Settings that keep tests quick: short buffering and backoff.
pub fn quick() -> ProducerConfig {
    ProducerConfig::new()
        .record_max_buffered_time(Duration::from_millis(10))
        .retry_base_delay(Duration::from_millis(5))
        .retry_max_delay(Duration::from_millis(50))
}

pub async fn producer(server: &TestServer, config: ProducerConfig) -> Producer {
    Producer::builder().client(server.client().await).config(config).build().await.expect("producer builds")
}

pub async fn stream(server: &TestServer, name: &str, shards: i32) {
    create_active_stream(&server.client().await, name, shards).await;
}

/// Puts `n` records of `data`, keyed by their index.
pub async fn put_many(p: &Producer, stream: &str, n: usize, data: &str) -> Vec<RecordFuture> {
    let mut futures = Vec::with_capacity(n);
    for i in 0..n {
        futures.push(p.put(stream, &format!("k{i}"), data.to_string()).await.expect("put takes the record"));
    }
    futures
}

pub async fn outcomes(futures: Vec<RecordFuture>) -> Vec<RecordResult> {
    let mut out = Vec::with_capacity(futures.len());
    for f in futures {
        out.push(f.await);
    }
    out
}

/// A user record read back from the stream.
#[derive(Debug, Clone)]
pub struct Read {
    pub shard: String,
    pub sequence_number: String,
    pub sub_sequence_number: u64,
    pub partition_key: String,
    pub data: Vec<u8>,
    /// Whether every user record of its Kinesis record belongs to this shard's hash range
    /// (a KCL with the lease's range drops aggregates for which this is false).
    pub in_range: bool,
}

/// Every user record in every shard (open and closed), shard by shard in sequence order.
pub async fn read_all(server: &TestServer, stream: &str) -> Vec<Read> {
    use aws_sdk_kinesis::types::ShardIteratorType;
    let client = server.client().await;
    let shards = client.list_shards().stream_name(stream).send().await.unwrap();
    let mut out = Vec::new();
    for shard in shards.shards() {
        let range = shard.hash_key_range().unwrap();
        let (lo, hi): (u128, u128) =
            (range.starting_hash_key().parse().unwrap(), range.ending_hash_key().parse().unwrap());
        let mut it = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        loop {
            let got = client.get_records().shard_iterator(&it).limit(10_000).send().await.unwrap();
            for r in got.records() {
                out.extend(unpack(
                    shard.shard_id(),
                    r.sequence_number(),
                    r.partition_key().unwrap_or_default(),
                    r.data().as_ref(),
                    lo,
                    hi,
                ));
            }
            match got.next_shard_iterator() {
                Some(next) if !got.records().is_empty() || got.millis_behind_latest() != Some(0) => {
                    it = next.to_string()
                }
                _ => break,
            }
        }
    }
    out
}

fn unpack(shard: &str, seq: &str, pk: &str, data: &[u8], lo: u128, hi: u128) -> Vec<Read> {
    let hash = |pk: &str, ehk: &Option<String>| {
        ehk.as_ref().map(|k| k.parse::<u128>().unwrap()).unwrap_or_else(|| riffle_types::partition_key_hash(pk).0)
    };
    let users = match agg::deaggregate(data) {
        Ok(users) => users,
        Err(_) => vec![agg::DeaggregatedRecord {
            partition_key: pk.to_string(),
            explicit_hash_key: None,
            data: data.to_vec(),
            sub_sequence_number: 0,
        }],
    };
    let in_range = users.iter().all(|u| (lo..=hi).contains(&hash(&u.partition_key, &u.explicit_hash_key)));
    users
        .into_iter()
        .map(|u| Read {
            shard: shard.to_string(),
            sequence_number: seq.to_string(),
            sub_sequence_number: u.sub_sequence_number,
            partition_key: u.partition_key,
            data: u.data,
            in_range,
        })
        .collect()
}
