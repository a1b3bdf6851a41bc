//! `riffle bench producer`: user records of a fixed size driven through `riffle-producer` as
//! fast as `put` takes them, counting each record's outcome, so the producer's throughput can
//! be set against a loop of single PutRecord calls (`riffle bench put --batch 1
//! --concurrency 1`) on the same server. It lives here, not in `riffle-bench`, because that
//! crate deliberately stays off the AWS SDK the producer is built on.

use anyhow::Context;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::StreamStatus;
use bytes::Bytes;
use clap::Args;
use riffle_producer::{Producer, ProducerConfig, RecordFuture};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Outcomes are handed to the counting task in chunks, so the hot loop does not pay a channel
/// send per record.
const CHUNK: usize = 4096;

#[derive(Debug, Clone, Args)]
pub struct ProducerBenchArgs {
    /// Endpoint URL (e.g. http://127.0.0.1:4567). Credentials come from the standard AWS chain
    /// (any will do for `riffle serve` without `--auth`).
    #[arg(long)]
    endpoint: String,
    /// Stream to write to.
    #[arg(long)]
    stream: String,
    /// Create the stream with this many shards if it does not exist, and wait until ACTIVE.
    #[arg(long)]
    shards: Option<i32>,
    /// Bytes of data per user record.
    #[arg(long, default_value_t = 100)]
    record_size: usize,
    /// Seconds to keep putting (ignored when --records is given); the drain after it counts.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Put exactly this many user records instead of running for --duration.
    #[arg(long, conflicts_with = "duration")]
    records: Option<u64>,
    /// KPL RateLimit, percent of each shard's limits (the KPL default is 150).
    #[arg(long, default_value_t = 150)]
    rate_limit: u64,
    /// Send each user record as its own Kinesis record.
    #[arg(long)]
    no_aggregation: bool,
    /// Instead of the producer, a loop of single PutRecord calls through the AWS SDK for Rust,
    /// each awaited before the next: what an application writes without a KPL, and what the
    /// KPL's throughput is measured against.
    #[arg(long, conflicts_with_all = ["no_aggregation", "rate_limit"])]
    sdk_put_loop: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Default)]
struct Counts {
    written: u64,
    /// Kinesis records: an aggregate answers all its user records with one sequence number,
    /// of which only the first has sub-sequence number 0.
    kinesis: u64,
    failed: u64,
    first_error: Option<String>,
}

pub async fn run(args: ProducerBenchArgs) -> anyhow::Result<()> {
    if let Some(shards) = args.shards {
        ensure_stream(&args.endpoint, &args.stream, shards).await?;
    }
    let data = Bytes::from((0..args.record_size).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>());
    if args.sdk_put_loop {
        let started = Instant::now();
        let cpu0 = cpu_seconds();
        let (put, counts) = sdk_put_loop(&args, data, started).await?;
        let secs = started.elapsed().as_secs_f64();
        return report(&args, put, counts, secs, secs, cpu0);
    }
    let config = ProducerConfig::new()
        .endpoint_url(&args.endpoint)
        .rate_limit(args.rate_limit)
        .aggregation_enabled(!args.no_aggregation);
    let producer = Producer::builder().config(config).build().await?;
    let (tx, rx) = mpsc::channel::<Vec<RecordFuture>>(64);
    let counter = tokio::spawn(count(rx));

    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let stop_at = started + Duration::from_secs_f64(args.duration.max(0.0));
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut keys = itoa::Buffer::new();
    let mut put = 0u64;
    loop {
        let done = match args.records {
            Some(n) => put >= n,
            // The clock is read once a chunk: it is not free.
            None => put.is_multiple_of(CHUNK as u64) && Instant::now() >= stop_at,
        };
        if done {
            break;
        }
        // Distinct keys spread the records over every shard, as real traffic does (itoa: the
        // harness's own cost, on the thread that puts, is not the producer's).
        let key = keys.format(put);
        chunk.push(producer.put(&args.stream, key, data.clone()).await?);
        put += 1;
        if chunk.len() == CHUNK {
            tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))).await?;
        }
    }
    let put_secs = started.elapsed().as_secs_f64();
    tx.send(chunk).await?;
    drop(tx);
    producer.flush();
    let counts = counter.await?;
    let secs = started.elapsed().as_secs_f64();
    producer.shutdown().await;
    report(&args, put, counts, put_secs, secs, cpu0)
}

