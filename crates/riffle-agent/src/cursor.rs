//! Acknowledged positions and the task that makes them durable.
//!
//! Each content stream being read has a [`Cursor`]. The acker moves `acked` forward only past
//! records the stream acknowledged, in send order (see [`crate::acker`]); the checkpointer copies
//! the cursors into the [`CheckpointStore`] and commits it at a bounded rate (one fsynced rename
//! per interval however many records were acknowledged).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::checkpoint::{CheckpointError, CheckpointStore};
use crate::identity::FileIdentity;

/// How far one content stream of one file is acknowledged.
#[derive(Debug)]
pub struct Cursor {
    path: Mutex<PathBuf>,
    identity: Mutex<FileIdentity>,
    acked: AtomicU64,
    /// Not yet in the store: its first write replaces whatever the inode had.
    fresh: AtomicBool,
    /// Its content was replaced (copytruncate): nothing to resume, never write it again.
    retired: AtomicBool,
    /// Offset of the last thing sent, once the file is closed; the cursor is dropped when
    /// `acked` reaches it.
    closed_at: AtomicU64,
    written: AtomicU64,
}

impl Cursor {
    pub fn new(path: PathBuf, identity: FileIdentity, offset: u64) -> Self {
        Self {
            path: Mutex::new(path),
            identity: Mutex::new(identity),
            acked: AtomicU64::new(offset),
            fresh: AtomicBool::new(true),
            retired: AtomicBool::new(false),
            closed_at: AtomicU64::new(u64::MAX),
            written: AtomicU64::new(u64::MAX),
        }
    }

    /// Everything up to `offset` is acknowledged (never moves backwards).
    pub fn ack(&self, offset: u64) {
        self.acked.fetch_max(offset, Ordering::AcqRel);
    }

    pub fn acked(&self) -> u64 {
        self.acked.load(Ordering::Acquire)
    }

    pub fn set_identity(&self, identity: FileIdentity) {
        *self.identity.lock().unwrap_or_else(PoisonError::into_inner) = identity;
    }

    pub fn path(&self) -> PathBuf {
        self.path.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    pub fn close(&self, last_sent: u64) {
        self.closed_at.store(last_sent, Ordering::Release);
    }
}

/// The cursors of every flow, with their flow ids.
pub type Cursors = Arc<Mutex<Vec<(Arc<str>, Arc<Cursor>)>>>;

/// Copies changed cursors into the store and drops finished ones; returns whether anything
/// changed (the caller then commits).
pub fn sync(cursors: &Cursors, store: &mut CheckpointStore) {
    let mut list = cursors.lock().unwrap_or_else(PoisonError::into_inner);
    list.retain(|(flow, c)| {
        if c.retired.load(Ordering::Acquire) {
            return false;
        }
        let acked = c.acked();
        if c.written.swap(acked, Ordering::AcqRel) != acked {
            let path = c.path.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let identity = c.identity.lock().unwrap_or_else(PoisonError::into_inner).clone();
            if c.fresh.swap(false, Ordering::AcqRel) {
                store.reset(flow, &path, identity, acked);
            } else {
                store.advance(flow, &path, identity, acked);
            }
        }
        acked < c.closed_at.load(Ordering::Acquire)
    });
}

/// Syncs and commits every `interval` until `stop` fires, then once more. Commit failures are
/// logged and counted and retried at the next interval: the agent keeps sending (a restart
/// re-sends from the last good commit) rather than stop on a full disk.
pub async fn run_checkpointer(
    store: Arc<Mutex<CheckpointStore>>,
    cursors: Cursors,
    interval: Duration,
    ttl: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = commit(&store, &cursors, ttl) {
            metrics::counter!("riffle_agent_checkpoint_errors").increment(1);
            tracing::error!(error = %e, "cannot write checkpoints; retrying at the next interval");
        }
    }
}

/// One sync and durable commit (also used at shutdown).
pub fn commit(store: &Mutex<CheckpointStore>, cursors: &Cursors, ttl: Duration) -> Result<(), CheckpointError> {
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    sync(cursors, &mut store);
    store.prune(ttl, SystemTime::now());
    store.commit()
}
