//! One shard's lifecycle on this worker (kinesis-spec §5.5): wait for the parents to finish,
//! initialize, fetch and process batch after batch, and end in exactly one of shard end, lease
//! lost or shutdown requested. It runs as one task, so a shard's processor is never called
//! concurrently.

use crate::checkpointer::Checkpointer;
use crate::config::ConsumerConfig;
use crate::config::Retrieval;
use crate::error::LeaseTableError;
use crate::held::HeldLease;
use crate::lease::Lease;
use crate::lease_table::{FencedWrite, LeaseTable};
use crate::metrics::{self, names};
use crate::poison::{DeadLetter, PoisonAction};
use crate::position::{Checkpoint, InitialPosition};
use crate::processor::{InitializeInput, ProcessRecordsInput, RecordProcessor};
use crate::record::{Record, user_records};
use crate::retrieval::{FanOut, Fetcher, Polling, StartAt};
use std::sync::Arc;
use tokio::sync::watch;

/// How a shard consumer finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Processed to the end and checkpointed SHARD_END.
    ShardEnded,
    LeaseLost,
    /// A peer stole the lease; the processor had its chance to checkpoint and we let go.
    HandedOff,
    /// Graceful shutdown: the processor had its chance to checkpoint; release the lease.
    Shutdown,
    /// Stopped on a poison record (policy StopShard): keep the lease, do not restart.
    Stopped(String),
    /// Something failed that a restart may fix (lease table unreachable, no SHARD_END
    /// checkpoint, Kinesis refusing); restart after a pause.
    Failed(String),
}

pub(crate) struct ShardConsumer<P> {
    pub lease: Arc<HeldLease>,
    pub snapshot: Lease,
    pub processor: P,
    pub config: Arc<ConsumerConfig>,
    pub kinesis: aws_sdk_kinesis::Client,
    pub table: LeaseTable,
    pub consumer_arn: Option<String>,
    pub shutdown: watch::Receiver<bool>,
}

enum Step<T> {
    Go(T),
    Stop(Exit),
}

impl<P: RecordProcessor> ShardConsumer<P> {
    pub async fn run(mut self) -> Exit {
        let shard = self.snapshot.key.clone();
        if let Err(exit) = self.await_handoff().await {
            return self.finish(exit).await;
        }
        if let Err(exit) = self.wait_for_parents().await {
            return self.finish(exit).await;
        }
        if self.snapshot.is_shard_end() {
            return Exit::ShardEnded;
        }
        let mut checkpointer = Checkpointer::new(self.lease.clone(), self.snapshot.checkpoint.clone());
        self.processor
            .initialize(InitializeInput {
                shard_id: shard.clone(),
                checkpoint: self.snapshot.checkpoint.clone(),
                pending_checkpoint: self.snapshot.pending_checkpoint.clone(),
            })
            .await;
        let resume_after = match &self.snapshot.checkpoint {
            Checkpoint::At(p) => Some(p.clone()),
            _ => None,
        };
        let mut fetcher = self.fetcher();
        let lease = self.lease.clone();
        let mut shutdown = self.shutdown.clone();
        loop {
            let batch = tokio::select! {
                biased;
                _ = lease.lost() => return self.finish(Exit::LeaseLost).await,
                _ = lease.handoff_requested() => return self.finish_handoff(&mut checkpointer).await,
                _ = requested(&mut shutdown) => return self.finish_shutdown(&mut checkpointer).await,
                b = fetcher.next() => b,
            };
            let batch = match batch {
                Ok(b) => b,
                Err(e) => return Exit::Failed(format!("{e}: {}", source_chain(&e))),
            };
            if let Some(ms) = batch.millis_behind_latest {
                metrics::millis_behind(&shard, ms);
            }
            let records = user_records(batch.records, resume_after.as_ref());
            let wanted = !records.is_empty() || self.config.call_process_records_even_for_empty;
            if wanted
                && let Step::Stop(exit) = self.process(&records, batch.millis_behind_latest, &mut checkpointer).await
            {
                return self.finish(exit).await;
            }
            if self.lease.is_lost() {
                return self.finish(Exit::LeaseLost).await;
            }
            if self.lease.is_handing_off() {
                return self.finish_handoff(&mut checkpointer).await;
            }
            if let Some(children) = batch.shard_end {
                return self.end_of_shard(children, &mut checkpointer).await;
            }
        }
    }

