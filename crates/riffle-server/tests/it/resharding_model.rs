//! Resharding against a model: random splits, merges, UpdateShardCounts and writes (some racing
//! the resharding) with random partition keys. The open shards must match the model's hash
//! ranges after every step, and at the end every record must be read exactly once by walking
//! the lineage from the roots, parents before children, each partition key in write order.

use crate::resharding::{list_shards, read_lineage, uniform};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ScalingType, ShardFilter, ShardFilterType};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use riffle_testkit::{TestServer, create_active_stream, test_config};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Kind {
    /// Split the `pick`-th open shard at `frac`/65536 of its width.
    Split { pick: usize, frac: u16 },
    /// Merge the `pick`-th open shard with the next one.
    Merge { pick: usize },
    /// UpdateShardCount to a target between half and double, chosen by `pick`.
    Scale { pick: u8 },
}

#[derive(Debug, Clone)]
enum Op {
    /// One PutRecords with these partition keys (as indices).
    Write(Vec<u8>),
    /// A resharding, with single-record writes racing it.
    Reshard { kind: Kind, racing: Vec<u8> },
}

fn op() -> impl Strategy<Value = Op> {
    let keys = || vec(0u8..12, 0..12);
    prop_oneof![
        3 => vec(0u8..12, 1..40).prop_map(Op::Write),
        2 => (any::<usize>(), 1u16..u16::MAX, keys())
            .prop_map(|(pick, frac, racing)| Op::Reshard { kind: Kind::Split { pick, frac }, racing }),
        2 => (any::<usize>(), keys()).prop_map(|(pick, racing)| Op::Reshard { kind: Kind::Merge { pick }, racing }),
        1 => (any::<u8>(), keys()).prop_map(|(pick, racing)| Op::Reshard { kind: Kind::Scale { pick }, racing }),
    ]
}

/// What the model knows: the open ranges (start -> end) and every write per partition key.
struct Model {
    open: BTreeMap<u128, u128>,
    next_data: u32,
    per_key: BTreeMap<String, Vec<String>>,
    scalings: u32,
}

impl Model {
    fn record(&mut self, key: u8) -> (String, String) {
        self.next_data += 1;
        let (k, d) = (format!("k{key}"), format!("{:08}", self.next_data));
        self.per_key.entry(k.clone()).or_default().push(d.clone());
        (k, d)
    }
}

async fn write(client: &Client, records: Vec<(String, String)>) {
    if records.is_empty() {
        return;
    }
    let entries = records
        .into_iter()
        .map(|(k, d)| PutRecordsRequestEntry::builder().partition_key(k).data(Blob::new(d)).build().unwrap())
        .collect();
    let out = client.put_records().stream_name("m").set_records(Some(entries)).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
}

async fn open_ranges(client: &Client) -> Vec<(u128, u128)> {
    let latest = ShardFilter::builder().r#type(ShardFilterType::AtLatest).build().unwrap();
    let mut r: Vec<_> = list_shards(client, "m", Some(latest))
        .await
        .iter()
        .map(|s| {
            let h = s.hash_key_range().unwrap();
            (h.starting_hash_key().parse().unwrap(), h.ending_hash_key().parse().unwrap())
        })
        .collect();
    r.sort_unstable();
    r
}

async fn run_case(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.update_delay = Duration::ZERO;
    config.storage = riffle_server::Storage::InMemory;
    let server = TestServer::start_with(dir, config).await;
    let client = server.client().await;
    create_active_stream(&client, "m", 2).await;
    let mut model =
        Model { open: uniform(2).into_iter().collect(), next_data: 0, per_key: BTreeMap::new(), scalings: 0 };
    for op in ops {
        match op {
            Op::Write(keys) => {
                let records = keys.into_iter().map(|k| model.record(k)).collect();
                write(&client, records).await;
            }
            Op::Reshard { kind, racing } => {
                let open: Vec<(u128, u128)> = model.open.iter().map(|(&s, &e)| (s, e)).collect();
                let ids: BTreeMap<u128, String> = list_shards(&client, "m", None)
                    .await
                    .iter()
                    .filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_none())
                    .map(|s| {
                        (s.hash_key_range().unwrap().starting_hash_key().parse().unwrap(), s.shard_id().to_string())
                    })
                    .collect();
                let client2 = client.clone();
                let request: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>> = match kind {
                    Kind::Split { pick, frac } => {
                        let (start, end) = open[pick % open.len()];
                        let at = start + (end - start) / 65536 * u128::from(frac);
                        if at <= start + 1 || at >= end {
                            continue;
                        }
                        model.open.insert(start, at - 1);
                        model.open.insert(at, end);
                        let req = client2.split_shard().stream_name("m").shard_to_split(&ids[&start]);
                        let req = req.new_starting_hash_key(at.to_string());
                        Box::pin(async move { req.send().await.map(drop).boxed_ok() })
                    }
                    Kind::Merge { pick } => {
                        if open.len() < 2 {
                            continue;
                        }
                        let i = pick % (open.len() - 1);
                        let ((a, _), (b, end)) = (open[i], open[i + 1]);
                        model.open.remove(&b);
                        model.open.insert(a, end);
                        let req = client2.merge_shards().stream_name("m").shard_to_merge(&ids[&a]);
                        let req = req.adjacent_shard_to_merge(&ids[&b]);
                        Box::pin(async move { req.send().await.map(drop).boxed_ok() })
                    }
                    Kind::Scale { pick } => {
                        if model.scalings >= 10 {
                            continue;
                        }
                        model.scalings += 1;
                        let n = open.len() as u32;
                        let (lo, hi) = (n.div_ceil(2), if n > 16 { n } else { 2 * n });
                        let target = lo + u32::from(pick) % (hi - lo + 1);
                        model.open = uniform(target).into_iter().collect();
                        let req = client2.update_shard_count().stream_name("m").target_shard_count(target as i32);
                        let req = req.scaling_type(ScalingType::UniformScaling);
                        Box::pin(async move { req.send().await.map(drop).boxed_ok() })
                    }
                };
                // One writer races the resharding, one record per request, so its writes
                // straddle the close of the parents.
                let records: Vec<_> = racing.into_iter().map(|k| model.record(k)).collect();
                let writer = async {
                    for r in records {
                        write(&client, vec![r]).await;
                    }
                };
                let (done, ()) = tokio::join!(request, writer);
                done.expect("resharding succeeds");
                crate::wait_active(&client, "m").await;
            }
        }
        let expected: Vec<(u128, u128)> = model.open.iter().map(|(&s, &e)| (s, e)).collect();
        assert_eq!(open_ranges(&client).await, expected, "open shards match the model");
    }
    // Read everything back through the lineage.
    let read = read_lineage(&client, "m").await;
    let mut per_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in read {
        per_key.entry(r.key).or_default().push(String::from_utf8(r.data).unwrap());
    }
    assert_eq!(per_key, model.per_key, "every record once, in write order per key");
}

trait BoxedOk {
    fn boxed_ok(self) -> Result<(), String>;
}

impl<E: std::fmt::Debug> BoxedOk for Result<(), E> {
    fn boxed_ok(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

#[test]
fn resharding_matches_the_model() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = Config { cases: 48, failure_persistence: None, max_shrink_iters: 64, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&vec(op(), 1..24), |ops| {
        rt.block_on(run_case(ops));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
