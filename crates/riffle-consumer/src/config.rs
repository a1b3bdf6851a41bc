//! Consumer settings, named and defaulted as the KCL names them where it has them
//! (kinesis-spec §5.2–5.8). A few defaults are deliberately quicker than the KCL's, because its
//! users complain of slow balancing and stuck resharding: the lease taker scans every
//! `failover_time / 2` instead of every `2 × failover_time`, and children poll their parents
//! every second instead of every ten.

use crate::poison::{DeadLetterSink, PoisonPolicy};
use crate::position::InitialPosition;
use std::time::Duration;

/// How records are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retrieval {
    /// GetRecords in a loop.
    Polling {
        /// Records per GetRecords call (1..=10000).
        max_records: i32,
        /// Pause after a call that returned nothing (the KCL's idleTimeBetweenReadsInMillis).
        idle_time_between_reads: Duration,
    },
    /// Enhanced fan-out: SubscribeToShard under a registered consumer (registered if missing).
    FanOut { consumer_name: String },
}

impl Retrieval {
    /// Polling with the KCL's defaults (10000 records, 1.5 s idle).
    pub fn polling() -> Self {
        Self::Polling { max_records: 10_000, idle_time_between_reads: Duration::from_millis(1500) }
    }
}

/// Everything a [`crate::Worker`] needs to know.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub(crate) application_name: String,
    pub(crate) stream_name: String,
    pub(crate) worker_id: String,
    pub(crate) lease_table_name: String,
    pub(crate) failover_time: Duration,
    pub(crate) taker_interval: Option<Duration>,
    pub(crate) shard_sync_interval: Duration,
    pub(crate) parent_poll_interval: Duration,
    pub(crate) initial_position: InitialPosition,
    pub(crate) retrieval: Retrieval,
    pub(crate) max_leases_for_worker: usize,
    pub(crate) max_leases_to_steal: usize,
    pub(crate) call_process_records_even_for_empty: bool,
    pub(crate) poison: PoisonPolicy,
    pub(crate) dead_letter: DeadLetterSink,
    pub(crate) graceful_shutdown_timeout: Duration,
    pub(crate) graceful_lease_handoff: bool,
    pub(crate) graceful_lease_handoff_timeout: Option<Duration>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) region: Option<String>,
}

impl ConsumerConfig {
    /// Defaults: lease table named after the application, a random worker id, failover 10 s,
    /// TRIM_HORIZON, polling, no lease cap, steal one at a time, shard sync every 60 s.
    pub fn new(application_name: impl Into<String>, stream_name: impl Into<String>) -> Self {
        let application_name = application_name.into();
        Self {
            lease_table_name: application_name.clone(),
            application_name,
            stream_name: stream_name.into(),
            worker_id: format!("{}-{:016x}", std::process::id(), rand::random::<u64>()),
            failover_time: Duration::from_millis(10_000),
            taker_interval: None,
            shard_sync_interval: Duration::from_millis(60_000),
            parent_poll_interval: Duration::from_millis(1000),
            initial_position: InitialPosition::TrimHorizon,
            retrieval: Retrieval::polling(),
            max_leases_for_worker: usize::MAX,
            max_leases_to_steal: 1,
            call_process_records_even_for_empty: false,
            poison: PoisonPolicy::default(),
            dead_letter: DeadLetterSink::log(),
            graceful_shutdown_timeout: Duration::from_secs(30),
            graceful_lease_handoff: true,
            graceful_lease_handoff_timeout: None,
            endpoint_url: None,
            region: None,
        }
    }

    pub fn application_name(&self) -> &str {
        &self.application_name
    }

    /// This worker's id in the lease table's `leaseOwner`.
    pub fn worker_identifier(&self) -> &str {
        &self.worker_id
    }

    pub fn worker_id(mut self, id: impl Into<String>) -> Self {
        self.worker_id = id.into();
        self
    }

    pub fn lease_table_name(mut self, name: impl Into<String>) -> Self {
        self.lease_table_name = name.into();
        self
    }

    /// How long a lease may go unrenewed before others take it (default 10 s). Renewal runs
    /// every third of it.
    pub fn failover_time(mut self, d: Duration) -> Self {
        self.failover_time = d;
        self
    }

