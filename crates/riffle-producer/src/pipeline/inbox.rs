//! What `put` hands the pipeline: commands in chunks under a lock, and a wake-up only when
//! the inbox goes from empty to not.
//!
//! A channel (tokio's mpsc) wakes its receiver on every send: an atomic exchange on a line
//! the pipeline's task writes too, so at a million puts a second the putting thread and the
//! pipeline pass that line back and forth a million times, and each record is copied twice
//! (into the channel's block, out into the batch). Here a put is an uncontended lock (the
//! pipeline takes the lock once a chunk of 4,096) and one copy into the chunk, and the
//! pipeline takes a whole chunk by swapping vectors.

use super::Command;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;

/// Commands a chunk holds, and so at most in a batch the pipeline takes in.
pub(crate) const CHUNK: usize = 4096;

#[derive(Default)]
pub(crate) struct Inbox {
    state: Mutex<State>,
    /// Wakes the pipeline when commands arrive in an empty inbox, or the handles are gone.
    arrived: Notify,
}

#[derive(Default)]
struct State {
    /// Full chunks, then the one being filled.
    chunks: VecDeque<Vec<Command>>,
    /// Emptied chunks, given back by the pipeline to be filled again.
    empty: Vec<Vec<Command>>,
    /// Every producer handle is gone: nothing more will arrive.
    senders_gone: bool,
    /// The pipeline has stopped: nothing more is taken.
    stopped: bool,
}

/// The pipeline has stopped: nothing more is taken.
#[derive(Debug)]
pub(crate) struct Stopped;

/// What [`Inbox::take`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Taken {
    /// A chunk, swapped into the caller's vector.
    Chunk,
    /// Nothing waits now.
    Empty,
    /// Empty for good: every producer handle is gone.
    Closed,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held; a poisoned lock's state is still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a command, or drops it if the pipeline has stopped.
    pub fn push(&self, cmd: Command) -> Result<(), Stopped> {
        let mut s = self.lock();
        if s.stopped {
            drop(s);
            drop(cmd);
            return Err(Stopped);
        }
        let was_empty = s.chunks.is_empty();
        match s.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => last.push(cmd),
            _ => {
                let mut chunk = s.empty.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
                chunk.push(cmd);
                s.chunks.push_back(chunk);
            }
        }
        drop(s);
        if was_empty {
            self.arrived.notify_one();
        }
        Ok(())
    }

    /// Swaps the oldest chunk into `batch`, which must be empty (its memory is kept for a
    /// later chunk).
    pub fn take(&self, batch: &mut Vec<Command>) -> Taken {
        debug_assert!(batch.is_empty(), "the previous batch was taken in");
        let mut s = self.lock();
        match s.chunks.pop_front() {
            Some(chunk) => {
                let emptied = std::mem::replace(batch, chunk);
                // Two spares cover the steady state (one filling, one being taken in); more
                // would keep a burst's peak allocated for the producer's life.
                if emptied.capacity() > 0 && s.empty.len() < 2 {
                    s.empty.push(emptied);
                }
                Taken::Chunk
            }
            None if s.senders_gone => Taken::Closed,
            None => Taken::Empty,
        }
    }

    /// Whether commands wait to be taken.
    pub fn is_empty(&self) -> bool {
        self.lock().chunks.is_empty()
    }

    /// Resolves once commands may have arrived since the last [`Inbox::take`] found none (a
    /// wake-up sent while no one waited is kept for the next wait).
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    /// Every producer handle is gone.
    pub fn close(&self) {
        self.lock().senders_gone = true;
        self.arrived.notify_one();
    }

    /// The pipeline stops taking commands: later pushes fail, and what waits (pushed after its
    /// last look) is handed back to be answered.
    pub fn stop(&self) -> Vec<Command> {
        let mut s = self.lock();
        s.stopped = true;
        std::mem::take(&mut s.chunks).into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_come_out_in_order_a_chunk_at_a_time() {
        let inbox = Inbox::default();
        let n = CHUNK * 2 + 10;
        for _ in 0..n {
            inbox.push(Command::Flush).unwrap();
        }
        let mut batch = Vec::new();
        let mut sizes = Vec::new();
        while inbox.take(&mut batch) == Taken::Chunk {
            sizes.push(batch.len());
            batch.clear();
        }
        assert_eq!(sizes, [CHUNK, CHUNK, 10]);
        assert!(inbox.is_empty());
        inbox.close();
        assert_eq!(inbox.take(&mut batch), Taken::Closed);
    }

    #[test]
    fn a_stopped_inbox_refuses_and_hands_back_what_waits() {
        let inbox = Inbox::default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        inbox.push(Command::FlushWait(tx)).unwrap();
        let left = inbox.stop();
        assert!(matches!(left[..], [Command::FlushWait(_)]), "what waited is handed back");
        assert!(inbox.push(Command::Flush).is_err());
        drop(left);
        assert!(rx.blocking_recv().is_err());
    }

    #[tokio::test]
    async fn a_push_into_an_empty_inbox_wakes_the_pipeline_even_before_it_waits() {
        let inbox = std::sync::Arc::new(Inbox::default());
        inbox.push(Command::Flush).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), inbox.arrived()).await.expect("woken");
        let waiter = tokio::spawn({
            let inbox = inbox.clone();
            async move { inbox.arrived().await }
        });
        tokio::task::yield_now().await;
        inbox.close();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.expect("woken").unwrap();
    }
}
