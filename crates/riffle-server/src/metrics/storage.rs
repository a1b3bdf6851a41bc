//! Storage metrics: the log's group commits and fsyncs as they happen (through
//! [`riffle_log::LogObserver`], so riffle-log stays free of any metrics library), and what is
//! on disk, read from the log's index at scrape time.

use super::names::*;
use super::text::{Family, Kind};
use crate::state::App;
use metrics::{Histogram, histogram};
use metrics_exporter_prometheus::PrometheusRecorder;
use std::collections::HashMap;
use std::time::Duration;

/// Records the writer's and syncer's reports into histograms: a lock-free push each, once per
/// group or fsync.
pub struct LogMetrics {
    fsync: Histogram,
    group_requests: Histogram,
    group_records: Histogram,
    group_bytes: Histogram,
}

impl std::fmt::Debug for LogMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogMetrics")
    }
}

impl LogMetrics {
    pub fn new(recorder: &PrometheusRecorder) -> Self {
        metrics::with_local_recorder(recorder, || Self {
            fsync: histogram!(LOG_FSYNC_SECONDS),
            group_requests: histogram!(LOG_GROUP_REQUESTS),
            group_records: histogram!(LOG_GROUP_RECORDS),
            group_bytes: histogram!(LOG_GROUP_BYTES),
        })
    }
}

impl riffle_log::LogObserver for LogMetrics {
    fn fsync(&self, took: Duration) {
        self.fsync.record(took.as_secs_f64());
    }

    fn group(&self, requests: usize, records: usize, bytes: usize) {
        self.group_requests.record(requests as f64);
        self.group_records.record(records as f64);
        self.group_bytes.record(bytes as f64);
    }
}

/// Disk usage per stream and in total, and the log's lifetime counters, as exposition text.
/// Computed fresh at every scrape, so a deleted stream's series simply stops appearing.
pub fn render(app: &App, out: &mut String) {
    let usage = app.log.disk_usage();
    let mut per_stream: HashMap<u32, u64> = HashMap::new();
    for (key, bytes) in &usage.shards {
        *per_stream.entry(key.stream_uid()).or_default() += bytes;
    }
    let mut streams: Vec<(String, u64)> = {
        let cat = app.catalog.read();
        cat.streams.values().map(|s| (s.name.clone(), per_stream.get(&s.uid).copied().unwrap_or(0))).collect()
    };
    streams.sort();
    let mut f = Family::new(out, "riffle_stream_disk_bytes", Kind::Gauge, "Bytes of the stream's records on disk");
    for (name, bytes) in &streams {
        f.sample(&[("StreamName", name)], *bytes as f64);
    }
    Family::new(out, "riffle_log_segments", Kind::Gauge, "Segment files of the log").sample(&[], usage.segments as f64);
    Family::new(out, "riffle_log_disk_bytes", Kind::Gauge, "Bytes in the log's segment files")
        .sample(&[], usage.bytes as f64);
    let s = app.log.stats();
    let counters = [
        ("riffle_log_appends_total", "Append requests taken by the log writer", s.appends),
        ("riffle_log_records_total", "Records written to the log", s.records),
        ("riffle_log_frames_total", "Frames written (one per group commit)", s.frames),
        ("riffle_log_written_bytes_total", "Bytes written to segment files", s.bytes_written),
        ("riffle_log_fsyncs_total", "fsync calls on segments and the directory", s.fsyncs),
        ("riffle_log_segments_created_total", "Segment files created", s.segments_created),
        ("riffle_log_segments_deleted_total", "Segment files deleted by retention", s.segments_deleted),
        (
            "riffle_log_block_list_loads_total",
            "Sealed segments' block lists rebuilt on a cache miss",
            s.block_list_loads,
        ),
    ];
    for (name, help, value) in counters {
        Family::new(out, name, Kind::Counter, help).sample(&[], value as f64);
    }
}
