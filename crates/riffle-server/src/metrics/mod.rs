//! Prometheus metrics of `riffle serve`, at `GET /metrics` on the API port and on
//! `--metrics-addr`: Kinesis's CloudWatch metrics per stream, shard and consumer ([`names`]
//! has the naming rule), the log's storage, and the process.
//!
//! Each server has its own recorder rather than the process-global one, so servers sharing a
//! process (tests) keep their numbers apart; handles are resolved from it once per stream,
//! shard and consumer and cached ([`handles`]). Histograms buffer samples until the next
//! scrape or upkeep, so `start` runs [`Metrics::upkeep`] every few seconds: with no scraper,
//! memory stays bounded.

mod handles;
mod names;
mod process;
mod serve;
mod storage;
mod text;

pub(crate) use handles::{ShardTally, StreamMetrics, SubscriptionMetrics};
pub use process::render_process_metrics;
pub use serve::{CONTENT_TYPE, exposition, serve_metrics};

use crate::catalog::Stream;
use crate::state::App;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use names::*;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How often histogram buffers are drained when nobody scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// By stream uid: a recreated stream is a new instance with its own handles (on the same
    /// series, since the labels are the same).
    streams: RwLock<HashMap<u32, Arc<StreamMetrics>>>,
    /// Handed to the log as its observer.
    pub log: Arc<storage::LogMetrics>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let buckets = [
            (Matcher::Suffix("_Latency".into()), LATENCY_MS_BUCKETS),
            (Matcher::Full(LOG_FSYNC_SECONDS.into()), FSYNC_SECONDS_BUCKETS),
            (Matcher::Full(LOG_GROUP_REQUESTS.into()), GROUP_REQUESTS_BUCKETS),
            (Matcher::Full(LOG_GROUP_RECORDS.into()), GROUP_RECORDS_BUCKETS),
            (Matcher::Full(LOG_GROUP_BYTES.into()), GROUP_BYTES_BUCKETS),
        ];
        let builder = buckets.into_iter().fold(PrometheusBuilder::new(), |b, (matcher, values)| {
            b.set_buckets_for_metric(matcher, values).expect("bucket lists are not empty")
        });
        let recorder = Arc::new(builder.build_recorder());
        metrics::with_local_recorder(&*recorder, names::describe);
        let log = Arc::new(storage::LogMetrics::new(&recorder));
        Self { handle: recorder.handle(), recorder, streams: RwLock::new(HashMap::new()), log }
    }

    /// The handles of stream `s`, made on its first request.
    pub(crate) fn stream(&self, s: &Stream) -> Arc<StreamMetrics> {
        if let Some(m) = self.streams.read().get(&s.uid) {
            return Arc::clone(m);
        }
        let mut streams = self.streams.write();
        Arc::clone(
            streams.entry(s.uid).or_insert_with(|| Arc::new(StreamMetrics::new(Arc::clone(&self.recorder), &s.name))),
        )
    }

    /// Drains histogram buffers into their buckets.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// Everything `GET /metrics` answers, as Prometheus text.
pub fn render(app: &App) -> String {
    // Forget the handles of streams that are gone (their series stay, at their last values).
    {
        let cat = app.catalog.read();
        app.metrics.streams.write().retain(|uid, _| cat.by_uid(*uid).is_some());
    }
    let mut out = app.metrics.handle.render();
    storage::render(app, &mut out);
    render_process_metrics(&mut out);
    out
}
