//! The producer's engine: one task that owns every buffer (so no locks on the record path),
//! fed by `put` through an inbox of chunks (`inbox.rs`), sending PutRecords calls as tasks of
//! their own and hearing back from them through a channel.
//!
//! Each turn of its loop takes what arrived, closes aggregates that are due, fails records past
//! their TTL, starts shard-map loads, sends what is ready, and answers flush barriers. Closing
//! (shutdown, or every handle dropped) makes everything due at once and ends the loop when no
//! record is left; a hard deadline (RecordTtl + RequestTimeout + 1 s) bounds even that.

mod closing;
mod dispatch;
mod finish;
mod inbox;
mod intake;
mod response;
mod state;

use crate::aggregator::Limits;
use crate::cbor::Wire;
use crate::config::ProducerConfig;
use crate::dead_letter::Sink;
use crate::outcome::FailureKind;
use crate::record::{KinesisRecord, UserRecord};
use crate::sender::{EntryResult, RequestError};
use crate::shard_map::{self, ShardMap};
pub(crate) use finish::Ledger;
pub(crate) use inbox::Inbox;
use inbox::Taken;
use state::{FastMap, StreamState};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How often, at most, the loop sleeps while records are buffered: token buckets refill and
/// TTLs pass without any event to wake it.
const TICK: Duration = Duration::from_millis(25);
/// How often queues are swept for records past their TTL.
const SWEEP: Duration = Duration::from_millis(50);

