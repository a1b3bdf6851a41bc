//! The write workload: C workers, each a closed loop with one request in flight on its own
//! keep-alive connection. Bodies are encoded before the clock starts and reused, so the tool
//! spends its CPU on the transport rather than on JSON and base64 (it shares the machine with
//! the server under test).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use rand::Rng;

use crate::client::KinesisClient;
use crate::config::{PutConfig, StopAt};
use crate::report::{self, ErrorCounts, ErrorSamples, LatencySummary, PutReport, count_error, merge_errors};
use crate::wire::{self, Op, RecordSpec};
use crate::{BenchError, CallError, setup};

/// Budget for pre-encoded bodies; beyond it, fewer distinct bodies are cycled.
const POOL_BYTES: usize = 64 * 1024 * 1024;
/// Distinct partition keys to aim for, so that even 256+ shards all receive traffic.
const TARGET_KEYS: usize = 8192;
/// Pause after a transport error so a dead endpoint does not turn into a busy loop.
const TRANSPORT_BACKOFF: Duration = Duration::from_millis(50);

/// Random partition keys (16 hex digits: MD5 spreads them uniformly over the hash space) and
/// random data, so compressing or deduplicating peers get no unfair help.
pub(crate) fn random_records(rng: &mut impl Rng, n: usize, record_size: usize) -> Vec<RecordSpec> {
    (0..n)
        .map(|_| {
            let mut data = vec![0u8; record_size];
            rng.fill_bytes(&mut data);
            RecordSpec { partition_key: format!("{:016x}", rng.random::<u64>()), data }
        })
        .collect()
}

fn encode_batch(stream: &str, records: &[RecordSpec]) -> Bytes {
    match records {
        [one] => wire::put_record_body(stream, one),
        many => wire::put_records_body(stream, many),
    }
}

/// How many distinct full-batch bodies to pre-encode: enough for [`TARGET_KEYS`] keys, within
/// [`POOL_BYTES`], and always at least two.
pub(crate) fn pool_size(batch: usize, body_len: usize) -> usize {
    let wanted = TARGET_KEYS.div_ceil(batch).max(16);
    let affordable = (POOL_BYTES / body_len.max(1)).max(2);
    wanted.min(affordable)
}

fn build_pool(cfg: &PutConfig) -> Vec<Bytes> {
    let mut rng = rand::rng();
    let first = encode_batch(&cfg.stream, &random_records(&mut rng, cfg.batch, cfg.record_size));
    let n = pool_size(cfg.batch, first.len());
    let mut pool = Vec::with_capacity(n);
    pool.push(first);
    while pool.len() < n {
        let recs = random_records(&mut rng, cfg.batch, cfg.record_size);
        pool.push(encode_batch(&cfg.stream, &recs));
    }
    pool
}

/// Hands out work: a batch size per request until time or the record budget runs out.
enum Plan {
    Until(Instant),
    Remaining(AtomicU64),
}

impl Plan {
    /// Records for the next request, 0 when the run is over.
    fn claim(&self, batch: usize) -> usize {
        match self {
            Plan::Until(deadline) => {
                if Instant::now() < *deadline {
                    batch
                } else {
                    0
                }
            }
            Plan::Remaining(left) => {
                let want = batch as u64;
                match left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| (l > 0).then(|| l - l.min(want))) {
                    Ok(before) => before.min(want) as usize,
                    Err(_) => 0,
                }
            }
        }
    }
}

/// One worker's tallies; merged after the run so the hot loop touches no shared state.
struct WorkerStats {
    requests_ok: u64,
    requests_failed: u64,
    records_ok: u64,
    records_failed: u64,
    records_in_failed_requests: u64,
    reported_failed: u64,
    request_errors: ErrorCounts,
    record_errors: ErrorCounts,
    samples: ErrorSamples,
    latency: Histogram<u64>,
}

impl WorkerStats {
    fn new() -> Self {
        WorkerStats {
            requests_ok: 0,
            requests_failed: 0,
            records_ok: 0,
            records_failed: 0,
            records_in_failed_requests: 0,
            reported_failed: 0,
            request_errors: ErrorCounts::new(),
            record_errors: ErrorCounts::new(),
            samples: ErrorSamples::new(),
            latency: report::new_histogram(),
        }
    }

    fn merge(&mut self, o: WorkerStats) {
        self.requests_ok += o.requests_ok;
        self.requests_failed += o.requests_failed;
        self.records_ok += o.records_ok;
        self.records_failed += o.records_failed;
        self.records_in_failed_requests += o.records_in_failed_requests;
        self.reported_failed += o.reported_failed;
        merge_errors((&mut self.request_errors, &mut self.samples), (o.request_errors, o.samples));
        for (k, v) in o.record_errors {
            *self.record_errors.entry(k).or_default() += v;
        }
        self.latency.add(&o.latency).expect("histograms share bounds");
    }

    fn request_failed(&mut self, records: usize, e: &CallError) {
        self.requests_failed += 1;
        self.records_in_failed_requests += records as u64;
        count_error(&mut self.request_errors, &mut self.samples, e);
    }
}

