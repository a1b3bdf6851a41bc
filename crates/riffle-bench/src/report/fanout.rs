//! The report of `bench fanout`.

use std::fmt;

use serde::Serialize;

use super::{ErrorCounts, ErrorSamples, LatencySummary, write_errors, write_samples};

/// Result of `bench fanout`.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutReport {
    pub endpoint: String,
    pub stream: String,
    /// Shards subscribed to (one subscription each, per phase).
    pub shards: usize,
    pub record_size: usize,
    pub latency: LatencyPhase,
    /// Absent with `--backlog 0`.
    pub throughput: Option<ThroughputPhase>,
}

/// Phase 1: delivery latency at a paced write rate.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyPhase {
    /// --rate, records/s.
    pub target_rate: f64,
    pub batch: usize,
    pub duration_secs: f64,
    /// Records put / acknowledged with a ShardId and SequenceNumber / not acknowledged.
    pub sent: u64,
    pub acked: u64,
    pub put_failed: u64,
    /// From the first put to the last acknowledgement, and the acknowledged rate over it.
    pub put_secs: f64,
    pub put_records_per_sec: f64,
    /// Acknowledged records that arrived / never arrived (within --max-secs).
    pub delivered: u64,
    pub missing: u64,
    /// Records that arrived although their put was not acknowledged (e.g. a timed-out request).
    pub delivered_unacked: u64,
    /// Second and later arrivals of a record (resubscriptions may repeat some).
    pub duplicates: u64,
    /// Records on the stream this phase did not write.
    pub other_records: u64,
    /// Records whose event was read before their put's answer; their latency counts as 0.
    pub before_ack: u64,
    /// Put acknowledged -> event received, per delivered record.
    pub latency: LatencySummary,
    /// PutRecords sent -> event received: the whole trip, which still says something when
    /// events beat their acknowledgement (a server pushing as it commits).
    pub from_send: LatencySummary,
    pub put_errors: ErrorCounts,
    pub put_error_samples: ErrorSamples,
    pub subscriptions: SubscriptionStats,
}

/// Phase 2: a backlog read from TRIM_HORIZON, one subscription per shard.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughputPhase {
    /// --backlog, and how many of those records were acknowledged (after retries).
    pub backlog: u64,
    pub backlog_acked: u64,
    pub backlog_write_secs: f64,
    pub backlog_write_errors: ErrorCounts,
    pub backlog_write_error_samples: ErrorSamples,
    /// Every acknowledged backlog record arrived before --max-secs.
    pub complete: bool,
    pub backlog_delivered: u64,
    /// Everything delivered, backlog and older records alike, and its data bytes.
    pub records: u64,
    pub bytes: u64,
    pub duplicates: u64,
    /// From subscribing to the last backlog record (or to --max-secs).
    pub elapsed_secs: f64,
    /// All subscriptions together.
    pub records_per_sec: f64,
    pub mb_per_sec: f64,
    /// Mean over the subscriptions of their own rate.
    pub per_subscription_records_per_sec: f64,
    pub per_subscription_mb_per_sec: f64,
    pub per_subscription: Vec<SubscriptionRate>,
    pub subscriptions: SubscriptionStats,
}

/// One subscription's delivery of the backlog.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRate {
    pub shard_id: String,
    /// Backlog records the shard acknowledged.
    pub backlog_records: u64,
    /// Records (and data bytes) delivered until its last backlog record.
    pub records: u64,
    pub bytes: u64,
    pub secs: f64,
    pub complete: bool,
    pub records_per_sec: f64,
    pub mb_per_sec: f64,
}

/// How the SubscribeToShard streams of one phase went.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SubscriptionStats {
    /// SubscribeToShard calls answered with a stream (more than one per shard: renewals).
    pub subscribe_calls: u64,
    /// `initial-response` events: AWS and Riffle send one per stream, kinesis-mock none.
    pub initial_responses: u64,
    pub events: u64,
    pub records: u64,
    /// Subscriptions ended by a closed shard.
    pub shard_ends: u64,
    /// Failed calls, in-stream exceptions, broken or silent streams, by type.
    pub errors: ErrorCounts,
    pub error_samples: ErrorSamples,
}

impl fmt::Display for SubscriptionStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  {:<12} {} SubscribeToShard, {} initial-response, {} events, {} records, {} shard ends",
            "subscribe", self.subscribe_calls, self.initial_responses, self.events, self.records, self.shard_ends
        )?;
        write_errors(f, "sub errors", &self.errors)?;
        write_samples(f, &self.error_samples)
    }
}

impl fmt::Display for FanoutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "fanout {} stream={} shards={} record={} B",
            self.endpoint, self.stream, self.shards, self.record_size
        )?;
        let l = &self.latency;
        writeln!(
            f,
            "latency phase: {:.0} records/s target, batch {}, {:.1} s",
            l.target_rate, l.batch, l.duration_secs
        )?;
        writeln!(
            f,
            "  {:<12} {} sent, {} acked, {} failed; {:.0} records/s acked over {:.2} s",
            "put", l.sent, l.acked, l.put_failed, l.put_records_per_sec, l.put_secs
        )?;
        writeln!(
            f,
            "  {:<12} {} delivered, {} missing, {} unacked delivered, {} duplicates, {} other",
            "delivery", l.delivered, l.missing, l.delivered_unacked, l.duplicates, l.other_records
        )?;
        writeln!(f, "  {:<12} {} ({} read before their ack)", "from ack", l.latency, l.before_ack)?;
        writeln!(f, "  {:<12} {}", "from send", l.from_send)?;
        write_errors(f, "put errors", &l.put_errors)?;
        write_samples(f, &l.put_error_samples)?;
        write!(f, "{}", l.subscriptions)?;
        let Some(t) = &self.throughput else {
            return Ok(());
        };
        writeln!(
            f,
            "throughput phase: backlog {} ({} acked, written in {:.2} s)",
            t.backlog, t.backlog_acked, t.backlog_write_secs
        )?;
        write_errors(f, "put errors", &t.backlog_write_errors)?;
        write_samples(f, &t.backlog_write_error_samples)?;
        writeln!(
            f,
            "  {:<12} {} of {} backlog records in {:.2} s{}; {} records in all, {} duplicates",
            "delivery",
            t.backlog_delivered,
            t.backlog_acked,
            t.elapsed_secs,
            if t.complete { "" } else { " (stopped by --max-secs)" },
            t.records,
            t.duplicates
        )?;
        writeln!(f, "  {:<12} {:.0} records/s, {:.2} MB/s", "all subs", t.records_per_sec, t.mb_per_sec)?;
        writeln!(
            f,
            "  {:<12} {:.0} records/s, {:.2} MB/s (mean of {})",
            "per sub",
            t.per_subscription_records_per_sec,
            t.per_subscription_mb_per_sec,
            t.per_subscription.len()
        )?;
        write!(f, "{}", t.subscriptions)
    }
}