// Nearly every command is a Put: boxing it would add an allocation per record to save space
// on the rare others.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Command {
    Put {
        /// `None`: the producer's first stream (see `Shared::first_stream`).
        stream: Option<Arc<str>>,
        user: UserRecord,
    },
    Flush,
    /// Answered once every record put before it is answered.
    FlushWait(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

pub(crate) enum Done {
    Put { batch: u64, result: Result<Vec<EntryResult>, RequestError>, duration: Duration },
    Map { stream: Arc<str>, result: Result<ShardMap, RequestError> },
}

struct InFlight {
    stream: Arc<str>,
    /// Each record with the shard it was predicted for.
    records: Vec<(Arc<str>, KinesisRecord)>,
    started: Instant,
    task: JoinHandle<()>,
}

struct Closing {
    deadline: Instant,
    replies: Vec<oneshot::Sender<()>>,
}

pub(crate) struct Pipeline {
    cfg: Arc<ProducerConfig>,
    client: aws_sdk_kinesis::Client,
    /// PutRecords' encoding, CBOR until the endpoint refuses it.
    wire: Arc<Wire>,
    ledger: Ledger,
    inbox: Arc<Inbox>,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    streams: FastMap<Arc<str>, StreamState>,
    in_flight: HashMap<u64, InFlight>,
    next_batch: u64,
    /// Flush barriers set so far, modulo 2^32 (see [`crate::record::taken_before`]).
    epoch: u32,
    flush_now: bool,
    closing: Option<Closing>,
    last_sweep: Instant,
}

impl Pipeline {
    pub fn new(
        cfg: Arc<ProducerConfig>,
        client: aws_sdk_kinesis::Client,
        shared: Arc<crate::producer::Shared>,
        sink: Option<Sink>,
        inbox: Arc<Inbox>,
    ) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            ledger: Ledger::new(shared, sink, cfg.record_ttl),
            wire: Wire::new(cfg.cbor()),
            cfg,
            client,
            inbox,
            done_tx,
            done_rx,
            streams: FastMap::default(),
            in_flight: HashMap::new(),
            next_batch: 0,
            epoch: 0,
            flush_now: false,
            closing: None,
            last_sweep: Instant::now(),
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            enabled: self.cfg.aggregation_enabled,
            max_count: self.cfg.aggregation_max_count,
            max_size: self.cfg.aggregation_max_size,
        }
    }

    pub async fn run(mut self) {
        // However the loop ends, panics included, `put` stops queueing for it.
        let _stop = closing::StopInbox(self.inbox.clone(), self.ledger.shared.clone());
        let mut intake_open = true;
        let mut batch = Vec::new();
        let mut scratch = intake::Scratch::default();
        loop {
            while let Ok(done) = self.done_rx.try_recv() {
                self.on_done(done);
            }
            match if intake_open { self.inbox.take(&mut batch) } else { Taken::Empty } {
                Taken::Chunk => {
                    self.take_in(&mut batch, &mut scratch, Instant::now());
                    // Lets the calls' tasks run when the budget is spent, as a channel's
                    // receiver would, while chunks keep coming.
                    tokio::task::coop::consume_budget().await;
                }
                Taken::Closed => {
                    intake_open = false;
                    self.begin_closing(None);
                }
                Taken::Empty => {
                    let wake = self.next_wake(Instant::now());
                    tokio::select! {
                        biased;
                        Some(done) = self.done_rx.recv() => self.on_done(done),
                        _ = self.inbox.arrived(), if intake_open => {}
                        _ = tokio::time::sleep_until(wake.into()) => {}
                    }
                }
            }
            if self.turn(Instant::now()) {
                break;
            }
        }
        self.answer_leftovers();
        self.ledger.close_sink();
        for reply in self.closing.take().map(|c| c.replies).unwrap_or_default() {
            let _ = reply.send(());
        }
        self.ledger.answer_barriers(true);
    }

    fn on_done(&mut self, done: Done) {
        match done {
            Done::Put { batch, result, duration } => self.on_put_done(batch, result, duration),
            Done::Map { stream, result } => self.on_map_loaded(&stream, result),
        }
    }

    /// One turn after an event; true when the pipeline is finished.
    fn turn(&mut self, now: Instant) -> bool {
        let force = self.flush_now || self.closing.is_some();
        let (backlog, hold) = (self.backlog(), self.cfg.record_max_buffered_time);
        for stream in self.streams.values_mut() {
            stream.close_due(now, force, backlog, hold);
            for shard in stream.shards.values_mut() {
                if self.flush_now {
                    for r in shard.queue_mut() {
                        r.deadline = r.deadline.min(now);
                    }
                }
            }
            if self.flush_now {
                for u in stream.unrouted.iter_mut() {
                    u.hurry(now);
                }
            }
        }
        self.flush_now = false;
        if force || now.duration_since(self.last_sweep) >= SWEEP {
            self.last_sweep = now;
            self.sweep_expired(now);
        }
        self.start_map_loads(now);
        self.dispatch(now, force);
        for stream in self.streams.values_mut() {
            stream.drop_drained();
        }
        self.ledger.answer_barriers(false);
        let Some(closing) = &self.closing else { return false };
        if self.ledger.pending == 0 && self.in_flight.is_empty() {
            return true;
        }
        if now >= closing.deadline {
            self.abandon_everything();
            return true;
        }
        false
    }

    /// Whether records wait in the intake: the pipeline is behind, and they are late already.
    fn backlog(&self) -> bool {
        !self.inbox.is_empty()
    }

    /// When the loop must look again without an event: the next aggregate or queued record
    /// coming due, a shard-map retry, or a tick while anything is buffered.
    fn next_wake(&self, now: Instant) -> Instant {
        let mut wake = now + Duration::from_secs(3600);
        let mut buffered = false;
        let (backlog, hold) = (self.backlog(), self.cfg.record_max_buffered_time);
        for stream in self.streams.values() {
            buffered |= stream.busy();
            if stream.map.is_none() && !stream.unrouted.is_empty() && !stream.loading {
                wake = wake.min(stream.load_at);
            }
            for shard in stream.shards.values() {
                // An aggregate held open for a busy shard is looked at again when the shard's
                // call returns (an event) or at the tick (a backoff ending).
                if let Some(d) = stream.close_at(shard, now, backlog, hold) {
                    wake = wake.min(d);
                }
                if let Some(r) = shard.queue().front().filter(|r| r.deadline > now) {
                    wake = wake.min(r.deadline);
                }
            }
        }
        if buffered {
            wake = wake.min(now + TICK);
        }
        if let Some(c) = &self.closing {
            wake = wake.min(c.deadline);
        }
        wake.max(now)
    }

    fn start_map_loads(&mut self, now: Instant) {
        for stream in self.streams.values_mut() {
            let wanted = (stream.map.is_none() && !stream.unrouted.is_empty()) || stream.stale;
            if !wanted || stream.loading || stream.load_at > now {
                continue;
            }
            stream.loading = true;
            stream.stale = false;
            let (client, done, name) = (self.client.clone(), self.done_tx.clone(), stream.name.clone());
            tokio::spawn(async move {
                let result = shard_map::load(&client, &name).await;
                let _ = done.send(Done::Map { stream: name, result });
            });
        }
    }

    fn on_map_loaded(&mut self, name: &Arc<str>, result: Result<ShardMap, RequestError>) {
        let limits = self.limits();
        let now = Instant::now();
        let Some(stream) = self.streams.get_mut(name) else { return };
        stream.loading = false;
        match result {
            Ok(map) => {
                stream.load_failures = 0;
                stream.apply_map(map, limits, self.cfg.rate_limit, now);
                self.resolve_held(name);
            }
            Err(e) => {
                // The KPL's shard-map backoff, from a shorter start: 200 ms x1.5 up to 30 s.
                stream.load_failures += 1;
                let delay = Duration::from_millis(200).mul_f64(1.5f64.powi(stream.load_failures.min(20) as i32 - 1));
                stream.load_at = now + delay.min(Duration::from_secs(30));
                stream.metrics.error(&e.code, None);
                tracing::warn!(stream = %name, code = %e.code, message = %e.message, "cannot list shards");
                if !e.retryable {
                    let failed: Vec<UserRecord> = stream.unrouted.drain(..).collect();
                    let kind = FailureKind::Rejected { code: e.code.clone(), message: e.message.clone() };
                    let metrics = stream.metrics.clone();
                    for u in failed {
                        self.ledger.fail(&metrics, u, kind.clone());
                    }
                    // Written aggregates cannot be checked; they were written, so they count.
                    self.resolve_held_as_written(name);
                }
            }
        }
    }

    /// Fails every user record whose TTL has passed, wherever it waits (but not in flight:
    /// those are checked when their call returns).
    fn sweep_expired(&mut self, now: Instant) {
        for stream in self.streams.values_mut() {
            let mut expired = Vec::new();
            // Looked over, not moved, unless something expired: it can hold every record put
            // while the first shard map loads.
            if stream.unrouted.iter().any(|u| u.expiry() <= now) {
                let (keep, gone): (Vec<_>, Vec<_>) = stream.unrouted.drain(..).partition(|u| u.expiry() > now);
                stream.unrouted = keep.into();
                expired.extend(gone);
            }
            for shard in stream.shards.values_mut() {
                expired.extend(shard.agg.take_expired(now));
                if shard.queue().iter().any(|r| r.expiry <= now) {
                    let queue = std::mem::take(shard.queue_mut());
                    for r in queue {
                        let (rest, gone) = r.split_expired(now);
                        expired.extend(gone);
                        shard.queue_mut().extend(rest);
                    }
                    shard.recount();
                }
            }
            let metrics = stream.metrics.clone();
            for u in expired {
                self.ledger.expire(&metrics, u);
            }
        }
    }
}
