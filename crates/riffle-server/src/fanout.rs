//! SubscribeToShard's push side: the event-stream body, who is subscribed to what, and the task
//! that feeds one subscription.
//!
//! Each subscription is one task and one bounded channel of capacity 1 into the HTTP body. The
//! task reads the log only after reserving a slot in the channel, and hyper takes from the body
//! only when the connection can send (HTTP/1.1 after flushing, HTTP/2 within flow control), so
//! a slow subscriber holds at most two events in the server, never a backlog. The task waits on
//! the log's per-shard watch ([`riffle_log::Log::watch_shard`]) and wakes as soon as a block of
//! its shard is durable, not on a timer; when nothing arrives it sends an empty event every
//! [`HEARTBEAT`] so clients (KCL resets a subscription silent for 60 s) see it alive, and it
//! re-reads the catalog then, which is how it notices a shard closed by resharding.

use crate::state::App;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use parking_lot::Mutex;
use riffle_proto::eventstream;
use riffle_proto::shapes::{ChildShardOut, SeqOut};
use riffle_proto::shapes_more::{EventExceptionOut, SubscribeToShardEventOut};
use riffle_proto::{ApiError, Protocol};
use riffle_types::{SequenceNumber, ShardKey};
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How long a subscription lasts, as on AWS.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// A new subscription of the same consumer to the same shard within this long is refused.
pub const REPLACE_AFTER: Duration = Duration::from_secs(5);
/// An event at least this often, even with nothing to deliver.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// Most records in one event (as GetRecords).
const MAX_EVENT_RECORDS: usize = 10_000;
/// Most record bytes in one event (the first record always goes, whatever its size).
const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// The event-stream response body: frames from the subscription task, as it sends them.
#[derive(Debug)]
pub struct EventBody {
    rx: mpsc::Receiver<Bytes>,
}

impl Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|m| m.map(|b| Ok(Frame::data(b))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Which (stream instance, consumer, shard) has a live subscription.
type SubKey = (u32, String, u32);

struct Live {
    id: u64,
    started: Instant,
    replaced: oneshot::Sender<()>,
}

/// Live subscriptions, for AWS's replacement rule.
#[derive(Default)]
pub struct Subscriptions {
    live: Mutex<HashMap<SubKey, Live>>,
    next_id: AtomicU64,
}

/// Removes its subscription from [`Subscriptions`] when the task ends, unless replaced.
struct Registration {
    app: Arc<App>,
    key: SubKey,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut live = self.app.subscriptions.live.lock();
        if live.get(&self.key).is_some_and(|l| l.id == self.id) {
            live.remove(&self.key);
        }
    }
}

/// What a subscription reads and for whom; checked by the caller.
pub struct Subscription {
    pub proto: Protocol,
    pub key: ShardKey,
    /// The consumer: its name, creation time (its identity, with the name) and ARN.
    pub consumer: String,
    pub consumer_created_ms: i64,
    pub consumer_arn: String,
    /// The first counter to deliver.
    pub counter: u64,
    pub metrics: crate::metrics::SubscriptionMetrics,
}

/// Registers the subscription (replacing an older one of the same consumer and shard, or
/// refusing if that one is younger than [`REPLACE_AFTER`]) and starts feeding it.
pub fn start(app: &Arc<App>, sub: Subscription) -> Result<EventBody, ApiError> {
    let key: SubKey = (sub.key.stream_uid(), format!("{}:{}", sub.consumer, sub.consumer_created_ms), sub.key.shard());
    let (replaced_tx, replaced_rx) = oneshot::channel();
    let id = app.subscriptions.next_id.fetch_add(1, Ordering::Relaxed);
    {
        let mut live = app.subscriptions.live.lock();
        if let Some(old) = live.get(&key)
            && old.started.elapsed() < REPLACE_AFTER
            && !old.replaced.is_closed()
        {
            sub.metrics.consumer.rate_exceeded.increment(1);
            return Err(ApiError::in_use(format!(
                "Another active subscription exists for consumer {} on shard {}.",
                sub.consumer_arn,
                riffle_types::ShardId(sub.key.shard())
            )));
        }
        if let Some(old) = live.insert(key.clone(), Live { id, started: Instant::now(), replaced: replaced_tx }) {
            let _ = old.replaced.send(());
        }
    }
    sub.metrics.consumer.subscribe_success.increment(1);
    let registration = Registration { app: Arc::clone(app), key, id };
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(run(Arc::clone(app), sub, tx, replaced_rx, registration));
    Ok(EventBody { rx })
}

