//! Reports: serialisable to JSON (for scripts such as `scripts/bench-peers.sh`) and printable as
//! a short human summary. Rates use decimal megabytes (1 MB = 10^6 bytes of record data,
//! partition keys and base64 overhead excluded), the unit Kinesis quotas are stated in.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

mod fanout;

pub use fanout::{FanoutReport, LatencyPhase, SubscriptionRate, SubscriptionStats, ThroughputPhase};

/// Latencies are recorded in microseconds, 1 µs to 10 min, 3 significant digits.
const LATENCY_MAX_US: u64 = 600_000_000;

pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("static histogram bounds are valid")
}

/// Records one latency, clamped into the histogram's range so an outlier is never dropped.
pub(crate) fn record_latency(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    h.saturating_record(us.clamp(1, LATENCY_MAX_US));
}

/// Per-request latency percentiles, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LatencySummary {
    pub(crate) fn from_histogram(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return LatencySummary { count: 0, mean_ms: 0.0, p50_ms: 0.0, p99_ms: 0.0, max_ms: 0.0 };
        }
        LatencySummary {
            count: h.len(),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

/// Counts by error type, sorted so reports are stable.
pub type ErrorCounts = BTreeMap<String, u64>;

/// The first full message seen for each error type, to diagnose without re-running.
pub type ErrorSamples = BTreeMap<String, String>;

/// Counts `e` under its kind and keeps its message if it is the first of that kind.
pub(crate) fn count_error(counts: &mut ErrorCounts, samples: &mut ErrorSamples, e: &crate::CallError) {
    *counts.entry(e.kind().to_owned()).or_default() += 1;
    if !samples.contains_key(e.kind()) {
        samples.insert(e.kind().to_owned(), e.detail());
    }
}

/// Adds one worker's error tallies into the run's.
pub(crate) fn merge_errors(
    (counts, samples): (&mut ErrorCounts, &mut ErrorSamples),
    (more_counts, more_samples): (ErrorCounts, ErrorSamples),
) {
    for (k, v) in more_counts {
        *counts.entry(k).or_default() += v;
    }
    for (k, v) in more_samples {
        samples.entry(k).or_insert(v);
    }
}

/// Result of `bench put`.
#[derive(Debug, Clone, Serialize)]
pub struct PutReport {
    pub endpoint: String,
    pub stream: String,
    pub record_size: usize,
    pub batch: usize,
    pub concurrency: usize,
    pub elapsed_secs: f64,
    /// Requests that got a well-formed 2xx answer / that failed as a whole.
    pub requests: u64,
    pub requests_ok: u64,
    pub requests_failed: u64,
    /// Records acknowledged with a SequenceNumber and ShardId: the only ones counted as written.
    pub records_ok: u64,
    /// Records whose result entry carried an ErrorCode (partial PutRecords failure).
    pub records_failed: u64,
    /// Records inside requests that failed as a whole (error status, transport, bad response).
    pub records_in_failed_requests: u64,
    /// Sum of the responses' FailedRecordCount, to cross-check `records_failed`.
    pub failed_record_count_reported: u64,
    pub records_per_sec: f64,
    pub mb_per_sec: f64,
    pub latency: LatencySummary,
    /// Whole-request failures by `__type` (or TransportError / MalformedResponse / HTTP nnn).
    pub request_errors: ErrorCounts,
    /// Per-record failures by ErrorCode.
    pub record_errors: ErrorCounts,
    /// First message of each whole-request error type.
    pub error_samples: ErrorSamples,
}

/// Result of `bench get`.
#[derive(Debug, Clone, Serialize)]
pub struct GetReport {
    pub endpoint: String,
    pub stream: String,
    pub concurrency: usize,
    pub limit: u32,
    pub shards: usize,
    /// Shards read to the end (caught up or closed).
    pub shards_completed: usize,
    /// Shards abandoned after a non-throttling error.
    pub shards_failed: usize,
    /// True when --max-secs ran out before every shard was caught up.
    pub truncated: bool,
    pub elapsed_secs: f64,
    /// Successful GetRecords calls.
    pub calls: u64,
    /// GetRecords/GetShardIterator calls answered with a throttling error (then retried).
    pub throttled: u64,
    pub records: u64,
    pub bytes: u64,
    pub records_per_sec: f64,
    pub mb_per_sec: f64,
    pub latency: LatencySummary,
    pub errors: ErrorCounts,
    /// First message of each error type.
    pub error_samples: ErrorSamples,
}

/// Counters of a null-server run, reported when it is stopped.
#[derive(Debug, Clone, Serialize)]
pub struct NullServerReport {
    pub addr: String,
    pub elapsed_secs: f64,
    pub connections: u64,
    pub requests: u64,
    pub records: u64,
    pub bytes: u64,
}

/// What [`crate::run`] returns, tagged by `kind` in JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BenchReport {
    Put(PutReport),
    Get(GetReport),
    /// Boxed: it is several times the size of the others.
    Fanout(Box<FanoutReport>),
    NullServer(NullServerReport),
}

