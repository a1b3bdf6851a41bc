//! Live per-shard throughput for the console's charts: small ring buffers of rates, sampled
//! once a second from the metrics recorder (`crate::metrics`) — the same counters `GET /metrics`
//! exposes, so the data path pays nothing extra for the console.
//!
//! Sampling runs only while somebody watches: the first console API request starts it, and it
//! stops after [`IDLE_AFTER`] without one. A sample renders the metrics text (atomics, plus a
//! brief read lock of the log's index for its disk usage) and parses five metric families out of
//! it; the rings are updated under a mutex held only for that and for copying them out.

use crate::metrics::render;
use crate::state::{App, now_ms};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How many one-second points each shard keeps (two minutes).
pub const RING_POINTS: usize = 120;
/// Sampling stops this long after the last console API request.
const IDLE_AFTER: Duration = Duration::from_secs(120);
const EVERY: Duration = Duration::from_secs(1);

/// The counters read per shard: incoming records and bytes, outgoing records and bytes.
const COUNTERS: [&str; 4] =
    ["kinesis_IncomingRecords", "kinesis_IncomingBytes", "kinesis_OutgoingRecords", "kinesis_OutgoingBytes"];
/// Gauges whose largest value per shard is its iterator age: GetRecords' and fan-out's.
const AGES: [&str; 2] =
    ["kinesis_GetRecords_IteratorAgeMilliseconds", "kinesis_SubscribeToShardEvent_MillisBehindLatest"];

/// One second of one shard: rates per second over the last interval, and the iterator age.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    pub t: i64,
    pub write_records: f64,
    pub write_bytes: f64,
    pub read_records: f64,
    pub read_bytes: f64,
    pub iterator_age_ms: f64,
}

/// What one scrape read for a shard: the four counters and the age.
#[derive(Debug, Clone, Copy, Default)]
struct Reading {
    counters: [f64; 4],
    age: f64,
}

#[derive(Debug, Default)]
struct Ring {
    last: Option<(i64, Reading)>,
    points: VecDeque<Point>,
}

/// The console's sampler state; one per server, in `App`.
#[derive(Debug, Default)]
pub struct Samples {
    /// By stream name, then shard id.
    rings: Mutex<HashMap<String, HashMap<String, Ring>>>,
    last_watched_ms: AtomicI64,
    running: AtomicBool,
}

impl Samples {
    /// Notes a console request, starting the sampler if it is not running.
    pub fn watched(&self, app: &Arc<App>) {
        self.last_watched_ms.store(now_ms(), Ordering::Relaxed);
        if !self.running.swap(true, Ordering::AcqRel) {
            // A weak handle: a server that shuts down is not kept alive by its console.
            let weak = Arc::downgrade(app);
            tokio::spawn(run(weak));
        }
    }

    /// The points of every shard of `stream` sampled so far, by shard id.
    pub fn of_stream(&self, stream: &str) -> HashMap<String, Vec<Point>> {
        let rings = self.rings.lock();
        rings
            .get(stream)
            .map(|shards| shards.iter().map(|(id, r)| (id.clone(), r.points.iter().copied().collect())).collect())
            .unwrap_or_default()
    }

    /// Folds one scrape taken at `t` into the rings.
    fn record(&self, t: i64, readings: HashMap<(String, String), Reading>) {
        let mut rings = self.rings.lock();
        // Streams that are gone from the metrics are gone from the console too.
        rings.retain(|stream, _| readings.keys().any(|(s, _)| s == stream));
        for ((stream, shard), now) in readings {
            let ring = rings.entry(stream).or_default().entry(shard).or_default();
            if let Some((then, before)) = ring.last {
                let secs = ((t - then) as f64 / 1000.0).max(0.001);
                let rate = |i: usize| ((now.counters[i] - before.counters[i]) / secs).max(0.0);
                if ring.points.len() == RING_POINTS {
                    ring.points.pop_front();
                }
                ring.points.push_back(Point {
                    t,
                    write_records: rate(0),
                    write_bytes: rate(1),
                    read_records: rate(2),
                    read_bytes: rate(3),
                    iterator_age_ms: now.age,
                });
            }
            ring.last = Some((t, now));
        }
    }
}

async fn run(app: Weak<App>) {
    loop {
        let Some(strong) = app.upgrade() else { return };
        let samples = &strong.console;
        if now_ms() - samples.last_watched_ms.load(Ordering::Relaxed) > IDLE_AFTER.as_millis() as i64 {
            samples.running.store(false, Ordering::Release);
            samples.rings.lock().clear();
            return;
        }
        let text = render(&strong);
        samples.record(now_ms(), parse(&text));
        drop(strong);
        tokio::time::sleep(EVERY).await;
    }
}

/// The per-shard counters and ages in Prometheus text, by (stream, shard).
fn parse(text: &str) -> HashMap<(String, String), Reading> {
    let mut out: HashMap<(String, String), Reading> = HashMap::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once('{') else { continue };
        let counter = COUNTERS.iter().position(|c| *c == name);
        let age = AGES.contains(&name);
        if counter.is_none() && !age {
            continue;
        }
        let Some((labels, value)) = rest.rsplit_once("} ") else { continue };
        let (Some(stream), Some(shard), Ok(value)) =
            (label(labels, "StreamName"), label(labels, "ShardId"), value.trim().parse::<f64>())
        else {
            continue;
        };
        let r = out.entry((stream.to_string(), shard.to_string())).or_default();
        match counter {
            Some(i) => r.counters[i] += value,
            None => r.age = r.age.max(value),
        }
    }
    out
}

/// The value of label `key` in `a="x",b="y"` (stream names and shard ids need no unescaping).
fn label<'a>(labels: &'a str, key: &str) -> Option<&'a str> {
    labels.split(',').find_map(|kv| kv.strip_prefix(key)?.strip_prefix("=\"")?.strip_suffix('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE kinesis_IncomingRecords counter\n\
        kinesis_IncomingRecords{StreamName=\"s\",ShardId=\"shardId-000000000000\"} 10\n\
        kinesis_IncomingBytes{StreamName=\"s\",ShardId=\"shardId-000000000000\"} 1000\n\
        kinesis_IncomingRecords_total{StreamName=\"s\",ShardId=\"shardId-000000000000\"} 99\n\
        kinesis_GetRecords_IteratorAgeMilliseconds{StreamName=\"s\",ShardId=\"shardId-000000000000\"} 5\n\
        kinesis_SubscribeToShardEvent_MillisBehindLatest{StreamName=\"s\",ConsumerName=\"c\",ShardId=\"shardId-000000000000\"} 7\n";

    #[test]
    fn parses_the_shard_families_only() {
        let r = parse(TEXT);
        let one = r[&("s".to_string(), "shardId-000000000000".to_string())];
        assert_eq!(one.counters, [10.0, 1000.0, 0.0, 0.0]);
        assert_eq!(one.age, 7.0);
    }

    #[test]
    fn rates_come_from_consecutive_scrapes() {
        let s = Samples::default();
        s.record(1_000, parse(TEXT));
        assert!(s.of_stream("s")["shardId-000000000000"].is_empty(), "one scrape is no rate yet");
        s.record(3_000, parse(&TEXT.replace("} 10\n", "} 30\n")));
        let points = &s.of_stream("s")["shardId-000000000000"];
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].write_records, 10.0);
        assert_eq!(points[0].write_bytes, 0.0);
        for i in 0..RING_POINTS as i64 + 5 {
            s.record(4_000 + i * 1000, parse(TEXT));
        }
        assert_eq!(s.of_stream("s")["shardId-000000000000"].len(), RING_POINTS);
    }
}
