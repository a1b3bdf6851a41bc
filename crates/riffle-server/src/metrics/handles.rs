//! Metric handles, resolved once per stream, shard and consumer and cached, so a request costs
//! a few atomic adds — no label formatting or registry lookup on the hot path. The put path
//! counts per request and per touched shard ([`ShardTally`]), never per record.

use super::names::*;
use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use metrics_exporter_prometheus::PrometheusRecorder;
use parking_lot::{Mutex, RwLock};
use riffle_types::ShardId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Milliseconds since `started`, as CloudWatch's latencies are reported.
pub fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// One operation's stream-level latency and success count.
pub struct Call {
    pub bytes: Counter,
    pub latency: Histogram,
    pub success: Counter,
}

impl Call {
    fn new(stream: &str, bytes: &'static str, latency: &'static str, success: &'static str) -> Self {
        Self {
            bytes: counter!(bytes, "StreamName" => stream.to_string()),
            latency: histogram!(latency, "StreamName" => stream.to_string()),
            success: counter!(success, "StreamName" => stream.to_string()),
        }
    }

    /// A successful call that moved `bytes` bytes and began at `started`.
    pub fn succeeded(&self, started: Instant, bytes: u64) {
        self.bytes.increment(bytes);
        self.success.increment(1);
        self.latency.record(elapsed_ms(started));
    }
}

/// PutRecords' record counts, beyond [`Call`].
pub struct PutRecordsCounts {
    /// `PutRecords.Records`: CloudWatch's older name for the successful ones.
    pub records: Counter,
    pub successful: Counter,
    pub failed: Counter,
    pub throttled: Counter,
    pub total: Counter,
}

/// Shard-level metrics (CloudWatch's enhanced monitoring, always on here).
pub struct ShardMetrics {
    pub incoming_bytes: Counter,
    pub incoming_records: Counter,
    pub outgoing_bytes: Counter,
    pub outgoing_records: Counter,
    pub write_exceeded: Counter,
    pub read_exceeded: Counter,
    pub iterator_age: Gauge,
}

/// An enhanced fan-out consumer's metrics.
pub struct ConsumerMetrics {
    stream: Arc<str>,
    consumer: String,
    pub subscribe_success: Counter,
    pub rate_exceeded: Counter,
    pub event_bytes: Counter,
    pub event_records: Counter,
    pub event_success: Counter,
}

/// One stream's handles; shard and consumer handles are made on first use.
pub struct StreamMetrics {
    recorder: Arc<PrometheusRecorder>,
    name: Arc<str>,
    pub put_record: Call,
    pub put_records: Call,
    pub put_records_counts: PutRecordsCounts,
    pub get_records: Call,
    pub get_records_records: Counter,
    /// By shard index (indices are dense: a stream numbers its shards from 0).
    shards: RwLock<Vec<Option<Arc<ShardMetrics>>>>,
    consumers: Mutex<HashMap<String, Arc<ConsumerMetrics>>>,
}

impl StreamMetrics {
    pub fn new(recorder: Arc<PrometheusRecorder>, name: &str) -> Self {
        let s = || name.to_string();
        let (put_record, put_records, put_records_counts, get_records, get_records_records) =
            metrics::with_local_recorder(&*recorder, || {
                (
                    Call::new(name, PUT_RECORD_BYTES, PUT_RECORD_LATENCY, PUT_RECORD_SUCCESS),
                    Call::new(name, PUT_RECORDS_BYTES, PUT_RECORDS_LATENCY, PUT_RECORDS_SUCCESS),
                    PutRecordsCounts {
                        records: counter!(PUT_RECORDS_RECORDS, "StreamName" => s()),
                        successful: counter!(PUT_RECORDS_SUCCESSFUL, "StreamName" => s()),
                        failed: counter!(PUT_RECORDS_FAILED, "StreamName" => s()),
                        throttled: counter!(PUT_RECORDS_THROTTLED, "StreamName" => s()),
                        total: counter!(PUT_RECORDS_TOTAL, "StreamName" => s()),
                    },
                    Call::new(name, GET_RECORDS_BYTES, GET_RECORDS_LATENCY, GET_RECORDS_SUCCESS),
                    counter!(GET_RECORDS_RECORDS, "StreamName" => s()),
                )
            });
        Self {
            recorder,
            name: name.into(),
            put_record,
            put_records,
            put_records_counts,
            get_records,
            get_records_records,
            shards: RwLock::new(Vec::new()),
            consumers: Mutex::new(HashMap::new()),
        }
    }

    /// The handles of shard `index`, made on first use.
    pub fn shard(&self, index: u32) -> Arc<ShardMetrics> {
        let i = index as usize;
        if let Some(Some(m)) = self.shards.read().get(i) {
            return Arc::clone(m);
        }
        let mut shards = self.shards.write();
        if shards.len() <= i {
            shards.resize(i + 1, None);
        }
        let made = shards[i].get_or_insert_with(|| {
            let (stream, shard) = (self.name.to_string(), ShardId(index).to_string());
            let l = move || [("StreamName", stream.clone()), ("ShardId", shard.clone())];
            Arc::new(metrics::with_local_recorder(&*self.recorder, || ShardMetrics {
                incoming_bytes: counter!(INCOMING_BYTES, &l()),
                incoming_records: counter!(INCOMING_RECORDS, &l()),
                outgoing_bytes: counter!(OUTGOING_BYTES, &l()),
                outgoing_records: counter!(OUTGOING_RECORDS, &l()),
                write_exceeded: counter!(WRITE_EXCEEDED, &l()),
                read_exceeded: counter!(READ_EXCEEDED, &l()),
                iterator_age: gauge!(ITERATOR_AGE, &l()),
            }))
        });
        Arc::clone(made)
    }

