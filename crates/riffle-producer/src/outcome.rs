//! What happens to each user record: its outcome, its attempts, and the future that carries
//! them to the caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// One PutRecords attempt that carried the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Time from the record's arrival (first attempt) or the previous attempt's end to this
    /// attempt's start: buffering, backoff and rate limiting together.
    pub delay: Duration,
    /// How long the PutRecords call took.
    pub duration: Duration,
    pub success: bool,
    /// The error Kinesis (or the transport) gave, when the attempt failed.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A record written to the stream.
///
/// Where it landed is shared by every user record of its Kinesis record (hundreds in an
/// aggregate), so an outcome costs one reference count, not one per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome {
    landed: Arc<Landed>,
    sub_sequence_number: u64,
    history: History,
}

impl RecordOutcome {
    pub fn shard_id(&self) -> &str {
        &self.landed.shard_id
    }

    pub fn sequence_number(&self) -> &str {
        &self.landed.sequence_number
    }

    /// The record's index inside its aggregate; 0 when it was sent alone.
    pub fn sub_sequence_number(&self) -> u64 {
        self.sub_sequence_number
    }

    /// Whether it travelled inside a KPL aggregate.
    pub fn aggregated(&self) -> bool {
        self.landed.aggregated
    }

    /// Every PutRecords attempt that carried the record, the successful one last.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.history.attempts()
    }

    /// How many attempts it took (1 when the first one wrote it).
    pub fn attempt_count(&self) -> usize {
        self.history.len()
    }
}

/// Why a record was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FailureKind {
    #[error("expired: not written within RecordTtl ({} ms){}", ttl.as_millis(), suffix(.last_error))]
    Expired { ttl: Duration, last_error: Option<String> },
    #[error("throttled and FailIfThrottled is set: {message}")]
    Throttled { message: String },
    #[error("refused by Kinesis, not retryable: {code}: {message}")]
    Rejected { code: String, message: String },
    #[error("the producer shut down before the record was written{}", suffix(.last_error))]
    ShutDown { last_error: Option<String> },
}

fn suffix(e: &Option<String>) -> String {
    e.as_ref().map(|e| format!("; last error: {e}")).unwrap_or_default()
}

/// A record that failed for good, with every attempt made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record not written after {} attempt(s): {kind}", history.len())]
pub struct RecordError {
    pub kind: FailureKind,
    pub(crate) history: History,
}

impl RecordError {
    /// Every PutRecords attempt that carried the record (none if it never left the buffer).
    pub fn attempts(&self) -> Vec<Attempt> {
        self.history.attempts()
    }

    pub fn attempt_count(&self) -> usize {
        self.history.len()
    }
}

/// One PutRecords call as the pipeline saw it: the part of an [`Attempt`] every record it
/// carried has in common.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trial {
    pub started: Instant,
    pub ended: Instant,
    pub duration: Duration,
    pub success: bool,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A user record's arrival and attempts. The attempts are shared, one list for all the user
/// records that travelled together (hundreds in an aggregate), so an answer costs a reference
/// count per record rather than an allocation, and [`Attempt`]s (whose delay is the record's
/// own) are only built when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    arrival: Instant,
    trials: Trials,
}

/// No list before the first attempt: `put` allocates nothing for it.
pub(crate) type Trials = Option<Arc<[Trial]>>;

impl History {
    pub fn new(arrival: Instant) -> Self {
        Self { arrival, trials: None }
    }

    pub fn arrival(&self) -> Instant {
        self.arrival
    }

    /// The attempts, for an answer (the future knows the arrival).
    pub fn into_trials(self) -> Trials {
        self.trials
    }

    pub fn len(&self) -> usize {
        self.trials.as_ref().map_or(0, |t| t.len())
    }

    pub fn is_empty(&self) -> bool {
        self.trials.is_none()
    }

    /// The last attempt's error, as `code: message`.
    pub fn last_error(&self) -> Option<String> {
        let trials = self.trials.as_deref()?;
        trials.iter().rev().find_map(|t| {
            t.error_code.as_ref().map(|c| format!("{c}: {}", t.error_message.as_deref().unwrap_or_default()))
        })
    }

    pub fn last_error_code(&self) -> Option<String> {
        self.trials.as_deref()?.last()?.error_code.clone()
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        let mut previous_end = self.arrival;
        let trials = self.trials.as_deref().unwrap_or_default();
        trials
            .iter()
            .map(|t| {
                let delay = t.started.saturating_duration_since(previous_end);
                previous_end = t.ended;
                Attempt {
                    delay,
                    duration: t.duration,
                    success: t.success,
                    error_code: t.error_code.clone(),
                    error_message: t.error_message.clone(),
                }
            })
            .collect()
    }

    /// Appends `trial` to every history; histories that were one list before stay one list
    /// (nearly always all of them are one list: records that travelled together before).
    pub fn record_all<'a>(histories: impl IntoIterator<Item = &'a mut History>, trial: &Trial) {
        // Lists seen, before and after the trial; a handful at most in practice.
        let mut seen: Vec<(Trials, Arc<[Trial]>)> = Vec::new();
        for h in histories {
            let after = match seen.iter().find(|(before, _)| same(before, &h.trials)) {
                Some((_, after)) => after.clone(),
                None => {
                    let after: Arc<[Trial]> =
                        h.trials.iter().flat_map(|t| t.iter().cloned()).chain(std::iter::once(trial.clone())).collect();
                    if seen.len() < 8 {
                        seen.push((h.trials.clone(), after.clone()));
                    }
                    after
                }
            };
            h.trials = Some(after);
        }
    }
}