/// Where the subscribed shard stands in the catalog.
struct ShardView {
    /// Last counter of a closed shard.
    ending: Option<u64>,
    children: Vec<ChildShardOut>,
}

/// The shard as the catalog has it now; an error if the stream, shard or consumer is gone.
fn view(app: &App, sub: &Subscription) -> Result<ShardView, ApiError> {
    let cat = app.catalog.read();
    let gone = || crate::ops::consumer_not_found(app, &sub.consumer_arn);
    let s = cat.by_uid(sub.key.stream_uid()).ok_or_else(gone)?;
    let alive = s.status != crate::catalog::StreamStatus::Deleting
        && s.consumers.iter().any(|c| {
            c.name == sub.consumer
                && c.created_ms == sub.consumer_created_ms
                && c.status == crate::catalog::ConsumerStatus::Active
        });
    if !alive {
        return Err(gone());
    }
    let sh = s.shard(sub.key.shard()).ok_or_else(gone)?;
    Ok(ShardView {
        ending: sh.closed.map(|c| c.ending_counter),
        children: if sh.closed.is_some() { crate::ops::child_shards(s, sub.key.shard()) } else { Vec::new() },
    })
}

fn exception_frame(proto: Protocol, e: &ApiError) -> Bytes {
    let payload = proto.encode(&EventExceptionOut { message: &e.message });
    eventstream::exception(e.code.type_name(), proto.content_type(), &payload)
}

/// Sends a last frame, giving a stalled client a few seconds to take it.
async fn send_last(tx: &mpsc::Sender<Bytes>, frame: Bytes) {
    let _ = tokio::time::timeout(Duration::from_secs(5), tx.send(frame)).await;
}

#[derive(serde::Serialize)]
struct Empty {}

async fn run(
    app: Arc<App>,
    mut sub: Subscription,
    tx: mpsc::Sender<Bytes>,
    mut replaced: oneshot::Receiver<()>,
    _registration: Registration,
) {
    let proto = sub.proto;
    let initial = eventstream::event("initial-response", proto.content_type(), &proto.encode(&Empty {}));
    if tx.send(initial).await.is_err() {
        return;
    }
    let deadline = tokio::time::Instant::now() + LIFETIME;
    let mut watch = app.log.watch_shard(sub.key);
    let replaced_frame = exception_frame(
        proto,
        &ApiError::in_use(format!(
            "Another subscription by consumer {} to shard {} replaced this one.",
            sub.consumer_arn,
            riffle_types::ShardId(sub.key.shard())
        )),
    );
    loop {
        let permit = tokio::select! {
            biased;
            _ = &mut replaced => return send_last(&tx, replaced_frame).await,
            () = tokio::time::sleep_until(deadline) => return,
            p = tx.reserve() => match p {
                Ok(p) => p,
                Err(_) => return, // the client went away
            },
        };
        let view = match view(&app, &sub) {
            Ok(v) => v,
            Err(e) => return permit.send(exception_frame(proto, &e)),
        };
        let state = app.log.shard_state(sub.key);
        sub.counter = sub.counter.max(state.trim_counter);
        // As in GetRecords: past a closed shard's end, or at its tip (a closed shard takes no more
        // writes; after a crash under a lax --fsync its last, never durable, records may be missing).
        let at_end = view.ending.is_some_and(|end| sub.counter > end || sub.counter >= state.next_counter);
        if sub.counter < state.next_counter && !at_end {
            match read_event(&app, &mut sub, state, view).await {
                Ok((frame, closing)) => {
                    permit.send(frame);
                    if closing {
                        return;
                    }
                }
                Err(e) => return permit.send(exception_frame(proto, &e)),
            }
            continue;
        }
        if at_end {
            // Drained (or empty): the last event names the children and has no continuation.
            let ev = SubscribeToShardEventOut {
                records: Vec::new(),
                continuation_sequence_number: None,
                millis_behind_latest: 0,
                child_shards: Some(view.children),
            };
            sub.metrics.event(0, 0, 0);
            return permit.send(event_frame(proto, &ev));
        }
        // Nothing to deliver: wait for the writer to publish more, or send a heartbeat.
        let counter = sub.counter;
        tokio::select! {
            biased;
            _ = &mut replaced => return permit.send(replaced_frame),
            () = tokio::time::sleep_until(deadline) => return,
            () = tx.closed() => return, // the client went away
            ok = async { watch.wait_for(|&next| next > counter).await.is_ok() } => {
                if !ok {
                    // The log is shutting down.
                    return;
                }
                // Dropped shards also wake us: the next turn's view() notices.
                drop(permit);
            }
            () = tokio::time::sleep(HEARTBEAT) => {
                let ev = SubscribeToShardEventOut {
                    records: Vec::new(),
                    continuation_sequence_number: Some(continuation(&sub)),
                    millis_behind_latest: 0,
                    child_shards: None,
                };
                sub.metrics.event(0, 0, 0);
                permit.send(event_frame(proto, &ev));
            }
        }
    }
}