    /// The handles of consumer `name`, made on first use (subscriptions are rare next to events).
    pub fn consumer(&self, name: &str) -> Arc<ConsumerMetrics> {
        let mut consumers = self.consumers.lock();
        let m = consumers.entry(name.to_string()).or_insert_with(|| {
            let l = || [("StreamName", self.name.to_string()), ("ConsumerName", name.to_string())];
            Arc::new(metrics::with_local_recorder(&*self.recorder, || ConsumerMetrics {
                stream: Arc::clone(&self.name),
                consumer: name.to_string(),
                subscribe_success: counter!(SUBSCRIBE_SUCCESS, &l()),
                rate_exceeded: counter!(SUBSCRIBE_RATE_EXCEEDED, &l()),
                event_bytes: counter!(EVENT_BYTES, &l()),
                event_records: counter!(EVENT_RECORDS, &l()),
                event_success: counter!(EVENT_SUCCESS, &l()),
            }))
        });
        Arc::clone(m)
    }

    /// A subscription's handles: its consumer's, its shard's, and its MillisBehindLatest gauge
    /// (per shard as well as per consumer: one number for many shards would mean nothing).
    pub fn subscription(&self, consumer: &str, shard: u32) -> SubscriptionMetrics {
        let c = self.consumer(consumer);
        let millis_behind = metrics::with_local_recorder(&*self.recorder, || {
            gauge!(EVENT_MILLIS_BEHIND, "StreamName" => c.stream.to_string(), "ConsumerName" => c.consumer.clone(),
                "ShardId" => ShardId(shard).to_string())
        });
        SubscriptionMetrics { consumer: c, shard: self.shard(shard), millis_behind }
    }

    /// A PutRecord that wrote `bytes` bytes to shard `shard`.
    pub fn put_record_answered(&self, started: Instant, shard: u32, bytes: u64) {
        self.put_record.succeeded(started, bytes);
        let sh = self.shard(shard);
        sh.incoming_records.increment(1);
        sh.incoming_bytes.increment(bytes);
    }

    /// An answered PutRecords of `total` records, `failed` of them refused (throttled or
    /// failed), with `tally` saying what each shard took and throttled.
    pub fn put_records_answered(&self, started: Instant, tally: &ShardTally, total: u64, failed: u64) {
        let [mut written, mut bytes, mut throttled] = [0u64; 3];
        for (index, t) in tally.0.iter().enumerate().filter(|(_, t)| **t != [0; 3]) {
            let sh = self.shard(index as u32);
            sh.incoming_records.increment(t[0]);
            sh.incoming_bytes.increment(t[1]);
            sh.write_exceeded.increment(t[2]);
            written += t[0];
            bytes += t[1];
            throttled += t[2];
        }
        let c = &self.put_records_counts;
        c.total.increment(total);
        c.records.increment(written);
        c.successful.increment(written);
        c.throttled.increment(throttled);
        c.failed.increment(failed.saturating_sub(throttled));
        if written > 0 {
            self.put_records.succeeded(started, bytes);
        } else {
            self.put_records.latency.record(elapsed_ms(started));
        }
    }

    /// A GetRecords of shard `shard` that returned `records` records of `bytes` bytes, the
    /// last of them `iterator_age_ms` old.
    pub fn get_records_answered(&self, started: Instant, shard: u32, records: u64, bytes: u64, iterator_age_ms: i64) {
        self.get_records.succeeded(started, bytes);
        self.get_records_records.increment(records);
        let sh = self.shard(shard);
        sh.outgoing_records.increment(records);
        sh.outgoing_bytes.increment(bytes);
        sh.iterator_age.set(iterator_age_ms as f64);
    }
}

/// What one subscription updates.
pub struct SubscriptionMetrics {
    pub consumer: Arc<ConsumerMetrics>,
    pub shard: Arc<ShardMetrics>,
    pub millis_behind: Gauge,
}

impl SubscriptionMetrics {
    /// One event sent with `records` records of `bytes` bytes (heartbeats have none).
    pub fn event(&self, records: u64, bytes: u64, millis_behind: i64) {
        let c = &self.consumer;
        c.event_success.increment(1);
        if records > 0 {
            c.event_records.increment(records);
            c.event_bytes.increment(bytes);
            self.shard.outgoing_records.increment(records);
            self.shard.outgoing_bytes.increment(bytes);
        }
        self.millis_behind.set(millis_behind as f64);
    }
}

/// Per-shard counts of one put request, by shard index: records and bytes written, records
/// throttled. Indexing by shard keeps the per-record cost to one bounds check and two adds.
#[derive(Debug, Default)]
pub struct ShardTally(Vec<[u64; 3]>);

impl ShardTally {
    fn slot(&mut self, shard: u32) -> &mut [u64; 3] {
        let i = shard as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, [0; 3]);
        }
        &mut self.0[i]
    }

    pub fn written(&mut self, shard: u32, bytes: usize) {
        let t = self.slot(shard);
        t[0] += 1;
        t[1] += bytes as u64;
    }

    pub fn throttled(&mut self, shard: u32) {
        self.slot(shard)[2] += 1;
    }
}