fn same(a: &Trials, b: &Trials) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

pub type RecordResult = Result<RecordOutcome, RecordError>;

/// What the pipeline sends a record's future. Kept to 32 bytes, so the channel `put`
/// allocates for it (message, state and waker) fits one cache line: by the time the answer
/// comes, that line is long cold, and a line per record is what answering costs (see
/// `Ledger::written`). The future builds the [`RecordResult`] from it.
pub(crate) type Answer = Result<Delivered, Box<RecordError>>;

/// A record in the stream: where (shared by every user record of its Kinesis record), its
/// place in its aggregate, and its attempts.
#[derive(Debug)]
pub(crate) struct Delivered {
    pub landed: Arc<Landed>,
    pub trials: Trials,
    pub sub_sequence_number: u32,
}

/// Where a Kinesis record was written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Landed {
    pub shard_id: Arc<str>,
    pub sequence_number: Arc<str>,
    pub aggregated: bool,
}

/// The outcome of one `put`, delivered once the record is written or has failed for good.
///
/// Await it, hand it to [`RecordFuture::on_complete`], or drop it: the record is sent either
/// way, and a dropped future costs nothing.
#[derive(Debug)]
#[must_use = "dropping the future is fire-and-forget; await it or attach a callback to learn the outcome"]
pub struct RecordFuture {
    /// In a `Mutex` only to be `Sync` (the receiver is not, and a future users keep in
    /// shared structures or errors should be); polling takes `&mut`, which needs no locking.
    rx: Mutex<oneshot::AsyncReceiver<Answer>>,
    /// When `put` took the record (the history's start, not sent back).
    arrival: Instant,
}

impl RecordFuture {
    pub(crate) fn new(rx: oneshot::Receiver<Answer>, arrival: Instant) -> Self {
        Self { rx: Mutex::new(rx.into_future()), arrival }
    }

    /// Calls `f` with the outcome, from a task on the current Tokio runtime.
    pub fn on_complete<F>(self, f: F)
    where
        F: FnOnce(RecordResult) + Send + 'static,
    {
        tokio::spawn(async move { f(self.await) });
    }
}

impl Future for RecordFuture {
    type Output = RecordResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RecordResult> {
        let arrival = self.arrival;
        // A poisoned lock is impossible (nothing runs while it is held) and harmless.
        let rx = self.rx.get_mut().unwrap_or_else(PoisonError::into_inner);
        Pin::new(rx).poll(cx).map(|answer| match answer {
            Ok(Ok(d)) => Ok(RecordOutcome {
                landed: d.landed,
                sub_sequence_number: u64::from(d.sub_sequence_number),
                history: History { arrival, trials: d.trials },
            }),
            Ok(Err(e)) => Err(*e),
            // The pipeline answers every record it takes; a dropped sender means its task died.
            Err(_) => Err(RecordError {
                kind: FailureKind::ShutDown { last_error: Some("the producer's task ended".into()) },
                history: History::new(arrival),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(started: Instant, ms: u64, code: Option<&str>) -> Trial {
        let duration = Duration::from_millis(ms);
        Trial {
            started,
            ended: started + duration,
            duration,
            success: code.is_none(),
            error_code: code.map(str::to_string),
            error_message: code.map(|c| format!("{c} message")),
        }
    }

    /// See [`Answer`]: message, state and waker in one 64-byte line.
    #[test]
    fn an_answer_fits_its_channel_in_a_cache_line() {
        assert!(std::mem::size_of::<Answer>() <= 32, "{}", std::mem::size_of::<Answer>());
    }

    #[test]
    fn attempts_carry_each_records_own_delays_over_shared_trials() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let (mut a, mut b) = (History::new(t0), History::new(t0 + ms(5)));
        let first = trial(t0 + ms(10), 20, Some("ProvisionedThroughputExceededException"));
        History::record_all([&mut a, &mut b], &first);
        assert!(Arc::ptr_eq(a.trials.as_ref().unwrap(), b.trials.as_ref().unwrap()), "one list for both");
        let mut c = History::new(t0);
        let second = trial(t0 + ms(100), 3, None);
        History::record_all([&mut a, &mut c, &mut b], &second);
        assert!(Arc::ptr_eq(a.trials.as_ref().unwrap(), b.trials.as_ref().unwrap()));
        assert_eq!((a.len(), c.len()), (2, 1));
        let delays = |h: &History| h.attempts().iter().map(|x| x.delay).collect::<Vec<_>>();
        assert_eq!(delays(&a), [ms(10), ms(70)]);
        assert_eq!(delays(&b), [ms(5), ms(70)]);
        assert_eq!(delays(&c), [ms(100)]);
        assert_eq!(
            a.last_error().as_deref(),
            Some("ProvisionedThroughputExceededException: ProvisionedThroughputExceededException message")
        );
        assert_eq!(a.last_error_code(), None, "the last attempt succeeded");
        let last = a.attempts().pop().unwrap();
        assert!(last.success && last.error_code.is_none() && last.duration == ms(3));
    }
}
