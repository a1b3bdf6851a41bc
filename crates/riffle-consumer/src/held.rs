//! A lease this worker holds: the counter it last wrote (the fence for its next write), when it
//! last proved ownership, and a signal that fires once when it is lost. Renewals and
//! checkpoints go through the same lock, so they never race each other's counter.

use crate::error::LeaseTableError;
use crate::lease_table::{FencedWrite, LeaseTable};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};

#[derive(Debug)]
struct Fence {
    counter: u64,
    last_proved: Instant,
}

#[derive(Debug)]
pub(crate) struct HeldLease {
    pub key: String,
    owner: Arc<str>,
    table: LeaseTable,
    fence: Mutex<Fence>,
    lost: watch::Sender<bool>,
}

impl HeldLease {
    pub fn new(key: String, owner: Arc<str>, table: LeaseTable, counter: u64) -> Arc<Self> {
        let (lost, _) = watch::channel(false);
        Arc::new(Self { key, owner, table, fence: Mutex::new(Fence { counter, last_proved: Instant::now() }), lost })
    }

    pub fn is_lost(&self) -> bool {
        *self.lost.borrow()
    }

    /// Resolves once the lease is lost (at once if it already is).
    pub async fn lost(&self) {
        let mut rx = self.lost.subscribe();
        let _ = rx.wait_for(|lost| *lost).await;
    }

    pub fn mark_lost(&self) {
        self.lost.send_replace(true);
    }

    /// Writes under the fence. A failed condition means another worker wrote the lease: it is
    /// lost, and said so to whoever waits on [`HeldLease::lost`].
    pub async fn write(&self, write: &FencedWrite) -> Result<(), LeaseTableError> {
        let mut fence = self.fence.lock().await;
        if self.is_lost() {
            return Err(LeaseTableError::ConditionFailed(self.key.clone()));
        }
        match self.table.fenced_write(&self.key, &self.owner, fence.counter, write).await {
            Ok(()) => {
                fence.counter += 1;
                fence.last_proved = Instant::now();
                Ok(())
            }
            Err(e @ LeaseTableError::ConditionFailed(_)) => {
                self.mark_lost();
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Renews; on a transient failure keeps the lease until its last proof of ownership is
    /// older than `failover` — by then other workers may have taken it, so stop using it.
    pub async fn renew(&self, failover: Duration) -> Result<(), LeaseTableError> {
        let result = self.write(&FencedWrite::Renew).await;
        if result.is_err() && self.fence.lock().await.last_proved.elapsed() > failover {
            self.mark_lost();
        }
        result
    }
}