/// The sequence number to resume after (`AFTER_SEQUENCE_NUMBER`): the last delivered, or just
/// before the first not yet delivered. Advances with the position even when nothing arrived.
fn continuation(sub: &Subscription) -> SeqOut {
    SeqOut(SequenceNumber::new(sub.key, sub.counter.saturating_sub(1)))
}

fn event_frame(proto: Protocol, ev: &SubscribeToShardEventOut) -> Bytes {
    eventstream::event("SubscribeToShardEvent", proto.content_type(), &proto.encode(ev))
}

/// Reads what is there from the subscription's position and frames it as one event; true if it
/// drained a closed shard, so the event is the closing one.
async fn read_event(
    app: &Arc<App>,
    sub: &mut Subscription,
    state: riffle_log::ShardState,
    view: ShardView,
) -> Result<(Bytes, bool), ApiError> {
    let (key, from) = (sub.key, sub.counter);
    let log = app.log.clone();
    let batch = tokio::task::spawn_blocking(move || log.read(key, from, MAX_EVENT_RECORDS, MAX_EVENT_BYTES))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "subscription read task failed");
            ApiError::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "subscription read failed");
            ApiError::internal()
        })?;
    let (batch, opened) = crate::ops::open_batch(app, key, batch).await?;
    sub.counter = batch.next_counter.max(from);
    let behind = match batch.records.last() {
        _ if sub.counter >= state.next_counter => 0,
        Some(r) => (state.last_arrival_ms - r.arrival_ms).max(0),
        None => 0,
    };
    // As in GetRecords: past a closed shard's end, or at its tip (a closed shard takes no more
    // writes; after a crash under a lax --fsync its last, never durable, records may be missing).
    let at_end = view.ending.is_some_and(|end| sub.counter > end || sub.counter >= state.next_counter);
    let bytes: usize = batch.records.iter().map(|r| r.data.len() + r.partition_key.len()).sum();
    sub.metrics.event(batch.records.len() as u64, bytes as u64, behind);
    let ev = SubscribeToShardEventOut {
        records: crate::ops::data::records_out(key, batch.records, &opened),
        continuation_sequence_number: (!at_end).then(|| continuation(sub)),
        millis_behind_latest: behind,
        child_shards: at_end.then_some(view.children),
    };
    Ok((event_frame(sub.proto, &ev), at_end))
}
