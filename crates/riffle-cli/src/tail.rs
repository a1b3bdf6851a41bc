//! `riffle tail STREAM`: every record of a stream as it arrives, through `riffle-consumer`'s
//! lease-free [`StreamReader`] — aggregates unpacked, children read after their parents.

use anyhow::Context;
use base64::Engine;
use clap::{Args, ValueEnum};
use riffle_consumer::{InitialPosition, Record, StreamReader};
use std::io::Write;
use std::time::SystemTime;
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum From {
    /// The oldest record retained.
    TrimHorizon,
    /// Only records written from now on.
    Latest,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// The data, one record a line (as UTF-8, invalid bytes replaced).
    Text,
    /// One JSON object a line: shard, sequence and sub-sequence numbers, key, data in base64.
    Json,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// The stream to read.
    stream: String,
    /// Where to start in every shard.
    #[arg(long, value_enum, default_value = "latest", conflicts_with = "at_timestamp")]
    from: From,
    /// Start at this time instead: RFC 3339 (2024-05-01T12:00:00Z) or epoch seconds.
    #[arg(long, value_name = "TIME")]
    at_timestamp: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Stop after this many records.
    #[arg(long, short = 'n')]
    count: Option<u64>,
    #[command(flatten)]
    endpoint: crate::client::Endpoint,
    /// Serve the reader's and the process's metrics at http://HOST:PORT/metrics while it runs.
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<std::net::SocketAddr>,
}

fn parse_time(s: &str) -> anyhow::Result<SystemTime> {
    use aws_sdk_kinesis::primitives::{DateTime, DateTimeFormat};
    let t = match s.parse::<f64>() {
        Ok(secs) => DateTime::from_secs_f64(secs),
        Err(_) => DateTime::from_str(s, DateTimeFormat::DateTime).with_context(|| format!("not a time: {s}"))?,
    };
    SystemTime::try_from(t).with_context(|| format!("time out of range: {s}"))
}

fn line(format: Format, shard: &str, r: &Record) -> String {
    match format {
        Format::Text => String::from_utf8_lossy(&r.data).into_owned(),
        Format::Json => serde_json::json!({
            "shard_id": shard,
            "sequence_number": r.sequence_number,
            "sub_sequence_number": r.sub_sequence_number,
            "partition_key": r.partition_key,
            "data": base64::engine::general_purpose::STANDARD.encode(&r.data),
        })
        .to_string(),
    }
}

pub async fn run(args: TailArgs) -> anyhow::Result<()> {
    if let Some(addr) = args.metrics_addr {
        crate::metrics::serve_process_metrics(addr).await?;
    }
    let start = match &args.at_timestamp {
        Some(t) => InitialPosition::AtTimestamp(parse_time(t)?),
        None => match args.from {
            From::TrimHorizon => InitialPosition::TrimHorizon,
            From::Latest => InitialPosition::Latest,
        },
    };
    let client = args.endpoint.kinesis_client().await;
    let (tx, mut rx) = mpsc::channel(1024);
    let reader = tokio::spawn(StreamReader::new(client, &args.stream, start).run(tx));
    let mut out = std::io::stdout().lock();
    let mut printed = 0u64;
    while let Some((shard, record)) = rx.recv().await {
        writeln!(out, "{}", line(args.format, &shard, &record))?;
        printed += 1;
        if args.count.is_some_and(|n| printed >= n) {
            break;
        }
        if rx.is_empty() {
            out.flush()?;
        }
    }
    out.flush()?;
    drop(rx);
    if args.count.is_some_and(|n| printed >= n) {
        reader.abort();
        return Ok(());
    }
    reader.await?.with_context(|| format!("reading stream {}", args.stream))
}
