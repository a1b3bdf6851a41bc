//! A fixed workload for profiling the producer: N user records of 100 bytes with distinct
//! partition keys, put as fast as `put` takes them, against a `riffle serve` child process (so
//! the server's work is not counted), then flushed and every outcome awaited. Run it under
//! `valgrind --tool=callgrind` to count the instructions the producer spends per user record:
//!
//! ```text
//! cargo build --release -p riffle-producer --example put_driver
//! valgrind --tool=callgrind target/release/examples/put_driver --records 200000 --shards 64
//! ```
//!
//! Instructions per user record = callgrind's total / N (start-up is ~23 M, negligible at
//! 200k). Under valgrind the SDK's SigV4 payload hash (`sha2::sha256::compress256`) runs in
//! software, about half the total; natively it uses SHA-NI, so also read the total less that
//! function's inclusive count (`callgrind_annotate --inclusive=yes`).
//!
//! It prints the average user records per Kinesis record (aggregate) and per PutRecords call,
//! read from the producer's own metrics through a minimal recorder that keeps only those two
//! histograms (every other metric goes to a no-op, as with no recorder installed).
//! `RIFFLE_BIN` names the server binary (default `target/release/riffle`).

use riffle_producer::metrics::names;
use riffle_producer::{Producer, ProducerConfig};
use riffle_testkit::{ChildServer, create_active_stream, kinesis_client};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Count and sum of one histogram.
#[derive(Default)]
struct Tally {
    count: AtomicU64,
    sum: AtomicU64,
}

impl metrics::HistogramFn for Tally {
    fn record(&self, value: f64) {
        self.count.fetch_add(1, Relaxed);
        self.sum.fetch_add(value as u64, Relaxed);
    }
}

#[derive(Default)]
struct Recorder {
    per_kinesis_record: Arc<Tally>,
    per_request: Arc<Tally>,
}

impl metrics::Recorder for Recorder {
    fn describe_counter(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_gauge(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_histogram(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}

    fn register_counter(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::noop()
    }

    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }

    fn register_histogram(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Histogram {
        match key.name() {
            names::USER_RECORDS_PER_KINESIS_RECORD => metrics::Histogram::from_arc(self.per_kinesis_record.clone()),
            names::USER_RECORDS_PER_PUT_RECORDS_REQUEST => metrics::Histogram::from_arc(self.per_request.clone()),
            _ => metrics::Histogram::noop(),
        }
    }
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().expect(name))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records = arg(&args, "--records", 200_000);
    let shards = arg(&args, "--shards", 64) as i32;
    let recorder = Recorder::default();
    let (per_agg, per_call) = (recorder.per_kinesis_record.clone(), recorder.per_request.clone());
    metrics::set_global_recorder(recorder).expect("no other recorder");

    let bin = std::env::var_os("RIFFLE_BIN").map_or_else(|| PathBuf::from("target/release/riffle"), PathBuf::from);
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = ChildServer::spawn(&bin, dir.path(), &["--fsync", "never"]);
    let client = kinesis_client(&server.endpoint()).await;
    create_active_stream(&client, "drive", shards).await;
    let producer = Producer::builder().client(client).config(ProducerConfig::new()).build().await.expect("builds");

    let data = bytes::Bytes::from(vec![b'x'; 100]);
    // One record through first, so the shard map is loaded: what follows is the steady state,
    // not records waiting (and being swept) for the first ListShards.
    let warm_up = producer.put("drive", "warm-up", data.clone()).await.expect("put");
    producer.flush();
    warm_up.await.expect("the warm-up record is written");
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<riffle_producer::RecordFuture>>(64);
    let counter = tokio::spawn(async move {
        let (mut written, mut failed) = (0u64, 0u64);
        while let Some(chunk) = rx.recv().await {
            for f in chunk {
                match f.await {
                    Ok(_) => written += 1,
                    Err(_) => failed += 1,
                }
            }
        }
        (written, failed)
    });
    let mut key = String::new();
    let mut chunk = Vec::with_capacity(4096);
    for i in 0..records {
        key.clear();
        std::fmt::Write::write_fmt(&mut key, format_args!("{i}")).expect("writing to a String");
        chunk.push(producer.put("drive", &key, data.clone()).await.expect("put"));
        if chunk.len() == 4096 {
            tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(4096))).await.expect("counter runs");
        }
    }
    tx.send(chunk).await.expect("counter runs");
    drop(tx);
    producer.flush();
    let (written, failed) = counter.await.expect("counter");
    producer.shutdown().await;
    let secs = started.elapsed().as_secs_f64();
    let avg = |t: &Tally| t.sum.load(Relaxed) as f64 / t.count.load(Relaxed).max(1) as f64;
    println!(
        "records {records} written {written} failed {failed} in {secs:.2} s; user records per Kinesis record {:.1} ({} Kinesis records); per PutRecords call {:.1} ({} calls)",
        avg(&per_agg),
        per_agg.count.load(Relaxed),
        avg(&per_call),
        per_call.count.load(Relaxed),
    );
}
