//! The worker: one per process (or several, for tests), each with an id. It keeps the lease
//! table in step with the stream's shards, takes and steals leases toward an even spread, renews
//! the ones it holds, and runs one [`ShardConsumer`] task per held lease. Graceful shutdown asks
//! every processor to checkpoint and then releases the leases (owner removed), so peers take
//! them at their next scan instead of after the failover time.

use crate::config::{ConsumerConfig, Retrieval};
use crate::error::{LeaseTableError, WorkerError};
use crate::held::HeldLease;
use crate::lease::Lease;
use crate::lease_table::{FencedWrite, LeaseTable};
use crate::metrics::{self, names};
use crate::processor::ProcessorFactory;
use crate::retrieval::ensure_consumer;
use crate::shard_consumer::{Exit, ShardConsumer, requested};
use crate::taker::{self, ExpiryTracker, Limits, View};
use crate::{clients, shard_sync};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

type Held = Arc<Mutex<HashMap<String, Arc<HeldLease>>>>;

/// After taking a lease, the next scan comes this soon: a worker joining a busy group reaches
/// its share in a few quick steps instead of one lease per scan interval.
const RESCAN_AFTER_TAKING: Duration = Duration::from_millis(500);

/// A configured worker, not yet running.
pub struct Worker<F: ProcessorFactory> {
    config: Arc<ConsumerConfig>,
    factory: Arc<F>,
    kinesis: aws_sdk_kinesis::Client,
    table: LeaseTable,
}

impl<F: ProcessorFactory> std::fmt::Debug for Worker<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("worker_id", &self.config.worker_id).finish()
    }
}

/// A running worker.
#[derive(Debug)]
pub struct WorkerHandle {
    worker_id: String,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), WorkerError>>,
    held: Held,
}

impl<F: ProcessorFactory> Worker<F> {
    /// Builds the Kinesis and DynamoDB clients from the standard AWS chain (credentials,
    /// region), pointed at the configured endpoint if any.
    pub async fn new(config: ConsumerConfig, factory: F) -> Result<Self, WorkerError> {
        let (kinesis, dynamodb) = clients::from_environment(&config).await;
        Self::with_clients(config, factory, kinesis, dynamodb)
    }

    /// Uses clients the caller built.
    pub fn with_clients(
        config: ConsumerConfig,
        factory: F,
        kinesis: aws_sdk_kinesis::Client,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self, WorkerError> {
        config.validate().map_err(WorkerError::Config)?;
        let table = LeaseTable::new(dynamodb, config.lease_table_name.clone());
        Ok(Self { config: Arc::new(config), factory: Arc::new(factory), kinesis, table })
    }

    /// Starts the worker on the current Tokio runtime.
    pub fn start(self) -> WorkerHandle {
        let (shutdown, rx) = watch::channel(false);
        let held: Held = Arc::default();
        let worker_id = self.config.worker_id.clone();
        let core = Core {
            id: Arc::from(self.config.worker_id.as_str()),
            config: self.config,
            factory: self.factory,
            kinesis: self.kinesis,
            table: self.table,
            held: held.clone(),
            running: HashMap::new(),
            tasks: JoinSet::new(),
            tracker: ExpiryTracker::default(),
            retry_at: HashMap::new(),
            stopped: HashSet::new(),
            consumer_arn: None,
            last_sync: None,
            missing: shard_sync::Missing::new(),
            next_expiry: None,
        };
        WorkerHandle { worker_id, shutdown, held, task: tokio::spawn(core.run(rx)) }
    }
}

impl WorkerHandle {
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The shards whose leases this worker holds now.
    pub fn held_leases(&self) -> Vec<String> {
        let mut v: Vec<String> = self.held.lock().keys().cloned().collect();
        v.sort();
        v
    }

    /// Graceful shutdown: processors get `shutdown_requested` (and may checkpoint), then the
    /// leases are released for peers to take at once.
    pub async fn shutdown(self) -> Result<(), WorkerError> {
        self.shutdown.send_replace(true);
        self.task.await.unwrap_or(Ok(()))
    }

    /// Stops at once, as a crash would: nothing is checkpointed or released, so peers take the
    /// leases only after the failover time.
    pub fn abort(self) {
        self.task.abort();
    }

    /// Waits for the worker to stop by itself (it only does so on a startup error).
    pub async fn join(self) -> Result<(), WorkerError> {
        self.task.await.unwrap_or(Ok(()))
    }
}

/// Aborts the task when dropped, so aborting the worker stops its renewer too.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Core<F: ProcessorFactory> {
    id: Arc<str>,
    config: Arc<ConsumerConfig>,
    factory: Arc<F>,
    kinesis: aws_sdk_kinesis::Client,
    table: LeaseTable,
    held: Held,
    /// Shards with a consumer task, and the switch that asks it to shut down.
    running: HashMap<String, watch::Sender<bool>>,
    tasks: JoinSet<(String, Exit)>,
    tracker: ExpiryTracker,
    retry_at: HashMap<String, Instant>,
    stopped: HashSet<String>,
    consumer_arn: Option<String>,
    last_sync: Option<Instant>,
    /// Leases whose shard the stream did not list, since when (deleted once that is long ago).
    missing: shard_sync::Missing,
    /// When a peer's lease will expire by our scans' count, or a quick rescan after taking one:
    /// a scan is due then.
    next_expiry: Option<tokio::time::Instant>,
}