/// Checks one response against the `n` records sent; `Err` means the whole request failed.
fn account(stats: &mut WorkerStats, n: usize, body: &[u8]) -> Result<(), CallError> {
    if n == 1 {
        wire::check_put_record(body)?;
        stats.records_ok += 1;
    } else {
        let t = wire::tally_put_records(body, n)?;
        stats.records_ok += t.ok;
        stats.records_failed += t.failed;
        stats.reported_failed += t.reported_failed;
        for code in t.failed_codes {
            *stats.record_errors.entry(code).or_default() += 1;
        }
    }
    stats.requests_ok += 1;
    Ok(())
}

async fn worker(
    id: usize,
    client: KinesisClient,
    cfg: Arc<PutConfig>,
    pool: Arc<Vec<Bytes>>,
    plan: Arc<Plan>,
) -> WorkerStats {
    let mut stats = WorkerStats::new();
    let op = if cfg.batch == 1 { Op::PutRecord } else { Op::PutRecords };
    // Workers start at different points of the pool so concurrent requests differ.
    let mut next = id * pool.len() / cfg.concurrency;
    loop {
        let n = plan.claim(cfg.batch);
        if n == 0 {
            break;
        }
        let body = if n == cfg.batch {
            next = (next + 1) % pool.len();
            pool[next].clone()
        } else {
            // Only the tail of a --records run is a partial batch: encode it on the spot.
            let recs = random_records(&mut rand::rng(), n, cfg.record_size);
            encode_batch(&cfg.stream, &recs)
        };
        let op = if n == 1 { Op::PutRecord } else { op };
        let started = Instant::now();
        let result = client.call(op, body).await;
        if !matches!(result, Err(CallError::Transport(_))) {
            report::record_latency(&mut stats.latency, started.elapsed());
        }
        match result.and_then(|b| account(&mut stats, n, &b)) {
            Ok(()) => {}
            Err(e) => {
                stats.request_failed(n, &e);
                if matches!(e, CallError::Transport(_)) {
                    tokio::time::sleep(TRANSPORT_BACKOFF).await;
                }
            }
        }
    }
    stats
}

/// Runs the put workload to completion and reports.
pub(crate) async fn run(cfg: PutConfig) -> Result<PutReport, BenchError> {
    let client = KinesisClient::new(&cfg.endpoint, cfg.concurrency);
    if let Some(shards) = cfg.shards {
        setup::ensure_stream(&client, &cfg.stream, shards).await?;
    }
    let cfg = Arc::new(cfg);
    let pool = Arc::new(build_pool(&cfg));

    let started = Instant::now();
    let plan = Arc::new(match cfg.stop {
        StopAt::Elapsed(d) => Plan::Until(started + d),
        StopAt::Records(n) => Plan::Remaining(AtomicU64::new(n)),
    });
    let handles: Vec<_> = (0..cfg.concurrency)
        .map(|id| {
            let w = worker(id, client.clone(), cfg.clone(), pool.clone(), plan.clone());
            tokio::spawn(w)
        })
        .collect();
    let mut total = WorkerStats::new();
    for h in handles {
        match h.await {
            Ok(s) => total.merge(s),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let data_bytes = total.records_ok * cfg.record_size as u64;
    Ok(PutReport {
        endpoint: cfg.endpoint.to_string(),
        stream: cfg.stream.clone(),
        record_size: cfg.record_size,
        batch: cfg.batch,
        concurrency: cfg.concurrency,
        elapsed_secs: elapsed,
        requests: total.requests_ok + total.requests_failed,
        requests_ok: total.requests_ok,
        requests_failed: total.requests_failed,
        records_ok: total.records_ok,
        records_failed: total.records_failed,
        records_in_failed_requests: total.records_in_failed_requests,
        failed_record_count_reported: total.reported_failed,
        records_per_sec: report::rate(total.records_ok, elapsed),
        mb_per_sec: report::rate(data_bytes, elapsed) / 1e6,
        latency: LatencySummary::from_histogram(&total.latency),
        request_errors: total.request_errors,
        record_errors: total.record_errors,
        error_samples: total.samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_size_respects_keys_and_memory() {
        assert_eq!(pool_size(500, 100_000), 17);
        assert_eq!(pool_size(1, 200), 8192);
        assert_eq!(pool_size(500, 7_000_000), 9);
        assert_eq!(pool_size(500, 100_000_000), 2);
    }

    #[test]
    fn record_budget_is_split_exactly() {
        let plan = Plan::Remaining(AtomicU64::new(1234));
        let mut claimed = Vec::new();
        loop {
            match plan.claim(500) {
                0 => break,
                n => claimed.push(n),
            }
        }
        assert_eq!(claimed, [500, 500, 234]);
    }

    #[test]
    fn random_records_have_requested_shape() {
        let recs = random_records(&mut rand::rng(), 3, 10);
        assert_eq!(recs.len(), 3);
        assert!(recs.iter().all(|r| r.data.len() == 10 && r.partition_key.len() == 16));
    }
}
