//! Per-shard pacing: token buckets at RateLimit% of a shard's write limits (1 MiB/s, 1000
//! records/s), and exponential backoff with full jitter after a failed attempt. Together they
//! keep a throttled shard from being hammered with calls that can only fail, while other
//! shards keep flowing.

use rand::Rng;
use std::time::{Duration, Instant};

const SHARD_BYTES_PER_SEC: f64 = 1024.0 * 1024.0;
const SHARD_RECORDS_PER_SEC: f64 = 1000.0;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
}

impl Bucket {
    fn full(per_sec: f64) -> Self {
        // One second of allowance: enough to fill a PutRecords call, not enough to flood.
        Self { tokens: per_sec, capacity: per_sec, per_sec }
    }

    fn refill(&mut self, dt: f64) {
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
    }

    /// Whether `n` can be taken now. A request bigger than the whole bucket is let through
    /// when the bucket is full (and leaves it in debt), or it would never go.
    fn can_take(&self, n: f64) -> bool {
        self.tokens >= n || self.tokens >= self.capacity
    }
}

/// A shard's two buckets.
#[derive(Debug, Clone)]
pub(crate) struct ShardLimiter {
    records: Bucket,
    bytes: Bucket,
    at: Instant,
}

impl ShardLimiter {
    pub fn new(rate_limit_percent: u64, now: Instant) -> Self {
        let f = rate_limit_percent as f64 / 100.0;
        Self { records: Bucket::full(SHARD_RECORDS_PER_SEC * f), bytes: Bucket::full(SHARD_BYTES_PER_SEC * f), at: now }
    }

    /// Takes one Kinesis record of `bytes`, if the shard's allowance has room for it.
    pub fn try_take(&mut self, bytes: usize, now: Instant) -> bool {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.records.refill(dt);
        self.bytes.refill(dt);
        let bytes = bytes as f64;
        if self.records.can_take(1.0) && self.bytes.can_take(bytes) {
            self.records.tokens -= 1.0;
            self.bytes.tokens -= bytes;
            true
        } else {
            false
        }
    }
}

/// The delay before attempt `failures + 1` on a shard: uniformly random in
/// `[0, min(max, base * 2^(failures-1))]` ("full jitter"), so clients that failed together do
/// not retry together.
pub(crate) fn backoff(failures: u32, base: Duration, max: Duration) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let cap = base.saturating_mul(1u32 << (failures - 1).min(20)).min(max);
    cap.mul_f64(rand::rng().random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_gets_its_share_and_no_more() {
        let t0 = Instant::now();
        let mut l = ShardLimiter::new(100, t0);
        let taken = (0..2000).filter(|_| l.try_take(10, t0)).count();
        assert_eq!(taken, 1000, "1000 records/s at 100%");
        assert!(l.try_take(10, t0 + Duration::from_millis(2)), "refills over time");
        let mut l = ShardLimiter::new(50, t0);
        assert_eq!((0..10).filter(|_| l.try_take(200 * 1024, t0)).count(), 2, "512 KiB/s at 50%");
        let mut l = ShardLimiter::new(10, t0);
        assert!(l.try_take(1024 * 1024, t0), "an oversized record goes when the bucket is full");
        assert!(!l.try_take(1, t0));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        assert_eq!(backoff(0, base, max), Duration::ZERO);
        for f in 1..40 {
            let d = backoff(f, base, max);
            assert!(d <= base * 2u32.pow((f - 1).min(5)) && d <= max, "{f}: {d:?}");
        }
    }
}
