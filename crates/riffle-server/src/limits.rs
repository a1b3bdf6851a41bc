//! AWS-faithful throughput limits, enforced only with `--enforce-limits`.
//!
//! Token buckets per shard for the data plane (1 MiB/s and 1,000 records/s in; 5 calls/s and
//! 2 MiB/s out) and per account, stream or shard for control-plane calls, so clients can
//! exercise their backoff against the errors AWS really sends: per-record
//! `ProvisionedThroughputExceededException` in PutRecords, whole-call PTE for PutRecord and
//! GetRecords, and `LimitExceededException` for control-plane rates.

use parking_lot::Mutex;
use riffle_proto::Operation;
use riffle_types::ShardKey;
use std::collections::HashMap;
use std::time::Instant;

const MIB: f64 = 1024.0 * 1024.0;

/// A token bucket that refills continuously. It may go into debt (a large read spends more
/// than it holds), which then blocks calls until the refill pays it back, as AWS does after a
/// 10 MiB GetRecords.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    at: Instant,
}

impl Bucket {
    fn full(capacity: f64, per_sec: f64, now: Instant) -> Self {
        Self { tokens: capacity, capacity, per_sec, at: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        self.at = now;
    }
}

#[derive(Debug)]
struct ShardBuckets {
    write_bytes: Bucket,
    write_records: Bucket,
    read_calls: Bucket,
    read_bytes: Bucket,
    iterators: Bucket,
}

impl ShardBuckets {
    fn new(now: Instant) -> Self {
        Self {
            write_bytes: Bucket::full(MIB, MIB, now),
            write_records: Bucket::full(1000.0, 1000.0, now),
            read_calls: Bucket::full(5.0, 5.0, now),
            read_bytes: Bucket::full(2.0 * MIB, 2.0 * MIB, now),
            iterators: Bucket::full(5.0, 5.0, now),
        }
    }
}

/// What a control-plane rate is counted over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Account,
    Stream(String),
}

/// Enforces the limits when enabled; every check passes when disabled.
#[derive(Debug)]
pub struct Limits {
    enabled: bool,
    shards: Mutex<HashMap<ShardKey, ShardBuckets>>,
    control: Mutex<HashMap<(Operation, Scope), Bucket>>,
}

impl Limits {
    pub fn new(enabled: bool) -> Self {
        Self { enabled, shards: Mutex::new(HashMap::new()), control: Mutex::new(HashMap::new()) }
    }

    /// Takes one record of `bytes` (data + partition key) from a shard's write allowance.
    pub fn admit_write(&self, shard: ShardKey, bytes: usize) -> bool {
        if !self.enabled {
            return true;
        }
        let now = Instant::now();
        let mut shards = self.shards.lock();
        let b = shards.entry(shard).or_insert_with(|| ShardBuckets::new(now));
        b.write_bytes.refill(now);
        b.write_records.refill(now);
        let bytes = bytes as f64;
        if b.write_records.tokens >= 1.0 && b.write_bytes.tokens >= bytes.min(b.write_bytes.capacity) {
            b.write_records.tokens -= 1.0;
            b.write_bytes.tokens -= bytes;
            true
        } else {
            false
        }
    }

