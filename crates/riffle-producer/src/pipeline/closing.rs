//! The pipeline's end: closing (everything due at once, under a hard deadline), what is left
//! when the deadline passes, and what reached the inbox after the loop's last look.

use super::{Closing, Command, Inbox, Pipeline, StreamState};
use crate::outcome::FailureKind;
use crate::record::UserRecord;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Stands in for "no deadline" when RecordTtl is `Duration::MAX`.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);

impl Pipeline {
    /// Answers what reached the inbox after the loop's last look (a `put` racing `shutdown`):
    /// records fail as shut down, through the ledger (memory, metrics, dead letters), and
    /// flush and shutdown callers are answered.
    pub(super) fn answer_leftovers(&mut self) {
        let now = Instant::now();
        for cmd in self.inbox.stop() {
            match cmd {
                Command::Put { stream, user } => {
                    let Some(name) = self.ledger.shared.stream_of(&stream).cloned() else { continue };
                    let stream = self.streams.entry(name).or_insert_with_key(|n| StreamState::new(n.clone(), now));
                    self.ledger.pending += 1;
                    stream.metrics.user_records_received.increment(1);
                    stream.metrics.user_records_pending.increment(1.0);
                    let last_error = Some("put as the producer shut down".to_string());
                    self.ledger.fail(&stream.metrics, user, FailureKind::ShutDown { last_error });
                }
                Command::Flush => {}
                Command::FlushWait(reply) | Command::Shutdown(reply) => {
                    let _ = reply.send(());
                }
            }
        }
    }

    pub(super) fn begin_closing(&mut self, reply: Option<oneshot::Sender<()>>) {
        let grace = self.cfg.record_ttl.saturating_add(self.cfg.request_timeout).saturating_add(Duration::from_secs(1));
        // A TTL of Duration::MAX means no deadline; a century stands in for it.
        let deadline = Instant::now().checked_add(grace).unwrap_or_else(|| Instant::now() + CENTURY);
        let closing = self.closing.get_or_insert_with(|| Closing { deadline, replies: Vec::new() });
        closing.replies.extend(reply);
    }

    /// At the hard deadline of closing: whatever is left fails as shut down.
    pub(super) fn abandon_everything(&mut self) {
        for (_, f) in self.in_flight.drain() {
            f.task.abort();
            let Some(stream) = self.streams.get(&f.stream) else { continue };
            for (_, r) in f.records {
                for u in r.users {
                    let last = Some("the call was still in flight (the record may have been written)".to_string());
                    self.ledger.fail(&stream.metrics, u, FailureKind::ShutDown { last_error: last });
                }
            }
        }
        for stream in self.streams.values_mut() {
            let mut users: Vec<UserRecord> = stream.unrouted.drain(..).collect();
            for held in stream.awaiting_map.drain(..) {
                users.extend(held.record.users);
            }
            for shard in stream.shards.values_mut() {
                users.extend(shard.agg.drain());
                while let Some(r) = shard.pop_front() {
                    users.extend(r.users);
                }
            }
            for u in users {
                let last = u.history.last_error_code();
                self.ledger.fail(&stream.metrics, u, FailureKind::ShutDown { last_error: last });
            }
        }
    }
}

/// Stops the inbox and the memory cap when the pipeline's loop ends, however it ends (after a
/// panic, what is left in the inbox is dropped: those futures resolve as failed).
pub(super) struct StopInbox(pub Arc<Inbox>, pub Arc<crate::producer::Shared>);

impl Drop for StopInbox {
    fn drop(&mut self) {
        drop(self.0.stop());
        self.1.close();
    }
}
