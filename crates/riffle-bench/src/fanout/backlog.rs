//! Phase 2, throughput per subscription: write a backlog (PutRecords of 500 from a few
//! connections, failed records retried so the backlog is whole), then a second consumer
//! subscribes to every shard at TRIM_HORIZON and the clock runs until every acknowledged backlog
//! record has arrived. A subscription's rate is what it delivered (the backlog and whatever the
//! shard held before it) over the time its last backlog record took to arrive.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::config::FanoutConfig;
use super::subscriber::{Arrival, Fleet};
use super::tagged_body;
use crate::client::KinesisClient;
use crate::config::MAX_BATCH;
use crate::report::{self, ErrorCounts, ErrorSamples, SubscriptionRate, ThroughputPhase};
use crate::wire::{self, Op, Position};

/// Connections writing the backlog.
const WRITERS: usize = 4;
/// Tries per record before it is given up (and left out of the backlog).
const MAX_ATTEMPTS: u32 = 10;

/// The backlog as written: which shard acknowledged each record.
struct Written {
    shard_of: Vec<Option<String>>,
    errors: ErrorCounts,
    samples: ErrorSamples,
}

/// One writer's share: (record id, ShardId) of each acknowledged record.
struct Share {
    acked: Vec<(u64, String)>,
    errors: ErrorCounts,
    samples: ErrorSamples,
}

/// Writes batches of the backlog until none is left or `deadline` (--max-secs) has passed: a
/// peer too slow to take the backlog in time gets a smaller one, which the report shows.
async fn writer(
    client: KinesisClient,
    cfg: Arc<FanoutConfig>,
    nonce: u64,
    next: Arc<AtomicU64>,
    deadline: Instant,
) -> Share {
    let mut out = Share { acked: Vec::new(), errors: ErrorCounts::new(), samples: ErrorSamples::new() };
    loop {
        let first = next.fetch_add(MAX_BATCH as u64, Ordering::Relaxed);
        if first >= cfg.backlog || Instant::now() >= deadline {
            return out;
        }
        let mut pending: Vec<u64> = (first..cfg.backlog.min(first + MAX_BATCH as u64)).collect();
        for attempt in 1..=MAX_ATTEMPTS {
            let body = tagged_body(&cfg.stream, nonce, &pending, cfg.record_size);
            let result = client.call(Op::PutRecords, body).await;
            match result.and_then(|b| wire::put_records_shards(&b, pending.len())) {
                Ok(shards) => {
                    let mut retry = Vec::new();
                    for (id, shard) in pending.into_iter().zip(shards) {
                        match shard {
                            Some(s) => out.acked.push((id, s)),
                            None => retry.push(id),
                        }
                    }
                    pending = retry;
                }
                Err(e) => report::count_error(&mut out.errors, &mut out.samples, &e),
            }
            if pending.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
        }
    }
}

async fn write(client: &KinesisClient, cfg: &FanoutConfig, nonce: u64) -> Written {
    let (cfg, next) = (Arc::new(cfg.clone()), Arc::new(AtomicU64::new(0)));
    let deadline = Instant::now() + cfg.max_time;
    let handles: Vec<_> = (0..WRITERS)
        .map(|_| tokio::spawn(writer(client.clone(), cfg.clone(), nonce, next.clone(), deadline)))
        .collect();
    let mut all = Written {
        shard_of: vec![None; cfg.backlog as usize],
        errors: ErrorCounts::new(),
        samples: ErrorSamples::new(),
    };
    for h in handles {
        let share = h.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        for (id, s) in share.acked {
            all.shard_of[id as usize] = Some(s);
        }
        report::merge_errors((&mut all.errors, &mut all.samples), (share.errors, share.samples));
    }
    all
}

/// One subscription's progress through the backlog.
#[derive(Default, Clone)]
struct Progress {
    expected: u64,
    got: u64,
    records: u64,
    bytes: u64,
    /// Time from the start of the phase to its last backlog record.
    done: Option<Duration>,
}