    /// Takes one GetRecords call from a shard's read allowance (refused while bytes are in debt).
    pub fn admit_read(&self, shard: ShardKey) -> bool {
        if !self.enabled {
            return true;
        }
        let now = Instant::now();
        let mut shards = self.shards.lock();
        let b = shards.entry(shard).or_insert_with(|| ShardBuckets::new(now));
        b.read_calls.refill(now);
        b.read_bytes.refill(now);
        if b.read_calls.tokens >= 1.0 && b.read_bytes.tokens > 0.0 {
            b.read_calls.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Charges the bytes a GetRecords returned.
    pub fn charge_read(&self, shard: ShardKey, bytes: usize) {
        if self.enabled
            && let Some(b) = self.shards.lock().get_mut(&shard)
        {
            b.read_bytes.tokens -= bytes as f64;
        }
    }

    /// GetShardIterator: 5 calls per second per shard.
    pub fn admit_iterator(&self, shard: ShardKey) -> bool {
        if !self.enabled {
            return true;
        }
        let now = Instant::now();
        let mut shards = self.shards.lock();
        let b = shards.entry(shard).or_insert_with(|| ShardBuckets::new(now));
        b.iterators.refill(now);
        if b.iterators.tokens >= 1.0 {
            b.iterators.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// A control-plane call, counted per account or per stream as AWS documents. Per-stream
    /// operations are only counted when the stream is given (their handlers call again with it).
    pub fn admit_control(&self, op: Operation, stream: Option<&str>) -> bool {
        let Some((per_sec, per_stream)) = control_rate(op).filter(|_| self.enabled) else { return true };
        let scope = match (per_stream, stream) {
            (true, Some(s)) => Scope::Stream(s.to_string()),
            (true, None) => return true,
            (false, _) => Scope::Account,
        };
        let now = Instant::now();
        let mut control = self.control.lock();
        let b = control.entry((op, scope)).or_insert_with(|| Bucket::full(per_sec, per_sec, now));
        b.refill(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Calls per second, and whether the rate is per stream (else per account). Data-plane
/// operations are limited per shard elsewhere and have no entry here.
fn control_rate(op: Operation) -> Option<(f64, bool)> {
    use Operation::*;
    Some(match op {
        CreateStream
        | DeleteStream
        | SplitShard
        | MergeShards
        | AddTagsToStream
        | RemoveTagsFromStream
        | ListStreams
        | ListTagsForStream
        | TagResource
        | UntagResource
        | ListTagsForResource
        | RegisterStreamConsumer
        | IncreaseStreamRetentionPeriod
        | DecreaseStreamRetentionPeriod
        | EnableEnhancedMonitoring
        | DisableEnhancedMonitoring
        | UpdateStreamMode
        | UpdateMaxRecordSize
        | PutResourcePolicy
        | GetResourcePolicy
        | DeleteResourcePolicy
        | DescribeAccountSettings
        | UpdateAccountSettings
        | UpdateStreamWarmThroughput => (5.0, false),
        StartStreamEncryption | StopStreamEncryption => (5.0, false),
        DescribeStream => (10.0, false),
        DescribeStreamSummary => (20.0, false),
        DescribeLimits => (1.0, false),
        UpdateShardCount => (10.0, false),
        ListShards => (1000.0, true),
        DescribeStreamConsumer => (20.0, true),
        ListStreamConsumers | DeregisterStreamConsumer => (5.0, true),
        PutRecord | PutRecords | GetRecords | GetShardIterator | SubscribeToShard => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_limits_admit_everything() {
        let l = Limits::new(false);
        let k = ShardKey::new(1, 0);
        assert!((0..10_000).all(|_| l.admit_write(k, 1000)));
        assert!((0..100).all(|_| l.admit_read(k)));
    }

    #[test]
    fn writes_stop_at_a_thousand_records_or_a_mebibyte() {
        let l = Limits::new(true);
        let k = ShardKey::new(1, 0);
        let admitted = (0..2000).filter(|_| l.admit_write(k, 10)).count();
        // The bucket refills while the loop runs, but not by a thousand records.
        assert!((1000..1100).contains(&admitted), "{admitted}");
        let other = ShardKey::new(1, 1);
        let admitted = (0..10).filter(|_| l.admit_write(other, 300 * 1024)).count();
        assert_eq!(admitted, 3, "1 MiB admits three 300 KiB records");
    }

    #[test]
    fn a_big_read_blocks_reads_until_paid_back() {
        let l = Limits::new(true);
        let k = ShardKey::new(1, 0);
        assert!(l.admit_read(k));
        l.charge_read(k, 10 * 1024 * 1024);
        assert!(!l.admit_read(k), "8 MiB of debt refuses the next call");
        let calls = (0..10).filter(|_| l.admit_read(ShardKey::new(2, 0))).count();
        assert_eq!(calls, 5, "five calls per second per shard");
    }

    #[test]
    fn control_plane_rates_are_per_account_or_per_stream() {
        let l = Limits::new(true);
        assert_eq!((0..20).filter(|_| l.admit_control(Operation::CreateStream, Some("a"))).count(), 5);
        assert!(!l.admit_control(Operation::CreateStream, Some("b")), "per account: another stream shares it");
        assert_eq!((0..5).filter(|_| l.admit_control(Operation::ListStreamConsumers, Some("a"))).count(), 5);
        assert!(l.admit_control(Operation::ListStreamConsumers, Some("b")), "per stream: b has its own");
        assert!(l.admit_control(Operation::PutRecords, None), "data plane is limited per shard, not here");
        assert!((0..2000).all(|_| l.admit_control(Operation::ListShards, None)), "per-stream needs the stream");
    }
}