    fn fetcher(&self) -> Fetcher {
        let start = match &self.snapshot.checkpoint {
            Checkpoint::TrimHorizon | Checkpoint::ShardEnd => StartAt::TrimHorizon,
            Checkpoint::Latest => StartAt::Latest,
            Checkpoint::AtTimestamp => match self.config.initial_position {
                InitialPosition::AtTimestamp(t) => StartAt::AtTimestamp(t),
                _ => StartAt::TrimHorizon,
            },
            Checkpoint::At(p) => StartAt::AtSequence(p.sequence_number.clone()),
        };
        let shard = &self.snapshot.key;
        match (&self.config.retrieval, &self.consumer_arn) {
            (Retrieval::FanOut { .. }, Some(arn)) => {
                Fetcher::FanOut(Box::new(FanOut::new(self.kinesis.clone(), arn, shard, start)))
            }
            (Retrieval::Polling { max_records, idle_time_between_reads }, _) => Fetcher::Polling(Polling::new(
                self.kinesis.clone(),
                &self.config.stream_name,
                shard,
                start,
                *max_records,
                *idle_time_between_reads,
            )),
            (Retrieval::FanOut { .. }, None) => {
                unreachable!("the worker registers the fan-out consumer before starting shards")
            }
        }
    }

    /// After a steal by graceful handoff, waits until the previous owner has checkpointed and
    /// let go (or the handoff timeout passed, then claims the checkpoint), and rereads the lease
    /// so processing resumes from that last checkpoint.
    async fn await_handoff(&mut self) -> Result<(), Exit> {
        let started = tokio::time::Instant::now();
        loop {
            let Some(previous) =
                self.snapshot.checkpoint_owner.clone().filter(|o| Some(o) != self.snapshot.owner.as_ref())
            else {
                return Ok(());
            };
            if started.elapsed() >= self.config.handoff_timeout() {
                tracing::warn!(shard = %self.snapshot.key, %previous, "previous owner did not hand the lease off in time; starting anyway");
                match self.lease.write(&FencedWrite::ClaimCheckpoint).await {
                    Ok(()) => return self.reread().await,
                    Err(LeaseTableError::ConditionFailed(_)) => return Err(Exit::LeaseLost),
                    // The table could not be reached: the lease is still ours until renewals
                    // say otherwise, so try again.
                    Err(e) => tracing::warn!(shard = %self.snapshot.key, error = %e, "cannot claim the checkpoint yet"),
                }
            }
            tokio::select! {
                _ = self.lease.lost() => return Err(Exit::LeaseLost),
                _ = requested(&mut self.shutdown) => return Err(Exit::Shutdown),
                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
            }
            self.reread().await?;
        }
    }

    async fn reread(&mut self) -> Result<(), Exit> {
        match self.table.get(&self.snapshot.key).await {
            Ok(Some(l)) if l.owner == self.snapshot.owner => {
                self.snapshot = l;
                Ok(())
            }
            Ok(_) => {
                // Stolen while we waited: a thief that named us its checkpointOwner waits for us
                // to let go, which we can at once (we have processed nothing), instead of after
                // its handoff timeout. The write finds out which it is.
                let _ = self.lease.write(&FencedWrite::Release).await;
                self.lease.mark_lost();
                Err(Exit::LeaseLost)
            }
            Err(e) => {
                tracing::warn!(shard = %self.snapshot.key, error = %e, "cannot reread lease during a handoff");
                Ok(())
            }
        }
    }

    /// A child starts only when each parent's lease is gone (finished and cleaned up) or at
    /// SHARD_END.
    async fn wait_for_parents(&mut self) -> Result<(), Exit> {
        for parent in self.snapshot.parent_shard_ids.clone() {
            loop {
                match self.table.get(&parent).await {
                    Ok(None) => break,
                    Ok(Some(l)) if l.is_shard_end() => break,
                    Ok(Some(_)) => {}
                    Err(e) => {
                        tracing::warn!(shard = %self.snapshot.key, %parent, error = %e, "cannot read parent lease")
                    }
                }
                tokio::select! {
                    biased;
                    _ = self.lease.lost() => return Err(Exit::LeaseLost),
                    _ = self.lease.handoff_requested() => {
                        let _ = self.lease.write(&FencedWrite::Release).await;
                        return Err(Exit::HandedOff);
                    }
                    _ = requested(&mut self.shutdown) => return Err(Exit::Shutdown),
                    _ = tokio::time::sleep(self.config.parent_poll_interval) => {}
                }
            }
        }
        Ok(())
    }

