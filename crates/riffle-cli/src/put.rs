//! `riffle put`: lines from stdin or files, one record each, through the producer — the same
//! aggregation, batching, retries and ordering an application gets from `riffle-producer`.

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use riffle_producer::{DeadLetterSink, Producer, ProducerConfig, RecordFuture};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

#[derive(Debug, Args)]
pub struct PutArgs {
    /// The stream to write to.
    #[arg(long)]
    stream: String,
    /// Files to read lines from, in order; none or `-` reads stdin.
    files: Vec<PathBuf>,
    #[command(flatten)]
    endpoint: crate::client::Endpoint,
    /// One partition key for every line (default: the line's number, which spreads lines over
    /// the shards). Lines with one key stay in order.
    #[arg(long)]
    partition_key: Option<String>,
    /// KPL-style .properties file (AggregationEnabled, RecordMaxBufferedTime, RecordTtl, ...).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Send each line as its own Kinesis record instead of KPL aggregates.
    #[arg(long)]
    no_aggregation: bool,
    /// Append records that cannot be written to this file, as JSON lines.
    #[arg(long, value_name = "FILE")]
    dead_letter: Option<PathBuf>,
    /// Serve the producer's metrics (the KPL's names) and the process's at
    /// http://HOST:PORT/metrics while it runs.
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Default)]
struct Tally {
    read: AtomicU64,
    bytes: AtomicU64,
    written: AtomicU64,
    aggregated: AtomicU64,
    failed: AtomicU64,
}

pub async fn run(args: PutArgs) -> anyhow::Result<()> {
    if let Some(addr) = args.metrics_addr {
        crate::metrics::serve_process_metrics(addr).await?;
    }
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let loaded = ProducerConfig::from_properties(&text).with_context(|| format!("in {}", path.display()))?;
            if !loaded.ignored.is_empty() {
                tracing::warn!(settings = ?loaded.ignored, "KPL settings with no effect here were ignored");
            }
            loaded.config
        }
        None => ProducerConfig::new(),
    };
    if let Some(url) = &args.endpoint.endpoint_url {
        config = config.endpoint_url(url);
    }
    if let Some(region) = &args.endpoint.region {
        config = config.region(region);
    }
    if args.no_aggregation {
        config = config.aggregation_enabled(false);
    }
    let mut builder = Producer::builder().config(config);
    if let Some(path) = &args.dead_letter {
        builder = builder.dead_letter(DeadLetterSink::file(path));
    }
    let producer = builder.build().await?;

    let tally = Arc::new(Tally::default());
    // Hidden when stderr is not a terminal.
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("valid template"));
    bar.enable_steady_tick(Duration::from_millis(100));
    let (tx, rx) = mpsc::unbounded_channel();
    let watcher = tokio::spawn(watch(rx, tally.clone(), bar.clone()));

    let started = Instant::now();
    let sources: Vec<Option<PathBuf>> = match args.files.as_slice() {
        [] => vec![None],
        files => files.iter().map(|f| (f.as_os_str() != "-").then(|| f.clone())).collect(),
    };
    let mut first_error = None;
    for source in sources {
        let result = match &source {
            None => send_lines(BufReader::new(tokio::io::stdin()), &producer, &args, &tally, &tx).await,
            Some(path) => match tokio::fs::File::open(path).await {
                Ok(f) => send_lines(BufReader::new(f), &producer, &args, &tally, &tx).await,
                Err(e) => Err(anyhow::Error::new(e).context(format!("cannot open {}", path.display()))),
            },
        };
        if let Err(e) = result {
            first_error = Some(e);
            break;
        }
    }
    drop(tx);
    producer.shutdown().await;
    watcher.await?;
    bar.finish_and_clear();

    let secs = started.elapsed().as_secs_f64();
    let t = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "{} records ({} bytes) to {}: {} written ({} in aggregates), {} failed, in {secs:.2} s ({:.0} records/s)",
        t(&tally.read),
        t(&tally.bytes),
        args.stream,
        t(&tally.written),
        t(&tally.aggregated),
        t(&tally.failed),
        t(&tally.written) as f64 / secs.max(1e-9),
    );
    if let Some(e) = first_error {
        return Err(e);
    }
    if t(&tally.failed) > 0 {
        anyhow::bail!("{} records were not written", t(&tally.failed));
    }
    Ok(())
}

async fn send_lines(
    mut input: impl AsyncBufRead + Unpin,
    producer: &Producer,
    args: &PutArgs,
    tally: &Tally,
    tx: &mpsc::UnboundedSender<RecordFuture>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        let n = tally.read.fetch_add(1, Ordering::Relaxed);
        tally.bytes.fetch_add(line.len() as u64, Ordering::Relaxed);
        let key = args.partition_key.clone().unwrap_or_else(|| n.to_string());
        let future = producer.put(&args.stream, &key, line.clone()).await?;
        let _ = tx.send(future);
    }
}

/// Awaits outcomes in put order (they complete in roughly that order) and keeps the tally
/// and the progress line current.
async fn watch(mut rx: mpsc::UnboundedReceiver<RecordFuture>, tally: Arc<Tally>, bar: ProgressBar) {
    let mut reported = false;
    while let Some(future) = rx.recv().await {
        match future.await {
            Ok(o) => {
                tally.written.fetch_add(1, Ordering::Relaxed);
                tally.aggregated.fetch_add(u64::from(o.aggregated()), Ordering::Relaxed);
            }
            Err(e) => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                if !reported {
                    reported = true;
                    bar.suspend(|| eprintln!("riffle put: a record failed: {e}"));
                }
            }
        }
        let t = |c: &AtomicU64| c.load(Ordering::Relaxed);
        bar.set_message(format!("{} read, {} written, {} failed", t(&tally.read), t(&tally.written), t(&tally.failed)));
    }
}
