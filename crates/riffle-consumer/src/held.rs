//! A lease this worker holds: the counter it last wrote (the fence for its next write), when it
//! last proved ownership, and its state — held, being handed off, or lost — which tasks can wait
//! on. Renewals and checkpoints go through the same lock, so they never race each other's
//! counter.
//!
//! A graceful handoff (KCL 3's): a peer that steals this lease while we are alive leaves us as
//! the lease's `checkpointOwner`. Our next fenced write fails on the counter; instead of calling
//! the lease lost we read it, see the request, and switch to [`State::HandingOff`]: the shard's
//! processor is asked to shut down and may still checkpoint (fenced on `checkpointOwner`), then
//! we let go and the new owner resumes exactly where we stopped — no record processed twice.

use crate::error::LeaseTableError;
use crate::lease_table::{Fence, FencedWrite, LeaseTable};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Held,
    /// A peer took the lease and waits for us to checkpoint and let go.
    HandingOff,
    Lost,
}

#[derive(Debug)]
struct Proof {
    counter: u64,
    last_proved: Instant,
}

#[derive(Debug)]
pub(crate) struct HeldLease {
    pub key: String,
    owner: Arc<str>,
    table: LeaseTable,
    proof: Mutex<Proof>,
    state: watch::Sender<State>,
}

impl HeldLease {
    pub fn new(key: String, owner: Arc<str>, table: LeaseTable, counter: u64) -> Arc<Self> {
        let (state, _) = watch::channel(State::Held);
        Arc::new(Self { key, owner, table, proof: Mutex::new(Proof { counter, last_proved: Instant::now() }), state })
    }

    pub fn is_lost(&self) -> bool {
        *self.state.borrow() == State::Lost
    }

    pub fn is_handing_off(&self) -> bool {
        *self.state.borrow() == State::HandingOff
    }

    /// Resolves once the lease is lost (at once if it already is).
    pub async fn lost(&self) {
        self.wait_for(State::Lost).await;
    }

    /// Resolves once a peer asked for the lease to be handed over (or it is lost).
    pub async fn handoff_requested(&self) {
        let mut rx = self.state.subscribe();
        let _ = rx.wait_for(|s| *s != State::Held).await;
    }

    async fn wait_for(&self, state: State) {
        let mut rx = self.state.subscribe();
        let _ = rx.wait_for(|s| *s == state).await;
    }

    pub fn mark_lost(&self) {
        self.state.send_replace(State::Lost);
    }

    /// Writes under the fence. A failed condition means another worker wrote the lease: it is
    /// being handed off to it (if it asked so) or lost, said to whoever waits on either.
    pub async fn write(&self, write: &FencedWrite) -> Result<(), LeaseTableError> {
        let mut proof = self.proof.lock().await;
        loop {
            let state = *self.state.borrow();
            match state {
                State::Lost => return Err(LeaseTableError::ConditionFailed(self.key.clone())),
                State::HandingOff => {
                    let result = self.table.fenced_write(&self.key, &self.owner, Fence::Handoff, write).await;
                    if matches!(result, Err(LeaseTableError::ConditionFailed(_))) {
                        // The new owner stopped waiting for us.
                        self.mark_lost();
                    }
                    return result;
                }
                State::Held => {
                    match self.table.fenced_write(&self.key, &self.owner, Fence::Counter(proof.counter), write).await {
                        Ok(()) => {
                            proof.counter += 1;
                            proof.last_proved = Instant::now();
                            return Ok(());
                        }
                        Err(e @ LeaseTableError::ConditionFailed(_)) => {
                            if self.handoff_asked().await {
                                tracing::info!(shard = %self.key, "lease stolen; handing it off gracefully");
                                self.state.send_replace(State::HandingOff);
                                continue;
                            }
                            self.mark_lost();
                            return Err(e);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// Whether the lease now belongs to a peer that named us its `checkpointOwner`.
    async fn handoff_asked(&self) -> bool {
        match self.table.get(&self.key).await {
            Ok(Some(l)) => {
                l.owner.as_deref() != Some(&*self.owner) && l.checkpoint_owner.as_deref() == Some(&*self.owner)
            }
            _ => false,
        }
    }

    /// Renews; on a transient failure keeps the lease until its last proof of ownership is
    /// older than `failover` — by then other workers may have taken it, so stop using it.
    pub async fn renew(&self, failover: Duration) -> Result<(), LeaseTableError> {
        if self.is_handing_off() {
            return Ok(());
        }
        let result = self.write(&FencedWrite::Renew).await;
        if result.is_err() && self.proof.lock().await.last_proved.elapsed() > failover {
            self.mark_lost();
        }
        result
    }
}