    /// Hands `records` to the processor, retrying from the failed record and applying the
    /// poison policy to a record that keeps failing.
    async fn process(&mut self, records: &[Record], millis: Option<i64>, cp: &mut Checkpointer) -> Step<()> {
        let shard = self.snapshot.key.clone();
        let policy = self.config.poison;
        let mut from = 0;
        let mut attempts = 0u32;
        let mut failing_at = usize::MAX;
        while from < records.len() || (records.is_empty() && from == 0) {
            if let Some(last) = records.last() {
                cp.delivered(last);
            }
            let input =
                ProcessRecordsInput { shard_id: &shard, records: &records[from..], millis_behind_latest: millis };
            let err = match self.processor.process_records(input, cp).await {
                Ok(()) => break,
                Err(e) => e,
            };
            metrics::shard_event(names::PROCESS_FAILURES, &shard);
            let at = (from + err.record).min(records.len().saturating_sub(1));
            attempts = if at == failing_at { attempts + 1 } else { 1 };
            failing_at = at;
            if self.lease.is_lost() || records.is_empty() {
                return Step::Go(());
            }
            if attempts < policy.max_attempts {
                tracing::warn!(%shard, record = %records[at].sequence_number, attempts, error = %err, "processing failed; retrying");
                tokio::time::sleep(policy.retry_backoff.saturating_mul(1 << (attempts - 1).min(10))).await;
                from = at;
                continue;
            }
            match policy.action {
                PoisonAction::DeadLetter => {
                    metrics::shard_event(names::DEAD_LETTERED, &shard);
                    self.config.dead_letter.send(DeadLetter {
                        shard_id: shard.clone(),
                        record: records[at].clone(),
                        error: err.to_string(),
                        attempts,
                    });
                    from = at + 1;
                    attempts = 0;
                    failing_at = usize::MAX;
                }
                PoisonAction::StopShard => {
                    metrics::shard_event(names::STOPPED_SHARDS, &shard);
                    let why = format!(
                        "record {}/{} failed {attempts} times: {err}",
                        records[at].sequence_number, records[at].sub_sequence_number
                    );
                    tracing::error!(%shard, "{why}; shard stopped (policy StopShard)");
                    return Step::Stop(Exit::Stopped(why));
                }
            }
        }
        let bytes = records.iter().map(|r| r.data.len()).sum();
        metrics::processed(&shard, records.len(), bytes);
        Step::Go(())
    }

    async fn end_of_shard(&mut self, children: Vec<aws_sdk_kinesis::types::ChildShard>, cp: &mut Checkpointer) -> Exit {
        let shard = self.snapshot.key.clone();
        let ids: Vec<String> = children.iter().map(|c| c.shard_id().to_string()).collect();
        if !ids.is_empty()
            && let Err(e) = self.lease.write(&FencedWrite::Children(ids)).await
        {
            return self.finish(if self.lease.is_lost() { Exit::LeaseLost } else { Exit::Failed(e.to_string()) }).await;
        }
        cp.reached_shard_end();
        self.processor.shard_ended(cp).await;
        if cp.last_checkpoint() == &Checkpoint::ShardEnd {
            if self.lease.is_handing_off() {
                // Stolen while finishing: let the thief see SHARD_END now, not after its timeout.
                let _ = self.lease.write(&FencedWrite::Release).await;
            }
            Exit::ShardEnded
        } else if self.lease.is_lost() {
            self.finish(Exit::LeaseLost).await
        } else {
            let why = format!("application didn't checkpoint at end of shard {shard}; its children cannot start");
            tracing::error!("{why}");
            Exit::Failed(why)
        }
    }

    /// A peer stole the lease: the processor may checkpoint (fenced on `checkpointOwner`), then
    /// we let go so the thief starts right after our last checkpoint.
    async fn finish_handoff(&mut self, cp: &mut Checkpointer) -> Exit {
        if self.lease.is_lost() {
            return self.finish(Exit::LeaseLost).await;
        }
        self.processor.shutdown_requested(cp).await;
        match self.lease.write(&FencedWrite::Release).await {
            Ok(()) => Exit::HandedOff,
            Err(_) => self.finish(Exit::LeaseLost).await,
        }
    }

    async fn finish_shutdown(&mut self, cp: &mut Checkpointer) -> Exit {
        self.processor.shutdown_requested(cp).await;
        Exit::Shutdown
    }

    /// Tells the processor about a lost lease before leaving.
    async fn finish(&mut self, exit: Exit) -> Exit {
        if exit == Exit::LeaseLost {
            self.processor.lease_lost().await;
        }
        exit
    }
}

/// Resolves once shutdown is requested (or the worker is gone).
pub(crate) async fn requested(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(&s.to_string());
        out.push_str("; ");
        cur = s.source();
    }
    out
}
