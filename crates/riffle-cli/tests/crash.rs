//! Crash tests: SIGKILL the server under concurrent load, again and again, and check that every
//! acknowledged record is still there afterwards — same sequence number, same bytes, in order.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use rand::Rng;
use riffle_testkit::{ChildServer, create_active_stream, kinesis_client};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const STREAM: &str = "crash";
const SHARDS: i32 = 4;
const WRITERS: usize = 8;
const ROUNDS: usize = 10;

/// An acknowledged record: where the server said it put it, and what it was.
#[derive(Debug, Clone)]
struct Acked {
    shard: String,
    seq: String,
    data: Vec<u8>,
}

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_riffle"))
}

/// Writes batches until the server stops answering; records every acknowledgement.
async fn writer(client: Client, id: usize, round: usize, acked: Arc<Mutex<Vec<Acked>>>) {
    for n in 0.. {
        let size = rand::rng().random_range(1..40);
        let entries: Vec<_> = (0..size)
            .map(|i| {
                let data = format!("r{round}-w{id}-b{n}-i{i}-{}", "x".repeat(i * 7)).into_bytes();
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("pk{id}-{i}"))
                    .data(Blob::new(data))
                    .build()
                    .unwrap()
            })
            .collect();
        let Ok(out) = client.put_records().stream_name(STREAM).set_records(Some(entries.clone())).send().await else {
            return;
        };
        let mut acked = acked.lock().unwrap();
        for (e, r) in entries.iter().zip(out.records()) {
            if let (Some(shard), Some(seq)) = (r.shard_id(), r.sequence_number()) {
                acked.push(Acked { shard: shard.into(), seq: seq.into(), data: e.data().as_ref().to_vec() });
            }
        }
    }
}

/// Every record of every shard, in order.
async fn read_all(client: &Client) -> BTreeMap<String, Vec<(String, Vec<u8>)>> {
    riffle_testkit::read_stream(client, STREAM)
        .await
        .into_iter()
        .map(|(shard, records)| {
            let records =
                records.iter().map(|r| (r.sequence_number().to_string(), r.data().as_ref().to_vec())).collect();
            (shard, records)
        })
        .collect()
}

/// Numeric order of decimal strings without leading zeros.
fn seq_key(s: &str) -> (usize, &str) {
    (s.len(), s)
}

fn verify(all: &BTreeMap<String, Vec<(String, Vec<u8>)>>, acked: &[Acked]) {
    for (shard, records) in all {
        assert!(
            records.windows(2).all(|w| seq_key(&w[0].0) < seq_key(&w[1].0)),
            "sequence numbers of {shard} strictly increase"
        );
        let unique: HashSet<&String> = records.iter().map(|(s, _)| s).collect();
        assert_eq!(unique.len(), records.len(), "no duplicate sequence numbers in {shard}");
    }
    let index: std::collections::HashMap<(&str, &str), &[u8]> = all
        .iter()
        .flat_map(|(shard, rs)| rs.iter().map(move |(seq, data)| ((shard.as_str(), seq.as_str()), data.as_slice())))
        .collect();
    for a in acked {
        match index.get(&(a.shard.as_str(), a.seq.as_str())) {
            Some(data) => assert_eq!(*data, a.data.as_slice(), "record {} in {} kept its bytes", a.seq, a.shard),
            None => panic!("acknowledged record {} in {} was lost", a.seq, a.shard),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ChildServer::spawn(bin(), dir.path(), &[]);
    create_active_stream(&kinesis_client(&server.endpoint()).await, STREAM, SHARDS).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    for round in 0..ROUNDS {
        let client = kinesis_client(&server.endpoint()).await;
        let tasks: Vec<_> =
            (0..WRITERS).map(|id| tokio::spawn(writer(client.clone(), id, round, Arc::clone(&acked)))).collect();
        let delay = rand::rng().random_range(100..600);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        server.restart();
        let client = kinesis_client(&server.endpoint()).await;
        let all = read_all(&client).await;
        let acked = acked.lock().unwrap().clone();
        assert!(!acked.is_empty(), "round {round} acknowledged something before the kill");
        verify(&all, &acked);
    }
    // After all the kills, new writes still get larger sequence numbers than any before.
    let client = kinesis_client(&server.endpoint()).await;
    let out =
        client.put_record().stream_name(STREAM).partition_key("pk0-0").data(Blob::new("last")).send().await.unwrap();
    let all = read_all(&client).await;
    let shard = &all[out.shard_id()];
    assert_eq!(shard.last().unwrap().0, out.sequence_number());
}
