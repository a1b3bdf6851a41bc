//! A consumer worker as its own process: prints `worker shard data` for every record and
//! checkpoints after every batch. The failover test SIGKILLs it.
//!
//! ```sh
//! print_worker ENDPOINT APPLICATION STREAM WORKER_ID [FAILOVER_MS]
//! ```

use riffle_consumer::{
    Checkpointer, ConsumerConfig, InitializeInput, ProcessError, ProcessRecordsInput, RecordProcessor, Retrieval,
    Worker,
};
use std::io::Write;
use std::time::Duration;

struct Print {
    worker: String,
    shard: String,
}

impl RecordProcessor for Print {
    async fn initialize(&mut self, _: InitializeInput) {}

    async fn process_records(
        &mut self,
        input: ProcessRecordsInput<'_>,
        cp: &mut Checkpointer,
    ) -> Result<(), ProcessError> {
        {
            let mut out = std::io::stdout().lock();
            for r in input.records {
                let _ = writeln!(out, "{} {} {}", self.worker, self.shard, String::from_utf8_lossy(&r.data));
            }
            let _ = out.flush();
        }
        let _ = cp.checkpoint().await;
        Ok(())
    }

    async fn shard_ended(&mut self, cp: &mut Checkpointer) {
        let _ = cp.checkpoint().await;
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, endpoint, app, stream, worker, rest @ ..] = args.as_slice() else {
        eprintln!("usage: print_worker ENDPOINT APPLICATION STREAM WORKER_ID [FAILOVER_MS]");
        std::process::exit(2);
    };
    let failover = rest.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let config = ConsumerConfig::new(app, stream)
        .worker_id(worker)
        .endpoint_url(endpoint)
        .failover_time(Duration::from_millis(failover))
        .taker_interval(Duration::from_millis(200))
        .retrieval(Retrieval::Polling { max_records: 1000, idle_time_between_reads: Duration::from_millis(50) });
    let id = worker.clone();
    let factory = move |shard: &str| Print { worker: id.clone(), shard: shard.to_string() };
    let handle = Worker::new(config, factory).await.expect("worker starts").start();
    tokio::signal::ctrl_c().await.expect("signal handler");
    handle.shutdown().await.expect("clean shutdown");
}
