//! One shard's SubscribeToShard, kept going until the run stops: it reads the event stream as
//! it arrives, stamps each chunk with the time it was read, and sends what it decoded to the
//! phase collecting it. A subscription ends after 5 minutes (or when the peer closes it); it is
//! renewed from the last ContinuationSequenceNumber, as the SDKs' consumers do, so a run may
//! outlast it. After an error it retries after a pause, because AWS (and Riffle) refuse a new
//! subscription while the old one of the same consumer and shard is still live.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http_body_util::BodyExt;
use riffle_proto::eventstream::{self, DecodeError, Message};
use tokio::sync::{mpsc, oneshot, watch};

use crate::CallError;
use crate::client::KinesisClient;
use crate::report::{self, ErrorCounts, ErrorSamples};
use crate::wire::{self, FanOp, Position, Tag};

/// How long a SubscribeToShard may take to answer with its response head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Silence after which a subscription is presumed dead and renewed. AWS and Riffle send an
/// event at least every few seconds even when there is nothing to deliver.
const IDLE_TIMEOUT: Duration = Duration::from_secs(35);
/// Pause before retrying after an error, or after a subscription that delivered nothing.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Records one subscription delivered in one read from the connection.
#[derive(Debug)]
pub(crate) struct Arrival {
    /// Index of the shard in the run's shard list.
    pub shard: usize,
    /// When the bytes carrying these records were read.
    pub at: Instant,
    pub tags: Vec<Tag>,
    pub records: u64,
    pub bytes: u64,
}

/// What to subscribe to.
struct Spec {
    pub client: KinesisClient,
    pub consumer_arn: Arc<str>,
    pub shard: usize,
    pub shard_id: String,
    pub start: Position,
}

/// One subscription's counters over the whole run.
#[derive(Debug, Default)]
pub(crate) struct SubStats {
    /// SubscribeToShard calls answered with a stream.
    pub subscribes: u64,
    /// `initial-response` events (AWS and Riffle send one first; kinesis-mock does not).
    pub initial_responses: u64,
    pub events: u64,
    pub records: u64,
    /// Subscriptions that ended because the shard is closed and drained.
    pub shard_ends: u64,
    pub errors: ErrorCounts,
    pub samples: ErrorSamples,
}

impl SubStats {
    fn error(&mut self, e: &CallError) {
        report::count_error(&mut self.errors, &mut self.samples, e);
    }

    pub fn merge(&mut self, o: SubStats) {
        self.subscribes += o.subscribes;
        self.initial_responses += o.initial_responses;
        self.events += o.events;
        self.records += o.records;
        self.shard_ends += o.shard_ends;
        report::merge_errors((&mut self.errors, &mut self.samples), (o.errors, o.samples));
    }
}

impl From<SubStats> for report::SubscriptionStats {
    fn from(s: SubStats) -> Self {
        report::SubscriptionStats {
            subscribe_calls: s.subscribes,
            initial_responses: s.initial_responses,
            events: s.events,
            records: s.records,
            shard_ends: s.shard_ends,
            errors: s.errors,
            error_samples: s.samples,
        }
    }
}

/// One subscription per shard, for one phase.
pub(crate) struct Fleet {
    stop: watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<SubStats>>,
    ready: Vec<oneshot::Receiver<()>>,
}

impl Fleet {
    /// Subscribes `consumer_arn` to every shard from `start`; returns where deliveries arrive.
    pub fn start(
        client: &KinesisClient,
        consumer_arn: &str,
        shards: &[String],
        start: &Position,
    ) -> (Fleet, mpsc::UnboundedReceiver<Arrival>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let consumer_arn: Arc<str> = consumer_arn.into();
        let mut fleet = Fleet { stop, handles: Vec::new(), ready: Vec::new() };
        for (shard, shard_id) in shards.iter().enumerate() {
            let (ready_tx, ready_rx) = oneshot::channel();
            let spec = Spec {
                client: client.clone(),
                consumer_arn: consumer_arn.clone(),
                shard,
                shard_id: shard_id.clone(),
                start: start.clone(),
            };
            fleet.handles.push(tokio::spawn(run(spec, tx.clone(), ready_tx, stop_rx.clone())));
            fleet.ready.push(ready_rx);
        }
        (fleet, rx)
    }

    /// Waits until every subscription has answered with a stream, at most until `deadline`;
    /// returns how many have not.
    pub async fn wait_ready(&mut self, deadline: tokio::time::Instant) -> usize {
        let mut missing = 0;
        for rx in self.ready.drain(..) {
            if !matches!(tokio::time::timeout_at(deadline, rx).await, Ok(Ok(()))) {
                missing += 1;
            }
        }
        missing
    }

