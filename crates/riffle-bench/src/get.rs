//! The read workload: a catch-up read of every shard from TRIM_HORIZON, C shards at a time. A
//! shard is done when a page comes back empty with MillisBehindLatest 0, or without a
//! NextShardIterator (closed shard fully read). Throttling is expected from real services and
//! strict emulators: it is counted and retried after a short pause, never fatal.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::client::KinesisClient;
use crate::config::GetConfig;
use crate::report::{self, ErrorCounts, ErrorSamples, GetReport, LatencySummary, count_error, merge_errors};
use crate::wire::{self, Op};
use crate::{BenchError, CallError, setup};

/// AWS allows 5 GetRecords per second per shard; a pause of this order lets the window pass.
const THROTTLE_BACKOFF: Duration = Duration::from_millis(200);

/// How reading one shard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShardEnd {
    Completed,
    Failed,
    OutOfTime,
}

struct ReadStats {
    calls: u64,
    throttled: u64,
    records: u64,
    bytes: u64,
    completed: usize,
    failed: usize,
    truncated: bool,
    errors: ErrorCounts,
    samples: ErrorSamples,
    latency: Histogram<u64>,
}

impl ReadStats {
    fn new() -> Self {
        ReadStats {
            calls: 0,
            throttled: 0,
            records: 0,
            bytes: 0,
            completed: 0,
            failed: 0,
            truncated: false,
            errors: ErrorCounts::new(),
            samples: ErrorSamples::new(),
            latency: report::new_histogram(),
        }
    }

    fn merge(&mut self, o: ReadStats) {
        self.calls += o.calls;
        self.throttled += o.throttled;
        self.records += o.records;
        self.bytes += o.bytes;
        self.completed += o.completed;
        self.failed += o.failed;
        self.truncated |= o.truncated;
        merge_errors((&mut self.errors, &mut self.samples), (o.errors, o.samples));
        self.latency.add(&o.latency).expect("histograms share bounds");
    }

    fn error(&mut self, e: &CallError) {
        count_error(&mut self.errors, &mut self.samples, e);
    }
}

/// Shared by the workers of one run.
struct Job {
    client: KinesisClient,
    cfg: GetConfig,
    shards: Vec<String>,
    next_shard: AtomicUsize,
    deadline: Instant,
}

async fn read_shard(job: &Job, shard_id: &str, st: &mut ReadStats) -> ShardEnd {
    let body = wire::trim_horizon_iterator_body(&job.cfg.stream, shard_id);
    let mut iterator = loop {
        if Instant::now() >= job.deadline {
            return ShardEnd::OutOfTime;
        }
        match job.client.call(Op::GetShardIterator, body.clone()).await {
            Ok(b) => match wire::shard_iterator(&b) {
                Ok(it) => break it,
                Err(e) => {
                    st.error(&e);
                    return ShardEnd::Failed;
                }
            },
            Err(e) if e.is_throttle() => {
                st.throttled += 1;
                tokio::time::sleep(THROTTLE_BACKOFF).await;
            }
            Err(e) => {
                st.error(&e);
                return ShardEnd::Failed;
            }
        }
    };
    loop {
        if Instant::now() >= job.deadline {
            return ShardEnd::OutOfTime;
        }
        let body = wire::get_records_body(&iterator, job.cfg.limit);
        let started = Instant::now();
        let result = job.client.call(Op::GetRecords, body).await;
        if !matches!(result, Err(CallError::Transport(_))) {
            report::record_latency(&mut st.latency, started.elapsed());
        }
        let page = match result.and_then(|b| wire::records_page(&b)) {
            Ok(p) => p,
            Err(e) if e.is_throttle() => {
                st.throttled += 1;
                tokio::time::sleep(THROTTLE_BACKOFF).await;
                continue;
            }
            Err(e) => {
                st.error(&e);
                return ShardEnd::Failed;
            }
        };
        st.calls += 1;
        st.records += page.records;
        st.bytes += page.bytes;
        let caught_up = page.records == 0 && page.millis_behind == 0;
        match page.next_iterator {
            Some(next) if !caught_up => iterator = next,
            _ => return ShardEnd::Completed,
        }
    }
}

async fn worker(job: Arc<Job>) -> ReadStats {
    let mut st = ReadStats::new();
    loop {
        let i = job.next_shard.fetch_add(1, Ordering::Relaxed);
        let Some(shard_id) = job.shards.get(i) else {
            break;
        };
        match read_shard(&job, shard_id, &mut st).await {
            ShardEnd::Completed => st.completed += 1,
            ShardEnd::Failed => st.failed += 1,
            ShardEnd::OutOfTime => {
                st.truncated = true;
                break;
            }
        }
    }
    st
}

/// Runs the catch-up read to completion (or --max-secs) and reports.
pub(crate) async fn run(cfg: GetConfig) -> Result<GetReport, BenchError> {
    let client = KinesisClient::new(&cfg.endpoint, cfg.concurrency);
    let shards = setup::list_shards(&client, &cfg.stream).await?;
    let started = Instant::now();
    let workers = cfg.concurrency.min(shards.len());
    let job = Arc::new(Job { client, deadline: started + cfg.max_time, cfg, shards, next_shard: AtomicUsize::new(0) });
    let handles: Vec<_> = (0..workers).map(|_| tokio::spawn(worker(job.clone()))).collect();
    let mut total = ReadStats::new();
    for h in handles {
        match h.await {
            Ok(s) => total.merge(s),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(GetReport {
        endpoint: job.cfg.endpoint.to_string(),
        stream: job.cfg.stream.clone(),
        concurrency: job.cfg.concurrency,
        limit: job.cfg.limit,
        shards: job.shards.len(),
        shards_completed: total.completed,
        shards_failed: total.failed,
        truncated: total.truncated,
        elapsed_secs: elapsed,
        calls: total.calls,
        throttled: total.throttled,
        records: total.records,
        bytes: total.bytes,
        records_per_sec: report::rate(total.records, elapsed),
        mb_per_sec: report::rate(total.bytes, elapsed) / 1e6,
        latency: LatencySummary::from_histogram(&total.latency),
        errors: total.errors,
        error_samples: total.samples,
    })
}
