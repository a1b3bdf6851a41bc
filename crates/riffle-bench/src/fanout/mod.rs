//! `bench fanout`: enhanced fan-out measured from the outside, over the same raw JSON 1.1 and
//! HTTP/1.1 as the other workloads, so every peer gets the same bytes.
//!
//! Two phases, each with its own consumer (registered under a unique name, deregistered after):
//! 1. latency ([`latency`]): put acknowledged -> SubscribeToShard event received, at a paced
//!    write rate;
//! 2. throughput ([`backlog`]): how fast one subscription per shard delivers a backlog read
//!    from TRIM_HORIZON.
//!
//! Records carry a [`Tag`] (phase nonce and number) in their first bytes, so a delivery is
//! matched to its put and anything else on the stream is ignored.

use bytes::Bytes;

use crate::client::KinesisClient;
use crate::report::FanoutReport;
use crate::wire::{self, Tag};
use crate::{BenchError, put, setup};

mod backlog;
mod config;
mod consumer;
mod latency;
mod subscriber;

pub use config::FanoutArgs;
pub(crate) use config::FanoutConfig;

/// A PutRecords body of records numbered `ids`, tagged with `nonce`, random keys and filler.
pub(crate) fn tagged_body(stream: &str, nonce: u64, ids: &[u64], record_size: usize) -> Bytes {
    let mut records = put::random_records(&mut rand::rng(), ids.len(), record_size);
    for (r, &id) in records.iter_mut().zip(ids) {
        Tag { nonce, id }.write(&mut r.data);
    }
    wire::put_records_body(stream, &records)
}

/// Runs both phases and reports.
pub(crate) async fn run(cfg: FanoutConfig) -> Result<FanoutReport, BenchError> {
    // Control plane and writers share this pool; each subscription holds a connection of its own.
    let client = KinesisClient::new(&cfg.endpoint, 16);
    setup::ensure_stream(&client, &cfg.stream, cfg.shards).await?;
    let shards = setup::list_shards(&client, &cfg.stream).await?;
    let stream_arn = consumer::stream_arn(&client, &cfg.stream).await?;

    let arn = consumer::register(&client, &cfg.stream, &stream_arn, &consumer::unique_name("latency")).await?;
    let latency = latency::run(&cfg, &client, &arn, &shards).await;
    consumer::deregister(&client, &arn).await;
    let latency = latency?;

    let throughput = if cfg.backlog > 0 {
        let arn = consumer::register(&client, &cfg.stream, &stream_arn, &consumer::unique_name("backlog")).await?;
        let phase = backlog::run(&cfg, &client, &arn, &shards).await;
        consumer::deregister(&client, &arn).await;
        Some(phase)
    } else {
        None
    };
    Ok(FanoutReport {
        endpoint: cfg.endpoint.to_string(),
        stream: cfg.stream.clone(),
        shards: shards.len(),
        record_size: cfg.record_size,
        latency,
        throughput,
    })
}
