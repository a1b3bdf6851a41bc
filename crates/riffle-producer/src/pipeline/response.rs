//! What a PutRecords answer does to its records: written ones are answered (after a check that
//! an aggregate landed where all its user records belong), failed ones go back to the front of
//! their shard's queue behind a backoff, or fail for good when the error is not worth retrying.

use super::Pipeline;
use super::state::{Held, StreamState};
use crate::aggregator::Limits;
use crate::limiter::backoff;
use crate::outcome::{FailureKind, History, Trial};
use crate::pipeline::finish::Ledger;
use crate::record::KinesisRecord;
use crate::sender::{EntryResult, RequestError, is_retryable_code, is_throttling};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What became of one Kinesis record of the call.
enum Fate {
    Written { shard_id: Arc<str>, sequence_number: Arc<str> },
    Retry { code: String, message: String },
    Fail(FailureKind, String, String),
}

impl Pipeline {
    pub(super) fn on_put_done(
        &mut self,
        batch: u64,
        result: Result<Vec<EntryResult>, RequestError>,
        duration: Duration,
    ) {
        let Some(flight) = self.in_flight.remove(&batch) else { return };
        let now = Instant::now();
        let fail_if_throttled = self.cfg.fail_if_throttled;
        let limits = self.limits();
        let (base, max) = (self.cfg.retry_base_delay, self.cfg.retry_max_delay);
        let Some(stream) = self.streams.get_mut(&flight.stream) else { return };
        stream.metrics.request_time.record(duration.as_secs_f64() * 1000.0);
        let fates: Vec<Fate> = match result {
            Ok(results) => results.into_iter().map(|r| entry_fate(r, fail_if_throttled)).collect(),
            Err(e) => {
                tracing::debug!(stream = %flight.stream, code = %e.code, message = %e.message, "PutRecords failed");
                let fate = || request_fate(&e, fail_if_throttled);
                flight.records.iter().map(|_| fate()).collect()
            }
        };
        let mut retries: HashMap<Arc<str>, Vec<KinesisRecord>> = HashMap::new();
        let mut touched: Vec<Arc<str>> = Vec::new();
        for ((predicted, mut record), fate) in flight.records.into_iter().zip(fates) {
            if !touched.contains(&predicted) {
                touched.push(predicted.clone());
            }
            let (success, code, message) = match &fate {
                Fate::Written { .. } => (true, None, None),
                Fate::Retry { code, message } | Fate::Fail(_, code, message) => {
                    (false, Some(code.clone()), Some(message.clone()))
                }
            };
            if let Some(code) = &code {
                stream.metrics.error(code, Some(&predicted));
            }
            let trial = Trial {
                started: flight.started,
                ended: now,
                duration,
                success,
                error_code: code,
                error_message: message,
            };
            History::record_all(record.users.iter_mut().map(|u| &mut u.history), &trial);
            match fate {
                Fate::Written { shard_id, sequence_number } => {
                    stream.metrics.kinesis_records_put.increment(1);
                    stream.metrics.kinesis_records_data_put.increment(record.data_len as u64);
                    stream.metrics.shard_put(&shard_id, 1);
                    let held = Held { predicted, record, shard_id, sequence_number };
                    settle(stream, &mut self.ledger, held, limits);
                }
                Fate::Retry { .. } => {
                    record.restore_data();
                    retries.entry(predicted).or_default().push(record)
                }
                Fate::Fail(kind, _, _) => {
                    for u in record.users {
                        self.ledger.fail(&stream.metrics, u, kind.clone());
                    }
                }
            }
        }
        for id in touched {
            let Some(shard) = stream.shards.get_mut(&id) else { continue };
            shard.in_flight = false;
            match retries.remove(&id) {
                Some(records) => {
                    shard.failures += 1;
                    shard.not_before = now + backoff(shard.failures, base, max);
                    shard.push_front_all(records);
                }
                None => shard.failures = 0,
            }
        }
    }

    /// A fresh shard map arrived: check the aggregates that were waiting for it.
    pub(super) fn resolve_held(&mut self, name: &Arc<str>) {
        let limits = self.limits();
        let Some(stream) = self.streams.get_mut(name) else { return };
        for held in std::mem::take(&mut stream.awaiting_map) {
            if let Some(s) = stream.shards.get_mut(&held.predicted) {
                s.held -= 1;
            }
            settle(stream, &mut self.ledger, held, limits);
        }
    }

    /// No map can be had (the stream is gone): the waiting aggregates were written, so they
    /// are answered as written.
    pub(super) fn resolve_held_as_written(&mut self, name: &Arc<str>) {
        let Some(stream) = self.streams.get_mut(name) else { return };
        for held in std::mem::take(&mut stream.awaiting_map) {
            if let Some(s) = stream.shards.get_mut(&held.predicted) {
                s.held -= 1;
            }
            answer_written(&mut self.ledger, stream, held);
        }
    }
}

/// A written record: answered if it landed where predicted or on a shard that owns every user
/// record in it; re-put ("Wrong Shard") if an aggregate landed where consumers will drop it;
/// held for a fresh shard map when the shard it landed on is unknown.
fn settle(stream: &mut StreamState, ledger: &mut Ledger, held: Held, limits: Limits) {
    if held.shard_id == held.predicted {
        return answer_written(ledger, stream, held);
    }
    stream.stale = true;
    let first = held.record.users[0].hash_key;
    if !held.record.aggregated || held.record.users.iter().all(|u| u.hash_key == first) {
        // Kinesis routed it by the hash key of its only user key: it is where it belongs.
        return answer_written(ledger, stream, held);
    }
    let range = stream.map.as_ref().and_then(|m| m.get(&held.shard_id)).map(|s| s.range);
    match range {
        Some(r) if held.record.users.iter().all(|u| r.contains(riffle_types::HashKey(u.hash_key))) => {
            answer_written(ledger, stream, held)
        }
        Some(_) => {
            stream.metrics.error("Wrong Shard", Some(&held.shard_id));
            tracing::debug!(stream = %stream.name, shard = %held.shard_id, "aggregate landed on a shard that does not own all its records; putting them again");
            stream.route_front(held.record.users, limits);
        }
        None => {
            if let Some(s) = stream.shards.get_mut(&held.predicted) {
                s.held += 1;
            }
            stream.awaiting_map.push(held);
        }
    }
}

fn answer_written(ledger: &mut Ledger, stream: &StreamState, held: Held) {
    let aggregated = held.record.aggregated;
    ledger.written(&stream.metrics, held.record.users, &held.shard_id, &held.sequence_number, aggregated);
}

fn entry_fate(r: EntryResult, fail_if_throttled: bool) -> Fate {
    match r {
        EntryResult::Written { shard_id, sequence_number } => Fate::Written { shard_id, sequence_number },
        EntryResult::Failed { code, message } => {
            if fail_if_throttled && is_throttling(&code) {
                Fate::Fail(FailureKind::Throttled { message: message.clone() }, code, message)
            } else if is_retryable_code(&code) {
                Fate::Retry { code, message }
            } else {
                Fate::Fail(FailureKind::Rejected { code: code.clone(), message: message.clone() }, code, message)
            }
        }
    }
}

fn request_fate(e: &RequestError, fail_if_throttled: bool) -> Fate {
    let (code, message) = (e.code.clone(), e.message.clone());
    if fail_if_throttled && e.is_throttling() {
        Fate::Fail(FailureKind::Throttled { message: message.clone() }, code, message)
    } else if e.retryable {
        Fate::Retry { code, message }
    } else {
        Fate::Fail(FailureKind::Rejected { code: code.clone(), message: message.clone() }, code, message)
    }
}
