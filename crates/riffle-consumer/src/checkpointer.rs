//! The checkpointer a processor is handed: it writes the lease's checkpoint under the lease's
//! fence, so a worker that lost the lease cannot move another worker's progress, and it refuses
//! positions behind the last checkpoint or beyond what was delivered (kinesis-spec §5.4).

use crate::error::{CheckpointError, LeaseTableError};
use crate::held::HeldLease;
use crate::lease_table::FencedWrite;
use crate::metrics;
use crate::position::{Checkpoint, SequencePosition};
use crate::record::Record;
use std::sync::Arc;

#[derive(Debug)]
pub struct Checkpointer {
    lease: Arc<HeldLease>,
    last: Checkpoint,
    /// The largest position delivered to the processor so far: the furthest it may checkpoint.
    largest: Checkpoint,
    /// Set while the processor handles `shard_ended`: `checkpoint()` then writes SHARD_END.
    at_shard_end: bool,
}

/// A checkpoint written as pending (phase one); [`PreparedCheckpoint::commit`] makes it the
/// checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedCheckpoint {
    checkpoint: Checkpoint,
}

impl PreparedCheckpoint {
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    pub async fn commit(self, checkpointer: &mut Checkpointer) -> Result<(), CheckpointError> {
        checkpointer.write(self.checkpoint).await
    }
}

impl Checkpointer {
    pub(crate) fn new(lease: Arc<HeldLease>, last: Checkpoint) -> Self {
        Self { lease, largest: last.clone(), last, at_shard_end: false }
    }

    pub fn shard_id(&self) -> &str {
        &self.lease.key
    }

    /// The last checkpoint written (or read when the lease was taken).
    pub fn last_checkpoint(&self) -> &Checkpoint {
        &self.last
    }

    pub(crate) fn delivered(&mut self, record: &Record) {
        self.largest = Checkpoint::At(record.position());
    }

    pub(crate) fn reached_shard_end(&mut self) {
        self.at_shard_end = true;
        self.largest = Checkpoint::ShardEnd;
    }

    /// Checkpoints everything delivered so far; inside `shard_ended`, SHARD_END.
    pub async fn checkpoint(&mut self) -> Result<(), CheckpointError> {
        if self.largest == self.last {
            return Ok(());
        }
        let target = self.largest.clone();
        self.write(target).await
    }

    /// Checkpoints up to and including the record at (`sequence_number`, `sub_sequence_number`).
    pub async fn checkpoint_at(
        &mut self,
        sequence_number: &str,
        sub_sequence_number: u64,
    ) -> Result<(), CheckpointError> {
        self.write(Checkpoint::At(SequencePosition::new(sequence_number, sub_sequence_number))).await
    }

    /// Checkpoints up to and including `record`.
    pub async fn checkpoint_record(&mut self, record: &Record) -> Result<(), CheckpointError> {
        self.write(Checkpoint::At(record.position())).await
    }

    /// Writes everything delivered so far as the pending checkpoint, with optional application
    /// state, without moving the checkpoint; a successor sees both in `initialize`.
    pub async fn prepare_checkpoint(&mut self, state: Option<Vec<u8>>) -> Result<PreparedCheckpoint, CheckpointError> {
        let target = self.largest.clone();
        self.prepare(target, state).await
    }

    /// Like [`Checkpointer::prepare_checkpoint`], at a given record.
    pub async fn prepare_checkpoint_at(
        &mut self,
        sequence_number: &str,
        sub_sequence_number: u64,
        state: Option<Vec<u8>>,
    ) -> Result<PreparedCheckpoint, CheckpointError> {
        self.prepare(Checkpoint::At(SequencePosition::new(sequence_number, sub_sequence_number)), state).await
    }

    async fn prepare(
        &mut self,
        target: Checkpoint,
        state: Option<Vec<u8>>,
    ) -> Result<PreparedCheckpoint, CheckpointError> {
        self.check(&target)?;
        self.lease.write(&FencedWrite::Prepare(target.clone(), state)).await.map_err(|e| self.fail(e))?;
        Ok(PreparedCheckpoint { checkpoint: target })
    }

    async fn write(&mut self, target: Checkpoint) -> Result<(), CheckpointError> {
        self.check(&target)?;
        self.lease.write(&FencedWrite::Checkpoint(target.clone())).await.map_err(|e| self.fail(e))?;
        metrics::checkpoint_written(&self.lease.key);
        self.last = target;
        Ok(())
    }

    fn check(&self, target: &Checkpoint) -> Result<(), CheckpointError> {
        let behind = target.progress_cmp(&self.last).is_lt();
        let beyond = target.progress_cmp(&self.largest).is_gt();
        if behind || beyond || target.is_sentinel_start() {
            return Err(CheckpointError::OutOfRange {
                requested: target.to_string(),
                last: self.last.to_string(),
                largest: self.largest.to_string(),
            });
        }
        Ok(())
    }

    fn fail(&self, e: LeaseTableError) -> CheckpointError {
        match e {
            LeaseTableError::ConditionFailed(_) => CheckpointError::LeaseLost(self.lease.key.clone()),
            other => CheckpointError::Table(other),
        }
    }
}