/// Puts one record at a time with the SDK's `put_record`, for `--duration` or `--records`.
async fn sdk_put_loop(args: &ProducerBenchArgs, data: Bytes, started: Instant) -> anyhow::Result<(u64, Counts)> {
    let client = sdk_client(&args.endpoint).await;
    let stop_at = started + Duration::from_secs_f64(args.duration.max(0.0));
    let (mut put, mut counts) = (0u64, Counts::default());
    let mut keys = itoa::Buffer::new();
    loop {
        let done = match args.records {
            Some(n) => put >= n,
            None => Instant::now() >= stop_at,
        };
        if done {
            break;
        }
        let call = client
            .put_record()
            .stream_name(&args.stream)
            .partition_key(keys.format(put))
            .data(Blob::new(data.to_vec()));
        match call.send().await {
            Ok(_) => {
                counts.written += 1;
                counts.kinesis += 1;
            }
            Err(e) => {
                counts.failed += 1;
                counts.first_error.get_or_insert_with(|| format!("{}", aws_sdk_kinesis::error::DisplayErrorContext(e)));
            }
        }
        put += 1;
    }
    Ok((put, counts))
}

fn report(
    args: &ProducerBenchArgs,
    put: u64,
    counts: Counts,
    put_secs: f64,
    secs: f64,
    cpu0: Option<f64>,
) -> anyhow::Result<()> {
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);

    let rate = counts.written as f64 / secs.max(1e-9);
    let kinesis_rate = counts.kinesis as f64 / secs.max(1e-9);
    let cpu_us = cpu.map(|c| c * 1e6 / counts.written.max(1) as f64);
    if args.json {
        let cpu_us = cpu_us.map_or("null".to_string(), |c| format!("{c:.3}"));
        println!(
            "{{\"user_records\":{put},\"written\":{},\"failed\":{},\"kinesis_records\":{},\"put_secs\":{put_secs:.3},\"elapsed_secs\":{secs:.3},\"user_records_per_sec\":{rate:.1},\"kinesis_records_per_sec\":{kinesis_rate:.1},\"cpu_us_per_user_record\":{cpu_us}}}",
            counts.written, counts.failed, counts.kinesis
        );
    } else {
        let how = if args.sdk_put_loop { "single PutRecord calls (AWS SDK)" } else { "riffle-producer" };
        println!(
            "riffle bench producer: {put} user records of {} bytes to {} through {how}",
            args.record_size, args.stream
        );
        println!("  written {} ({} failed) in {secs:.2} s (puts took {put_secs:.2} s)", counts.written, counts.failed);
        println!("  user records/s    {rate:.0}");
        println!("  Kinesis records/s {kinesis_rate:.1} ({} Kinesis records)", counts.kinesis);
        if let Some(c) = cpu_us {
            println!("  CPU per user record {c:.2} us (this process, all threads)");
        }
    }
    if let Some(e) = counts.first_error {
        anyhow::bail!("{} records failed; the first: {e}", counts.failed);
    }
    Ok(())
}

async fn count(mut rx: mpsc::Receiver<Vec<RecordFuture>>) -> Counts {
    let mut c = Counts::default();
    while let Some(chunk) = rx.recv().await {
        for f in chunk {
            match f.await {
                Ok(o) => {
                    c.written += 1;
                    c.kinesis += u64::from(o.sub_sequence_number() == 0);
                }
                Err(e) => {
                    c.failed += 1;
                    c.first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
    c
}

/// This process's user + system CPU time, from /proc (Linux; `None` elsewhere). Ticks are
/// taken as the near-universal 100 Hz, which is all the precision a per-record cost needs.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Creates the stream unless it exists, then waits for ACTIVE.
async fn ensure_stream(endpoint: &str, stream: &str, shards: i32) -> anyhow::Result<()> {
    let client = sdk_client(endpoint).await;
    let exists = client.describe_stream_summary().stream_name(stream).send().await.is_ok();
    if !exists {
        client
            .create_stream()
            .stream_name(stream)
            .shard_count(shards)
            .send()
            .await
            .with_context(|| format!("cannot create stream {stream}"))?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = client.describe_stream_summary().stream_name(stream).send().await;
        let active =
            out.ok().and_then(|o| o.stream_description_summary).map(|s| s.stream_status) == Some(StreamStatus::Active);
        if active {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "stream {stream} is not ACTIVE after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The SDK's client as an application loads it (the standard chain, default retries), as every
/// client command builds it.
async fn sdk_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    crate::client::Endpoint { endpoint_url: Some(endpoint.to_string()), region: None }.kinesis_client().await
}