impl BenchReport {
    /// Pretty JSON, for `--json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports always serialise")
    }
}

pub(crate) fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

fn write_errors(f: &mut fmt::Formatter<'_>, label: &str, e: &ErrorCounts) -> fmt::Result {
    if e.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = e.iter().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(f, "  {label:<12} {}", list.join(" "))
}

fn write_samples(f: &mut fmt::Formatter<'_>, samples: &ErrorSamples) -> fmt::Result {
    for (kind, message) in samples {
        writeln!(f, "  {:<12} {kind}: {message}", "first")?;
    }
    Ok(())
}

impl fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (mean {:.2} ms, n={})",
            self.p50_ms, self.p99_ms, self.max_ms, self.mean_ms, self.count
        )
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchReport::Put(r) => {
                writeln!(
                    f,
                    "put {} stream={} record={} B batch={} concurrency={}",
                    r.endpoint, r.stream, r.record_size, r.batch, r.concurrency
                )?;
                writeln!(f, "  {:<12} {:.2} s", "elapsed", r.elapsed_secs)?;
                writeln!(f, "  {:<12} {:.0} records/s, {:.2} MB/s", "throughput", r.records_per_sec, r.mb_per_sec)?;
                writeln!(
                    f,
                    "  {:<12} {} ok, {} failed in results, {} in failed requests",
                    "records", r.records_ok, r.records_failed, r.records_in_failed_requests
                )?;
                writeln!(
                    f,
                    "  {:<12} {} ({} ok, {} failed)",
                    "requests", r.requests, r.requests_ok, r.requests_failed
                )?;
                writeln!(f, "  {:<12} {}", "latency", r.latency)?;
                write_errors(f, "req errors", &r.request_errors)?;
                write_samples(f, &r.error_samples)?;
                write_errors(f, "rec errors", &r.record_errors)
            }
            BenchReport::Get(r) => {
                writeln!(
                    f,
                    "get {} stream={} shards={} concurrency={} limit={}",
                    r.endpoint, r.stream, r.shards, r.concurrency, r.limit
                )?;
                writeln!(f, "  {:<12} {:.2} s", "elapsed", r.elapsed_secs)?;
                writeln!(f, "  {:<12} {:.0} records/s, {:.2} MB/s", "throughput", r.records_per_sec, r.mb_per_sec)?;
                writeln!(f, "  {:<12} {} ({} bytes)", "records", r.records, r.bytes)?;
                writeln!(f, "  {:<12} {} GetRecords, {} throttled", "calls", r.calls, r.throttled)?;
                writeln!(
                    f,
                    "  {:<12} {} completed, {} failed{}",
                    "shards",
                    r.shards_completed,
                    r.shards_failed,
                    if r.truncated { ", stopped by --max-secs" } else { "" }
                )?;
                writeln!(f, "  {:<12} {}", "latency", r.latency)?;
                write_errors(f, "errors", &r.errors)?;
                write_samples(f, &r.error_samples)
            }
            BenchReport::Fanout(r) => write!(f, "{r}"),
            BenchReport::NullServer(r) => writeln!(
                f,
                "null-server {}: {:.1} s, {} connections, {} requests, {} records, {} bytes",
                r.addr, r.elapsed_secs, r.connections, r.requests, r.records, r.bytes
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_from_histogram() {
        let mut h = new_histogram();
        for ms in 1..=100u64 {
            record_latency(&mut h, Duration::from_millis(ms));
        }
        let s = LatencySummary::from_histogram(&h);
        assert_eq!(s.count, 100);
        // 3 significant digits: within 0.1% of the exact value.
        assert!((s.p50_ms - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 0.1, "{s:?}");
        assert!((s.max_ms - 100.0).abs() < 0.1, "{s:?}");
        assert!((s.mean_ms - 50.5).abs() < 0.1, "{s:?}");
    }

    #[test]
    fn empty_and_out_of_range_latencies() {
        let mut h = new_histogram();
        assert_eq!(LatencySummary::from_histogram(&h).count, 0);
        record_latency(&mut h, Duration::ZERO);
        record_latency(&mut h, Duration::from_secs(100_000));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn report_json_is_tagged() {
        let r = BenchReport::NullServer(NullServerReport {
            addr: "127.0.0.1:1".into(),
            elapsed_secs: 1.0,
            connections: 1,
            requests: 2,
            records: 3,
            bytes: 4,
        });
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["kind"], "null_server");
        assert_eq!(v["records"], 3);
        assert!(r.to_string().contains("3 records"));
    }
}