impl<F: ProcessorFactory> Core<F> {
    async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), WorkerError> {
        self.table.ensure_exists().await?;
        if let Retrieval::FanOut { consumer_name } = &self.config.retrieval {
            self.consumer_arn = Some(ensure_consumer(&self.kinesis, &self.config.stream_name, consumer_name).await?);
        }
        let _renewer = AbortOnDrop(tokio::spawn(renew_loop(self.held.clone(), self.config.clone())));
        let mut tick = tokio::time::interval(self.config.take_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = requested(&mut shutdown) => break,
                Some(done) = self.tasks.join_next() => {
                    let (key, exit) = done.unwrap_or_else(|e| (String::new(), Exit::Failed(format!("processor panicked: {e}"))));
                    self.on_exit(key, exit).await;
                }
                _ = tick.tick() => self.cycle().await,
                _ = sleep_until(self.next_expiry) => self.cycle().await,
            }
        }
        self.graceful_shutdown().await;
        Ok(())
    }

    /// One scan: sync shards when due, take leases, start consumers for held leases.
    async fn cycle(&mut self) {
        let due = self.last_sync.is_none_or(|t| t.elapsed() >= self.config.shard_sync_interval);
        if due {
            self.sync().await;
        }
        if let Err(e) = self.take().await {
            tracing::warn!(worker = %self.id, error = %e, "lease taking failed; will retry");
        }
        self.start_consumers().await;
    }

    async fn sync(&mut self) {
        let c = &self.config;
        match shard_sync::sync(
            &self.kinesis,
            &self.table,
            &c.stream_name,
            c.initial_position,
            &mut self.missing,
            c.vanished_lease_age(),
        )
        .await
        {
            Ok(report) => {
                self.last_sync = Some(Instant::now());
                if !report.created.is_empty() || !report.deleted.is_empty() {
                    tracing::info!(worker = %self.id, created = ?report.created, deleted = ?report.deleted, "shard sync");
                }
            }
            Err(e) => tracing::warn!(worker = %self.id, error = %e, "shard sync failed; will retry"),
        }
    }

    async fn take(&mut self) -> Result<(), LeaseTableError> {
        // A failed scan must not leave a past deadline behind: that would rescan in a hot loop.
        self.next_expiry = None;
        let leases = self.table.list().await?;
        let now = Instant::now();
        self.tracker.observe(&leases, now);
        self.next_expiry = self
            .tracker
            .next_expiry(&leases, &self.id, now, self.config.failover_time)
            .map(tokio::time::Instant::from_std);
        let lost: Vec<String> = self.held.lock().iter().filter(|(_, l)| l.is_lost()).map(|(k, _)| k.clone()).collect();
        for key in lost {
            self.drop_lease(&key, true);
        }
        // A handoff asked of a lease with no processor running: nothing to checkpoint, let go.
        let idle: Vec<Arc<HeldLease>> = self
            .held
            .lock()
            .values()
            .filter(|l| l.is_handing_off() && !self.running.contains_key(&l.key))
            .cloned()
            .collect();
        for lease in idle {
            let _ = lease.write(&FencedWrite::Release).await;
            self.drop_lease(&lease.key, true);
        }
        let failover = self.config.failover_time;
        let views: Vec<View> = leases
            .iter()
            .filter(|l| !l.is_shard_end())
            .map(|l| View {
                key: l.key.clone(),
                owner: l.owner.clone(),
                expired: self.tracker.is_expired(l, now, failover),
            })
            .collect();
        let held: HashSet<String> =
            self.held.lock().iter().filter(|(_, l)| !l.is_handing_off()).map(|(k, _)| k.clone()).collect();
        let limits = Limits {
            max_leases_for_worker: self.config.max_leases_for_worker,
            max_leases_to_steal: self.config.max_leases_to_steal,
        };
        let plan = taker::plan(&self.id, &views, &held, limits, &mut rand::rng());
        let by_key: HashMap<&str, &Lease> = leases.iter().map(|l| (l.key.as_str(), l)).collect();
        for key in plan.into_iter().filter(|k| !self.running.contains_key(k)) {
            let seen = by_key[key.as_str()];
            let stolen =
                seen.owner.as_deref().is_some_and(|o| o != &*self.id) && !self.tracker.is_expired(seen, now, failover);
            let handoff_from = seen.owner.as_deref().filter(|_| stolen && self.config.graceful_lease_handoff);
            match self.table.take_from(seen, &self.id, handoff_from).await {
                Ok(counter) => {
                    tracing::info!(worker = %self.id, shard = %key, from = ?seen.owner, stolen, "took lease");
                    metrics::worker_count(if stolen { names::STOLEN_LEASES } else { names::TAKEN_LEASES }, &self.id, 1);
                    let lease = HeldLease::new(key.clone(), self.id.clone(), self.table.clone(), counter);
                    self.held.lock().insert(key, lease);
                    // Balancing goes on from a fresh view soon rather than a scan interval later
                    // (each scan steals at most a few, from whoever is most loaded then).
                    let soon = tokio::time::Instant::now() + RESCAN_AFTER_TAKING;
                    self.next_expiry = Some(self.next_expiry.map_or(soon, |at| at.min(soon)));
                }
                Err(LeaseTableError::ConditionFailed(_)) => {}
                Err(e) => tracing::warn!(worker = %self.id, shard = %key, error = %e, "taking lease failed"),
            }
        }
        metrics::current_leases(&self.id, self.held.lock().len());
        Ok(())
    }

    async fn start_consumers(&mut self) {
        let now = Instant::now();
        let idle: Vec<Arc<HeldLease>> = self
            .held
            .lock()
            .values()
            .filter(|l| !self.running.contains_key(&l.key) && !self.stopped.contains(&l.key))
            .filter(|l| self.retry_at.get(&l.key).is_none_or(|t| *t <= now))
            .cloned()
            .collect();
        for lease in idle {
            let snapshot = match self.table.get(&lease.key).await {
                Ok(Some(s)) if s.owner.as_deref() == Some(&*self.id) => s,
                Ok(_) => {
                    lease.mark_lost();
                    self.drop_lease(&lease.key, true);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(shard = %lease.key, error = %e, "cannot read lease to start its consumer");
                    continue;
                }
            };
            let (tx, rx) = watch::channel(false);
            let consumer = ShardConsumer {
                processor: self.factory.create(&lease.key),
                lease: lease.clone(),
                snapshot,
                config: self.config.clone(),
                kinesis: self.kinesis.clone(),
                table: self.table.clone(),
                consumer_arn: self.consumer_arn.clone(),
                shutdown: rx,
            };
            let key = lease.key.clone();
            self.running.insert(key.clone(), tx);
            self.tasks.spawn(async move { (key, consumer.run().await) });
        }
    }

    async fn on_exit(&mut self, key: String, exit: Exit) {
        self.running.remove(&key);
        match exit {
            Exit::ShardEnded => {
                // Finished: stop renewing, create the children now and pick them up.
                self.held.lock().remove(&key);
                self.sync().await;
                self.cycle().await;
            }
            Exit::LeaseLost | Exit::HandedOff => self.drop_lease(&key, true),
            Exit::Shutdown => {}
            Exit::Stopped(_) => {
                self.stopped.insert(key);
            }
            Exit::Failed(why) => {
                tracing::warn!(worker = %self.id, shard = %key, %why, "shard consumer failed; restarting after a pause");
                self.retry_at.insert(key, Instant::now() + Duration::from_secs(1));
            }
        }
    }

    fn drop_lease(&mut self, key: &str, lost: bool) {
        if self.held.lock().remove(key).is_some() && lost {
            tracing::info!(worker = %self.id, shard = %key, "lease lost");
            metrics::worker_count(names::LOST_LEASES, &self.id, 1);
        }
        self.retry_at.remove(key);
        self.stopped.remove(key);
    }

    async fn graceful_shutdown(&mut self) {
        for tx in self.running.values() {
            tx.send_replace(true);
        }
        let drain = async {
            while let Some(done) = self.tasks.join_next().await {
                // Leases finished, handed off or lost are not ours to release.
                if let Ok((key, Exit::ShardEnded | Exit::HandedOff | Exit::LeaseLost)) = done {
                    self.held.lock().remove(&key);
                }
            }
        };
        if tokio::time::timeout(self.config.graceful_shutdown_timeout, drain).await.is_err() {
            tracing::warn!(worker = %self.id, "processors did not finish within the graceful shutdown timeout");
            self.tasks.abort_all();
        }
        let held: Vec<Arc<HeldLease>> = self.held.lock().drain().map(|(_, l)| l).collect();
        for lease in held.iter().filter(|l| !l.is_lost()) {
            if let Err(e) = lease.write(&FencedWrite::Release).await {
                tracing::warn!(shard = %lease.key, error = %e, "could not release lease; peers take it after failover");
            }
        }
        metrics::current_leases(&self.id, 0);
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Renews every held lease every `failover / 3`, all at once so one slow call does not delay
/// the others past the failover time.
async fn renew_loop(held: Held, config: Arc<ConsumerConfig>) {
    let mut tick = tokio::time::interval(config.renew_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let leases: Vec<Arc<HeldLease>> = held.lock().values().cloned().collect();
        let mut calls = JoinSet::new();
        for lease in leases {
            let failover = config.failover_time;
            calls.spawn(async move {
                if let Err(e) = lease.renew(failover).await
                    && !lease.is_lost()
                {
                    tracing::warn!(shard = %lease.key, error = %e, "lease renewal failed");
                }
            });
        }
        while calls.join_next().await.is_some() {}
    }
}