    /// Ends every subscription and adds up their counters.
    pub async fn stop(self) -> SubStats {
        let _ = self.stop.send(true);
        let mut total = SubStats::default();
        for h in self.handles {
            match h.await {
                Ok(s) => total.merge(s),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        total
    }
}

/// How one subscription ended.
enum Outcome {
    /// The shard is closed and fully delivered: nothing more will come.
    ShardEnd,
    /// The stream ended normally (lifetime over, or the peer closed it): renew.
    Closed,
    /// An error, counted: renew after a pause.
    Failed,
}

/// Runs subscriptions to `spec`'s shard until `stop` turns true. `ready` fires when the first
/// one answers with a stream (a phase starts writing only then, so LATEST misses nothing).
async fn run(
    spec: Spec,
    arrivals: mpsc::UnboundedSender<Arrival>,
    ready: oneshot::Sender<()>,
    mut stop: watch::Receiver<bool>,
) -> SubStats {
    let mut stats = SubStats::default();
    let mut ready = Some(ready);
    let mut position = spec.start.clone();
    loop {
        let events_before = stats.events;
        let end = tokio::select! {
            biased;
            _ = stop.wait_for(|&s| s) => return stats,
            end = subscribe_once(&spec, &mut position, &arrivals, &mut stats, &mut ready) => end,
        };
        let pause = match end {
            Outcome::ShardEnd => {
                stats.shard_ends += 1;
                let _ = stop.wait_for(|&s| s).await;
                return stats;
            }
            Outcome::Closed => stats.events == events_before,
            Outcome::Failed => true,
        };
        if pause {
            tokio::select! {
                biased;
                _ = stop.wait_for(|&s| s) => return stats,
                () = tokio::time::sleep(RETRY_PAUSE) => {}
            }
        }
    }
}

/// One SubscribeToShard call, read to its end. Moves `position` to each event's continuation.
async fn subscribe_once(
    spec: &Spec,
    position: &mut Position,
    arrivals: &mpsc::UnboundedSender<Arrival>,
    stats: &mut SubStats,
    ready: &mut Option<oneshot::Sender<()>>,
) -> Outcome {
    let body = wire::subscribe_body(&spec.consumer_arn, &spec.shard_id, position);
    let resp = match tokio::time::timeout(HEAD_TIMEOUT, spec.client.open(FanOp::SubscribeToShard, body)).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => {
            stats.error(&e);
            return Outcome::Failed;
        }
        Err(_) => {
            stats.error(&CallError::Timeout("SubscribeToShard response head"));
            return Outcome::Failed;
        }
    };
    stats.subscribes += 1;
    if let Some(tx) = ready.take() {
        let _ = tx.send(());
    }
    let mut body = resp.into_body();
    let mut buf = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => {
                stats.error(&CallError::Body(e));
                return Outcome::Failed;
            }
            Ok(None) => return Outcome::Closed,
            Err(_) => {
                stats.error(&CallError::Timeout("no SubscribeToShard event within 35 s"));
                return Outcome::Failed;
            }
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing the bench needs
        };
        let at = Instant::now();
        buf.extend_from_slice(&data);
        loop {
            let msg = match eventstream::decode(&buf) {
                Ok((msg, used)) => {
                    let _ = buf.split_to(used);
                    msg
                }
                Err(DecodeError::Incomplete(_)) => break,
                Err(e) => {
                    stats.error(&CallError::Malformed(format!("event stream: {e}")));
                    return Outcome::Failed;
                }
            };
            if let Some(end) = handle(spec.shard, msg, at, position, arrivals, stats) {
                return end;
            }
        }
    }
}

/// Acts on one event-stream message; `Some` ends the subscription.
fn handle(
    shard: usize,
    msg: Message,
    at: Instant,
    position: &mut Position,
    arrivals: &mpsc::UnboundedSender<Arrival>,
    stats: &mut SubStats,
) -> Option<Outcome> {
    match (msg.header_str(":message-type"), msg.header_str(":event-type")) {
        (Some("event"), Some("initial-response")) => stats.initial_responses += 1,
        (Some("event"), Some("SubscribeToShardEvent")) => {
            let ev = match wire::subscribe_event(&msg.payload) {
                Ok(ev) => ev,
                Err(e) => {
                    stats.error(&e);
                    return Some(Outcome::Failed);
                }
            };
            stats.events += 1;
            stats.records += ev.records;
            if let Some(c) = ev.continuation {
                *position = Position::After(c);
            }
            if ev.records > 0 {
                // The phase may already be collecting its results; a closed channel is fine.
                let _ = arrivals.send(Arrival { shard, at, tags: ev.tags, records: ev.records, bytes: ev.bytes });
            }
            if ev.shard_end {
                return Some(Outcome::ShardEnd);
            }
        }
        // Other events are ignored, as the SDKs ignore event types they do not know.
        (Some("event"), _) => {}
        (Some("exception"), _) => {
            let ty = msg.header_str(":exception-type").unwrap_or("UnknownException");
            stats.error(&stream_error(ty, message_of(&msg)));
            return Some(Outcome::Failed);
        }
        (Some("error"), _) => {
            let ty = msg.header_str(":error-code").unwrap_or("UnknownError");
            let message = msg.header_str(":error-message").map(str::to_owned).unwrap_or_default();
            stats.error(&stream_error(ty, message));
            return Some(Outcome::Failed);
        }
        _ => {
            stats.error(&CallError::Malformed("event-stream message without a known :message-type".into()));
            return Some(Outcome::Failed);
        }
    }
    None
}

/// An error sent inside the event stream, counted under its type like a service error.
fn stream_error(ty: &str, message: String) -> CallError {
    CallError::Service { status: 200, error_type: ty.to_owned(), message }
}

/// The `message` member of an exception's JSON payload, else the payload as text.
fn message_of(msg: &Message) -> String {
    let v: Option<serde_json::Value> = serde_json::from_slice(&msg.payload).ok();
    let text = v.as_ref().and_then(|v| v.get("message").or_else(|| v.get("Message"))).and_then(|m| m.as_str());
    text.map_or_else(|| String::from_utf8_lossy(&msg.payload).chars().take(200).collect(), str::to_owned)
}

#[cfg(test)]
mod tests;
