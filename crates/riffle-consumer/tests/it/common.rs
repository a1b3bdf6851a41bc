//! Shared fixtures: a recording processor, short-timed configurations, writers and waits.

use parking_lot::Mutex;
use riffle_consumer::{
    Checkpoint, CheckpointError, Checkpointer, ConsumerConfig, InitializeInput, Lease, LeaseTable, ProcessError,
    ProcessRecordsInput, RecordProcessor, Retrieval, Worker, WorkerHandle,
};
use riffle_testkit::{TestServer, create_active_stream, dynamodb_client, kinesis_client};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What processors did, in the order they did it, across all workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Init { worker: String, shard: String, checkpoint: Checkpoint },
    Record { worker: String, shard: String, key: String, data: String, seq: String, sub: u64 },
    Checkpointed { worker: String, shard: String, result: Result<(), String> },
    Ended { worker: String, shard: String },
    Lost { worker: String, shard: String },
    Shutdown { worker: String, shard: String },
}

#[derive(Debug, Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<Event>>>);

impl Log {
    pub fn push(&self, e: Event) {
        self.0.lock().push(e);
    }

    pub fn events(&self) -> Vec<Event> {
        self.0.lock().clone()
    }

    /// Distinct record payloads seen.
    pub fn data(&self) -> std::collections::HashSet<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Record { data, .. } => Some(data),
                _ => None,
            })
            .collect()
    }
}

/// Logs everything and checkpoints after every batch. Data `poison` fails.
#[derive(Debug)]
pub struct Recorder {
    pub worker: String,
    pub shard: String,
    pub log: Log,
}

impl RecordProcessor for Recorder {
    async fn initialize(&mut self, input: InitializeInput) {
        self.log.push(Event::Init {
            worker: self.worker.clone(),
            shard: self.shard.clone(),
            checkpoint: input.checkpoint,
        });
    }

    async fn process_records(
        &mut self,
        input: ProcessRecordsInput<'_>,
        cp: &mut Checkpointer,
    ) -> Result<(), ProcessError> {
        for (i, r) in input.records.iter().enumerate() {
            let data = String::from_utf8_lossy(&r.data).to_string();
            if data == "poison" {
                self.log.push(self.record_event(r, data));
                return Err(ProcessError::at(i, "cannot digest poison"));
            }
            self.log.push(self.record_event(r, data));
        }
        let result = cp.checkpoint().await;
        self.log_checkpoint(result);
        Ok(())
    }

    async fn lease_lost(&mut self) {
        self.log.push(Event::Lost { worker: self.worker.clone(), shard: self.shard.clone() });
    }

    async fn shard_ended(&mut self, cp: &mut Checkpointer) {
        let result = cp.checkpoint().await;
        self.log_checkpoint(result);
        self.log.push(Event::Ended { worker: self.worker.clone(), shard: self.shard.clone() });
    }

    async fn shutdown_requested(&mut self, cp: &mut Checkpointer) {
        let result = cp.checkpoint().await;
        self.log_checkpoint(result);
        self.log.push(Event::Shutdown { worker: self.worker.clone(), shard: self.shard.clone() });
    }
}

impl Recorder {
    fn record_event(&self, r: &riffle_consumer::Record, data: String) -> Event {
        Event::Record {
            worker: self.worker.clone(),
            shard: self.shard.clone(),
            key: r.partition_key.clone(),
            data,
            seq: r.sequence_number.clone(),
            sub: r.sub_sequence_number,
        }
    }

    fn log_checkpoint(&self, result: Result<(), CheckpointError>) {
        let result = result.map_err(|e| e.to_string());
        self.log.push(Event::Checkpointed { worker: self.worker.clone(), shard: self.shard.clone(), result });
    }
}

/// Short timings: failover 1.5 s, scans every 200 ms.
pub fn config(app: &str, stream: &str, worker: &str) -> ConsumerConfig {
    ConsumerConfig::new(app, stream)
        .worker_id(worker)
        .failover_time(Duration::from_millis(1500))
        .taker_interval(Duration::from_millis(200))
        .shard_sync_interval(Duration::from_millis(1000))
        .parent_poll_interval(Duration::from_millis(100))
        .retrieval(Retrieval::Polling { max_records: 1000, idle_time_between_reads: Duration::from_millis(50) })
}

pub async fn start(server: &TestServer, config: ConsumerConfig, log: &Log) -> WorkerHandle {
    let worker = config.worker_identifier().to_string();
    let log = log.clone();
    let factory = move |shard: &str| Recorder { worker: worker.clone(), shard: shard.to_string(), log: log.clone() };
    start_with(server, config, factory).await
}

pub async fn start_with<F: riffle_consumer::ProcessorFactory>(
    server: &TestServer,
    config: ConsumerConfig,
    factory: F,
) -> WorkerHandle {
    let ep = server.endpoint();
    Worker::with_clients(config, factory, kinesis_client(&ep).await, dynamodb_client(&ep))
        .expect("valid config")
        .start()
}

pub async fn stream(server: &TestServer, name: &str, shards: i32) -> aws_sdk_kinesis::Client {
    let client = server.client().await;
    create_active_stream(&client, name, shards).await;
    client
}

/// Writes `key:i` for i in `range`, each with partition key `key`, in order.
pub async fn put(client: &aws_sdk_kinesis::Client, stream: &str, keys: &[String], range: std::ops::Range<u32>) {
    for i in range {
        for k in keys {
            client
                .put_record()
                .stream_name(stream)
                .partition_key(k)
                .data(aws_sdk_kinesis::primitives::Blob::new(format!("{k}:{i}")))
                .send()
                .await
                .expect("put_record");
        }
    }
}

pub fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("key-{i}")).collect()
}

pub fn leases(server: &TestServer, app: &str) -> LeaseTable {
    LeaseTable::new(dynamodb_client(&server.endpoint()), app)
}

/// Polls `check` until it returns true or `deadline` passes (then panics with `what`).
pub async fn wait_until<F, Fut>(what: &str, deadline: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {deadline:?} waiting for {what}");
}

/// Per-owner counts of the leases that still have work (not SHARD_END).
pub async fn owners(table: &LeaseTable) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for l in table.list().await.unwrap_or_default().iter().filter(|l: &&Lease| !l.is_shard_end()) {
        *counts.entry(l.owner.clone().unwrap_or_else(|| "<none>".into())).or_default() += 1;
    }
    counts
}

pub const LONG: Duration = Duration::from_secs(60);