    /// Steal leases by graceful handoff (default on, as in KCL 3): the worker losing a lease to a
    /// live peer gets `shutdown_requested` and may checkpoint before the thief starts, so no
    /// record is processed twice. Off: the thief starts at once from the last checkpoint and the
    /// loser stops at its next renewal (the KCL 2 behaviour, with that window of duplicates).
    pub fn graceful_lease_handoff(mut self, on: bool) -> Self {
        self.graceful_lease_handoff = on;
        self
    }

    /// How long a thief waits for the previous owner to finish a handoff before it starts
    /// anyway (default: the failover time — a live owner notices at its next renewal, within a
    /// third of it, and then still finishes its batch and checkpoints; a dead one costs this).
    pub fn graceful_lease_handoff_timeout(mut self, d: Duration) -> Self {
        self.graceful_lease_handoff_timeout = Some(d);
        self
    }

    /// How often to scan the lease table to take and steal (default failover / 2).
    pub fn taker_interval(mut self, d: Duration) -> Self {
        self.taker_interval = Some(d);
        self
    }

    pub fn shard_sync_interval(mut self, d: Duration) -> Self {
        self.shard_sync_interval = d;
        self
    }

    /// How often a child shard checks whether its parents are done (default 1 s).
    pub fn parent_poll_interval(mut self, d: Duration) -> Self {
        self.parent_poll_interval = d;
        self
    }

    pub fn initial_position(mut self, p: InitialPosition) -> Self {
        self.initial_position = p;
        self
    }

    pub fn retrieval(mut self, r: Retrieval) -> Self {
        self.retrieval = r;
        self
    }

    pub fn max_leases_for_worker(mut self, n: usize) -> Self {
        self.max_leases_for_worker = n;
        self
    }

    pub fn max_leases_to_steal_at_one_time(mut self, n: usize) -> Self {
        self.max_leases_to_steal = n;
        self
    }

    pub fn call_process_records_even_for_empty_list(mut self, yes: bool) -> Self {
        self.call_process_records_even_for_empty = yes;
        self
    }

    pub fn poison_policy(mut self, p: PoisonPolicy) -> Self {
        self.poison = p;
        self
    }

    pub fn dead_letter_sink(mut self, sink: DeadLetterSink) -> Self {
        self.dead_letter = sink;
        self
    }

    /// How long graceful shutdown waits for processors before releasing leases anyway.
    pub fn graceful_shutdown_timeout(mut self, d: Duration) -> Self {
        self.graceful_shutdown_timeout = d;
        self
    }

    /// One endpoint for both Kinesis and DynamoDB (e.g. `riffle serve`'s).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    pub(crate) fn renew_interval(&self) -> Duration {
        (self.failover_time / 3).saturating_sub(Duration::from_millis(25)).max(Duration::from_millis(10))
    }

    /// How long a lease must stay without a shard in the listing before a sync deletes it: at
    /// least a sync interval (and the failover time), so a shard created during one sync is
    /// listed by the next long before.
    pub(crate) fn vanished_lease_age(&self) -> Duration {
        self.shard_sync_interval.max(self.failover_time)
    }

    pub(crate) fn handoff_timeout(&self) -> Duration {
        self.graceful_lease_handoff_timeout.unwrap_or(self.failover_time)
    }

    pub(crate) fn take_interval(&self) -> Duration {
        self.taker_interval.unwrap_or(self.failover_time / 2)
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.failover_time < Duration::from_millis(100) {
            return Err(format!("failover_time must be at least 100 ms, got {:?}", self.failover_time));
        }
        if let Retrieval::Polling { max_records, .. } = self.retrieval
            && !(1..=10_000).contains(&max_records)
        {
            return Err(format!("max_records must be 1..=10000, got {max_records}"));
        }
        if self.poison.max_attempts == 0 {
            return Err("poison max_attempts must be at least 1".into());
        }
        if self.max_leases_for_worker == 0 || self.max_leases_to_steal == 0 {
            return Err("max_leases_for_worker and max_leases_to_steal_at_one_time must be at least 1".into());
        }
        Ok(())
    }
}
