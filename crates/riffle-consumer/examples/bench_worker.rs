//! One consumer worker with a trivial processor (counts records, checkpoints after every batch),
//! for `scripts/bench-consumer.sh`. Prints JSON lines on stdout, times in ms since the Unix epoch:
//! `{"event":"start",...}` when the process starts, `{"event":"first",...}` at the first record
//! processed, `{"event":"shard_first",...}` at each shard processor's first record, and
//! `{"event":"done",...}` once EXPECTED records were processed. With `--exit` it
//! then shuts down and exits; without, it keeps its leases until SIGINT/SIGTERM (or SIGKILL).
//!
//! ```sh
//! bench_worker ENDPOINT APPLICATION STREAM WORKER_ID EXPECTED [--exit] [--failover-ms MS]
//!              [--max-records N] [--idle-ms MS]
//! ```

use riffle_consumer::{
    Checkpointer, ConsumerConfig, InitialPosition, InitializeInput, ProcessError, ProcessRecordsInput, RecordProcessor,
    Retrieval, Worker,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

struct Shared {
    expected: u64,
    count: AtomicU64,
    first_ms: AtomicU64,
    done: Notify,
}

struct Count {
    shared: Arc<Shared>,
    shard: String,
    seen: bool,
}

impl RecordProcessor for Count {
    async fn initialize(&mut self, _: InitializeInput) {}

    async fn process_records(
        &mut self,
        input: ProcessRecordsInput<'_>,
        cp: &mut Checkpointer,
    ) -> Result<(), ProcessError> {
        let n = input.records.len() as u64;
        if n > 0 {
            if !self.seen {
                self.seen = true;
                println!(r#"{{"event":"shard_first","shard":"{}","t_ms":{}}}"#, self.shard, now_ms());
            }
            let s = &self.shared;
            if s.first_ms.compare_exchange(0, now_ms(), Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                println!(r#"{{"event":"first","t_ms":{}}}"#, s.first_ms.load(Ordering::SeqCst));
            }
            let before = s.count.fetch_add(n, Ordering::SeqCst);
            if before < s.expected && before + n >= s.expected {
                s.done.notify_one();
            }
        }
        let _ = cp.checkpoint().await;
        Ok(())
    }

    async fn shard_ended(&mut self, cp: &mut Checkpointer) {
        let _ = cp.checkpoint().await;
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_worker ENDPOINT APPLICATION STREAM WORKER_ID EXPECTED [--exit] [--failover-ms MS] \
         [--max-records N] [--idle-ms MS]"
    );
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let start_ms = now_ms();
    let args: Vec<String> = std::env::args().collect();
    let [_, endpoint, app, stream, worker, expected, rest @ ..] = args.as_slice() else { usage() };
    let expected: u64 = expected.parse().unwrap_or_else(|_| usage());
    let (mut exit, mut failover_ms, mut max_records, mut idle_ms) = (false, 10_000u64, 10_000i32, 200u64);
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| usage());
        match flag.as_str() {
            "--exit" => exit = true,
            "--failover-ms" => failover_ms = value(),
            "--max-records" => max_records = i32::try_from(value()).unwrap_or_else(|_| usage()),
            "--idle-ms" => idle_ms = value(),
            _ => usage(),
        }
    }
    println!(r#"{{"event":"start","t_ms":{start_ms}}}"#);
    let shared =
        Arc::new(Shared { expected, count: AtomicU64::new(0), first_ms: AtomicU64::new(0), done: Notify::new() });
    let config = ConsumerConfig::new(app, stream)
        .worker_id(worker)
        .endpoint_url(endpoint)
        .initial_position(InitialPosition::TrimHorizon)
        .failover_time(Duration::from_millis(failover_ms))
        .retrieval(Retrieval::Polling { max_records, idle_time_between_reads: Duration::from_millis(idle_ms) });
    let for_factory = shared.clone();
    let factory = move |shard: &str| Count { shared: for_factory.clone(), shard: shard.to_string(), seen: false };
    let handle = Worker::new(config, factory).await.expect("worker starts").start();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
    let mut reported = false;
    loop {
        tokio::select! {
            _ = shared.done.notified(), if !reported => {
                reported = true;
                let done_ms = now_ms();
                let first_ms = shared.first_ms.load(Ordering::SeqCst);
                let count = shared.count.load(Ordering::SeqCst);
                println!(
                    r#"{{"event":"done","t_ms":{done_ms},"start_ms":{start_ms},"first_ms":{first_ms},"records":{count}}}"#
                );
                if exit {
                    break;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    handle.shutdown().await.expect("clean shutdown");
}
