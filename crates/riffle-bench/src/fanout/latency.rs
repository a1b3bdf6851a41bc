//! Phase 1, delivery latency: one subscription per shard at LATEST, then PutRecords at a steady
//! rate. Every record carries its number; the writer notes when each was acknowledged, the
//! subscriptions when each arrived, and the two are joined at the end. Pacing is open-loop (each
//! request on its own task, a bounded number in flight) so a slow answer does not delay the
//! next put, which would hide queueing from the measurement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::config::FanoutConfig;
use super::subscriber::{Arrival, Fleet};
use super::tagged_body;
use crate::client::KinesisClient;
use crate::report::{self, ErrorCounts, ErrorSamples, LatencyPhase, LatencySummary};
use crate::wire::{self, Op, Position};
use crate::{BenchError, CallError};

/// PutRecords requests in flight at most; past it the writer waits (and the achieved rate,
/// reported, falls short of --rate).
const MAX_IN_FLIGHT: usize = 64;
/// How long every subscription may take to answer before the phase gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// When a record's PutRecords request was sent and its acknowledging answer read.
#[derive(Debug, Clone, Copy)]
struct Ack {
    sent: Instant,
    acked: Instant,
}

/// What the writer saw.
struct Puts {
    /// Each record's [`Ack`], if its PutRecords answer acknowledged it.
    acks: Vec<Option<Ack>>,
    sent: u64,
    failed: u64,
    errors: ErrorCounts,
    samples: ErrorSamples,
    started: Instant,
    last_ack: Instant,
}

/// One finished request: its first record id, its size, the per-record shards and when.
type Done = (u64, usize, Result<Vec<Option<String>>, CallError>, Ack);

impl Puts {
    fn absorb(&mut self, (first, n, result, at): Done) {
        match result {
            Ok(shards) => {
                for (i, shard) in shards.iter().enumerate() {
                    if shard.is_some() {
                        self.acks[first as usize + i] = Some(at);
                        self.last_ack = self.last_ack.max(at.acked);
                    } else {
                        self.failed += 1;
                    }
                }
            }
            Err(e) => {
                self.failed += n as u64;
                report::count_error(&mut self.errors, &mut self.samples, &e);
            }
        }
    }
}

