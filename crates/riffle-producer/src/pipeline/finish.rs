//! Answering a user record, once: its future, the dead-letter sink on failure, the metrics, and
//! the memory it held under the cap.

use crate::dead_letter::{DeadLetter, Sink};
use crate::metrics::StreamMetrics;
use crate::outcome::{Delivered, FailureKind, Landed, RecordError};
use crate::producer::Shared;
use crate::record::{UserRecord, taken_before};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// A `flush_and_wait` caller, waiting for the records taken before it.
struct Barrier {
    /// The epoch this barrier began: records of earlier epochs count.
    below: u32,
    /// How many of them are still unanswered.
    left: usize,
    reply: oneshot::Sender<()>,
}

pub(crate) struct Ledger {
    pub shared: Arc<Shared>,
    pub sink: Option<Sink>,
    /// Records taken in and not yet answered.
    pub pending: usize,
    /// Counted down as records are answered: a count per barrier costs nothing per record
    /// while no one waits, where a set of outstanding ids would cost two tree updates each.
    barriers: Vec<Barrier>,
    pub ttl: Duration,
}

impl Ledger {
    pub fn new(shared: Arc<Shared>, sink: Option<Sink>, ttl: Duration) -> Self {
        Self { shared, sink, pending: 0, barriers: Vec::new(), ttl }
    }

    /// Answers `reply` once every record taken so far (of epochs before `epoch`, the one this
    /// barrier begins) is answered.
    pub fn add_barrier(&mut self, epoch: u32, reply: oneshot::Sender<()>) {
        self.barriers.push(Barrier { below: epoch, left: self.pending, reply });
    }

    /// Answers the barriers whose records are all answered (`all`: every barrier, at the end).
    pub fn answer_barriers(&mut self, all: bool) {
        for b in self.barriers.extract_if(.., |b| all || b.left == 0) {
            let _ = b.reply.send(());
        }
    }

    fn release(&mut self, m: &StreamMetrics, user: &UserRecord) {
        self.pending -= 1;
        for b in &mut self.barriers {
            b.left = b.left.saturating_sub(usize::from(taken_before(user.epoch, b.below)));
        }
        self.shared.release(user.size());
        m.user_records_pending.decrement(1.0);
        m.retries_per_record.record(user.history.len().saturating_sub(1) as f64);
    }

    /// The user records of one Kinesis record are in the stream, under one sequence number
    /// (sub-sequence numbers by position when `aggregated`). The memory they held, the
    /// barriers and the metrics are settled once for them all, before any is answered.
    pub fn written(
        &mut self,
        m: &StreamMetrics,
        users: Vec<UserRecord>,
        shard_id: &Arc<str>,
        seq: &Arc<str>,
        aggregated: bool,
    ) {
        let (mut bytes, mut data, mut first_try) = (0usize, 0u64, 0u64);
        for u in &users {
            bytes += u.size();
            data += u.data.len() as u64;
            match u.history.len() {
                0 | 1 => first_try += 1,
                n => m.retries_per_record.record((n - 1) as f64),
            }
        }
        for b in &mut self.barriers {
            b.left = b.left.saturating_sub(users.iter().filter(|u| taken_before(u.epoch, b.below)).count());
        }
        let n = users.len();
        self.pending -= n;
        self.shared.release_many(bytes, n);
        m.user_records_pending.decrement(n as f64);
        if first_try > 0 {
            m.retries_per_record.record_many(0.0, first_try as usize);
        }
        m.user_records_put.increment(n as u64);
        m.user_records_data_put.increment(data);
        // Each answer goes to a channel `put` allocated long ago, cold in memory, and sending
        // is an atomic read-modify-write, which stalls on its miss before the next one can
        // start. Plain loads do not stall: asking every channel first whether its future is
        // still wanted brings all their lines in together (the misses overlap), then the
        // sends hit the cache, and the unwanted ones (fire-and-forget) are skipped.
        let wanted: Vec<bool> = users.iter().map(|u| !u.reply.is_closed()).collect();
        let landed = Arc::new(Landed { shard_id: shard_id.clone(), sequence_number: seq.clone(), aggregated });
        for ((i, user), wanted) in users.into_iter().enumerate().zip(wanted) {
            if wanted {
                let _ = user.reply.send(Ok(Delivered {
                    landed: landed.clone(),
                    trials: user.history.into_trials(),
                    // An aggregate holds far fewer than 2^32 records (1 MiB at most).
                    sub_sequence_number: if aggregated { i as u32 } else { 0 },
                }));
            }
        }
    }

    /// The record failed for good.
    pub fn fail(&mut self, m: &StreamMetrics, user: UserRecord, kind: FailureKind) {
        self.release(m, &user);
        let code = match &kind {
            FailureKind::Expired { .. } => "Expired",
            FailureKind::Throttled { .. } => "ProvisionedThroughputExceededException",
            FailureKind::Rejected { code, .. } => code.as_str(),
            FailureKind::ShutDown { .. } => "ShutDown",
        };
        m.error(code, None);
        let error = RecordError { kind, history: user.history.clone() };
        if let Some(sink) = &self.sink {
            sink.send(&DeadLetter {
                stream: m.stream().clone(),
                partition_key: user.partition_key.to_string(),
                explicit_hash_key: user.explicit_hash_key(),
                data: user.data.clone(),
                error: error.clone(),
            });
        }
        let _ = user.reply.send(Err(Box::new(error)));
    }

    /// The record's TTL passed before it was written.
    pub fn expire(&mut self, m: &StreamMetrics, user: UserRecord) {
        m.user_record_expired.increment(1);
        let last_error = user.history.last_error();
        let kind = FailureKind::Expired { ttl: self.ttl, last_error };
        self.fail(m, user, kind);
    }

    pub fn close_sink(&mut self) {
        if let Some(sink) = &mut self.sink {
            sink.close();
        }
    }
}