/// Runs the throughput phase with consumer `consumer_arn` and reports it.
pub(crate) async fn run(
    cfg: &FanoutConfig,
    client: &KinesisClient,
    consumer_arn: &str,
    shards: &[String],
) -> ThroughputPhase {
    let nonce = rand::random();
    let write_started = Instant::now();
    let written = write(client, cfg, nonce).await;
    let write_secs = write_started.elapsed().as_secs_f64();

    let index: HashMap<&str, usize> = shards.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let mut progress = vec![Progress::default(); shards.len()];
    let mut acked = 0u64;
    for s in written.shard_of.iter().flatten() {
        acked += 1;
        // A shard the listing did not have (resharded meanwhile) is not subscribed to: the
        // phase then runs out of time, and the report says it is incomplete.
        if let Some(&i) = index.get(s.as_str()) {
            progress[i].expected += 1;
        }
    }

    let started = Instant::now();
    let (fleet, mut rx) = Fleet::start(client, consumer_arn, shards, &Position::TrimHorizon);
    let deadline = tokio::time::Instant::now() + cfg.max_time;
    let mut drain = Drain {
        nonce,
        started,
        shard_of: &written.shard_of,
        seen: vec![false; written.shard_of.len()],
        remaining: acked,
        duplicates: 0,
        last: started,
        progress,
    };
    while drain.remaining > 0 {
        tokio::select! {
            a = rx.recv() => match a {
                Some(a) => drain.absorb(&a),
                None => break,
            },
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    let complete = drain.remaining == 0;
    let elapsed = if complete { drain.last.saturating_duration_since(started) } else { started.elapsed() };
    let (duplicates, progress) = (drain.duplicates, drain.progress);
    let subscriptions = fleet.stop().await.into();
    summarize(
        cfg,
        shards,
        &progress,
        Summary { acked, write_secs, written, complete, elapsed, duplicates, subscriptions },
    )
}

/// The backlog's arrivals, followed as they come.
struct Drain<'a> {
    nonce: u64,
    started: Instant,
    shard_of: &'a [Option<String>],
    seen: Vec<bool>,
    /// Acknowledged backlog records not yet seen.
    remaining: u64,
    duplicates: u64,
    /// When the latest arrival was read.
    last: Instant,
    progress: Vec<Progress>,
}

impl Drain<'_> {
    fn absorb(&mut self, a: &Arrival) {
        let p = &mut self.progress[a.shard];
        p.records += a.records;
        p.bytes += a.bytes;
        for tag in a.tags.iter().filter(|t| t.nonce == self.nonce) {
            let i = tag.id as usize;
            match self.seen.get(i) {
                Some(true) => self.duplicates += 1,
                Some(false) if self.shard_of[i].is_some() => {
                    self.seen[i] = true;
                    self.remaining -= 1;
                    p.got += 1;
                }
                _ => {}
            }
        }
        if p.done.is_none() && p.expected > 0 && p.got >= p.expected {
            p.done = Some(a.at.saturating_duration_since(self.started));
        }
        self.last = self.last.max(a.at);
    }
}

/// The phase's totals, for [`summarize`].
struct Summary {
    acked: u64,
    write_secs: f64,
    written: Written,
    complete: bool,
    elapsed: Duration,
    duplicates: u64,
    subscriptions: report::SubscriptionStats,
}

fn summarize(cfg: &FanoutConfig, shards: &[String], progress: &[Progress], s: Summary) -> ThroughputPhase {
    let elapsed = s.elapsed.as_secs_f64();
    let per_subscription: Vec<SubscriptionRate> = shards
        .iter()
        .zip(progress)
        .filter(|(_, p)| p.expected > 0)
        .map(|(id, p)| {
            let secs = p.done.map_or(elapsed, |d| d.as_secs_f64());
            SubscriptionRate {
                shard_id: id.clone(),
                backlog_records: p.expected,
                records: p.records,
                bytes: p.bytes,
                secs,
                complete: p.done.is_some(),
                records_per_sec: report::rate(p.records, secs),
                mb_per_sec: report::rate(p.bytes, secs) / 1e6,
            }
        })
        .collect();
    let n = per_subscription.len().max(1) as f64;
    let (records, bytes) = progress.iter().fold((0, 0), |(r, b), p| (r + p.records, b + p.bytes));
    ThroughputPhase {
        backlog: cfg.backlog,
        backlog_acked: s.acked,
        backlog_write_secs: s.write_secs,
        backlog_write_errors: s.written.errors,
        backlog_write_error_samples: s.written.samples,
        complete: s.complete,
        backlog_delivered: progress.iter().map(|p| p.got).sum(),
        records,
        bytes,
        duplicates: s.duplicates,
        elapsed_secs: elapsed,
        records_per_sec: report::rate(records, elapsed),
        mb_per_sec: report::rate(bytes, elapsed) / 1e6,
        per_subscription_records_per_sec: per_subscription.iter().map(|r| r.records_per_sec).sum::<f64>() / n,
        per_subscription_mb_per_sec: per_subscription.iter().map(|r| r.mb_per_sec).sum::<f64>() / n,
        per_subscription,
        subscriptions: s.subscriptions,
    }
}