async fn pace(client: KinesisClient, cfg: FanoutConfig, nonce: u64, total: u64) -> Puts {
    let started = Instant::now();
    let mut puts = Puts {
        acks: vec![None; total as usize],
        sent: 0,
        failed: 0,
        errors: ErrorCounts::new(),
        samples: ErrorSamples::new(),
        started,
        last_ack: started,
    };
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut in_flight = JoinSet::new();
    let (interval, t0) = (cfg.batch_interval(), tokio::time::Instant::now());
    let mut next = 0u64;
    let mut k = 0u32;
    while next < total {
        tokio::time::sleep_until(t0 + interval * k).await;
        k += 1;
        let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let n = (total - next).min(cfg.batch as u64) as usize;
        let ids: Vec<u64> = (next..next + n as u64).collect();
        let body = tagged_body(&cfg.stream, nonce, &ids, cfg.record_size);
        let (first, client) = (next, client.clone());
        next += n as u64;
        puts.sent += n as u64;
        in_flight.spawn(async move {
            let sent = Instant::now();
            let result = client.call(Op::PutRecords, body).await;
            let acked = Instant::now();
            let result = result.and_then(|b| wire::put_records_shards(&b, n));
            drop(permit);
            (first, n, result, Ack { sent, acked })
        });
        while let Some(done) = in_flight.try_join_next() {
            puts.absorb(done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
        }
    }
    while let Some(done) = in_flight.join_next().await {
        puts.absorb(done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
    }
    puts
}

/// When each record of this phase first arrived.
struct Received {
    nonce: u64,
    at: Vec<Option<Instant>>,
    duplicates: u64,
    /// Records not written by this phase (other writers on the stream).
    other: u64,
}

impl Received {
    /// Notes the arrival; returns how many of its records are acknowledged ones (per `acks`,
    /// empty while the writer runs) seen for the first time.
    fn absorb(&mut self, a: &Arrival, acks: &[Option<Ack>]) -> usize {
        let mut fresh = 0;
        self.other += a.records - a.tags.len() as u64;
        for tag in &a.tags {
            let slot = self.at.get_mut(tag.id as usize).filter(|_| tag.nonce == self.nonce);
            match slot {
                None => self.other += 1,
                Some(Some(_)) => self.duplicates += 1,
                Some(slot) => {
                    *slot = Some(a.at);
                    fresh += usize::from(acks.get(tag.id as usize).is_some_and(Option::is_some));
                }
            }
        }
        fresh
    }
}

/// Runs the latency phase with consumer `consumer_arn` and reports it.
pub(crate) async fn run(
    cfg: &FanoutConfig,
    client: &KinesisClient,
    consumer_arn: &str,
    shards: &[String],
) -> Result<LatencyPhase, BenchError> {
    let (mut fleet, mut rx) = Fleet::start(client, consumer_arn, shards, &Position::Latest);
    let not_ready = fleet.wait_ready(tokio::time::Instant::now() + READY_TIMEOUT).await;
    if not_ready > 0 {
        let subs = fleet.stop().await;
        let detail = subs.samples.values().next().cloned().unwrap_or_else(|| "no answer".into());
        return Err(BenchError::NotSubscribed { failed: not_ready, shards: shards.len(), detail });
    }
    let total = cfg.latency_records();
    let nonce = rand::random();
    let mut received = Received { nonce, at: vec![None; total as usize], duplicates: 0, other: 0 };
    let mut writer = tokio::spawn(pace(client.clone(), cfg.clone(), nonce, total));
    let puts = loop {
        tokio::select! {
            Some(a) = rx.recv() => { received.absorb(&a, &[]); }
            done = &mut writer => break done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
        }
    };
    // Wait for what is still on its way, as long as --max-secs allows.
    let mut missing = puts.acks.iter().zip(&received.at).filter(|(ack, got)| ack.is_some() && got.is_none()).count();
    let deadline = tokio::time::Instant::now() + cfg.max_time;
    while missing > 0 {
        tokio::select! {
            a = rx.recv() => match a {
                Some(a) => missing -= received.absorb(&a, &puts.acks),
                None => break,
            },
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    let subscriptions = fleet.stop().await;
    while let Ok(a) = rx.try_recv() {
        received.absorb(&a, &puts.acks);
    }
    Ok(summarize(cfg, puts, received, subscriptions.into()))
}

fn summarize(
    cfg: &FanoutConfig,
    puts: Puts,
    received: Received,
    subscriptions: report::SubscriptionStats,
) -> LatencyPhase {
    let (mut from_ack, mut from_send) = (report::new_histogram(), report::new_histogram());
    let (mut acked, mut delivered, mut early, mut unacked_delivered) = (0, 0, 0, 0);
    for (ack, got) in puts.acks.iter().zip(&received.at) {
        acked += u64::from(ack.is_some());
        match (ack, got) {
            (Some(ack), Some(got)) => {
                delivered += 1;
                early += u64::from(*got < ack.acked);
                report::record_latency(&mut from_ack, got.saturating_duration_since(ack.acked));
                report::record_latency(&mut from_send, got.saturating_duration_since(ack.sent));
            }
            (None, Some(_)) => unacked_delivered += 1,
            _ => {}
        }
    }
    let put_secs = puts.last_ack.duration_since(puts.started).as_secs_f64();
    LatencyPhase {
        target_rate: cfg.rate,
        batch: cfg.batch,
        duration_secs: cfg.duration.as_secs_f64(),
        sent: puts.sent,
        acked,
        put_failed: puts.failed,
        put_secs,
        put_records_per_sec: report::rate(acked, put_secs),
        delivered,
        missing: acked - delivered,
        delivered_unacked: unacked_delivered,
        duplicates: received.duplicates,
        other_records: received.other,
        before_ack: early,
        latency: LatencySummary::from_histogram(&from_ack),
        from_send: LatencySummary::from_histogram(&from_send),
        put_errors: puts.errors,
        put_error_samples: puts.samples,
        subscriptions,
    }
}
