//! The log against a plain in-memory model under random operations, with segments small
//! enough that rolling, block-list cache misses and reclaim all happen.
//!
//! The model keeps every record forever; visibility is "arrival >= the shard's largest cutoff",
//! which matches the log's trim counter because cutoffs here never lie in the future (as with
//! real retention, later records always arrive after the cutoff). After a reopen the test
//! re-applies cutoffs and drops, as the server does at start.

use crate::util::{now_ms, opts};
use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use riffle_log::{AppendRecord, FsyncPolicy, Log, ReadBatch, ShardState, StoredRecord};
use riffle_types::ShardKey;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const SHARDS: u8 = 6;

#[derive(Debug, Clone)]
enum Op {
    /// (shard, partition key length, data length) per record.
    Append(Vec<(u8, u8, u16)>),
    Read {
        shard: u8,
        from: u8,
        max_records: usize,
        max_bytes: usize,
    },
    /// Cutoff at a chosen record's arrival plus `delta`, never in the future.
    Cutoff {
        shard: u8,
        pick: usize,
        delta: i8,
    },
    AtTimestamp {
        shard: u8,
        pick: usize,
        delta: i8,
    },
    Drop(u8),
    Reclaim,
    Reopen,
    /// Let the wall clock move so arrival times differ.
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    let shard = 0..SHARDS;
    prop_oneof![
        6 => proptest::collection::vec((0..SHARDS, 1u8..12, 0u16..120), 1..12).prop_map(Op::Append),
        5 => (shard.clone(), any::<u8>(), 0usize..20, 0usize..600)
            .prop_map(|(shard, from, max_records, max_bytes)| Op::Read { shard, from, max_records, max_bytes }),
        2 => (shard.clone(), any::<usize>(), -1i8..=1).prop_map(|(shard, pick, delta)| Op::Cutoff { shard, pick, delta }),
        2 => (shard.clone(), any::<usize>(), -1i8..=1).prop_map(|(shard, pick, delta)| Op::AtTimestamp { shard, pick, delta }),
        1 => shard.prop_map(Op::Drop),
        2 => Just(Op::Reclaim),
        1 => Just(Op::Reopen),
        2 => Just(Op::Tick),
    ]
}

/// What the random runs exercised, summed over all cases, so the test cannot pass vacuously.
#[derive(Default)]
struct Coverage {
    segments_created: AtomicU64,
    segments_deleted: AtomicU64,
    block_list_loads: AtomicU64,
    /// Non-empty reads of a shard whose trim counter is past its first record.
    reads_after_partial_trim: AtomicU64,
    reopens: AtomicU64,
}

static COVERAGE: Coverage = Coverage {
    segments_created: AtomicU64::new(0),
    segments_deleted: AtomicU64::new(0),
    block_list_loads: AtomicU64::new(0),
    reads_after_partial_trim: AtomicU64::new(0),
    reopens: AtomicU64::new(0),
};

fn key(s: u8) -> ShardKey {
    ShardKey::new(u32::from(s % 2) + 7, u32::from(s / 2))
}

#[derive(Debug)]
struct ModelShard {
    records: Vec<StoredRecord>,
    next: u64,
    cutoff: Option<i64>,
    dropped: bool,
}

impl Default for ModelShard {
    fn default() -> Self {
        Self { records: Vec::new(), next: 1, cutoff: None, dropped: false }
    }
}

impl ModelShard {
    fn trim(&self) -> u64 {
        let cutoff = self.cutoff.unwrap_or(i64::MIN);
        self.records.iter().find(|r| r.arrival_ms >= cutoff).map_or(self.next, |r| r.counter)
    }

    fn state(&self) -> ShardState {
        let last_arrival_ms = self.records.last().map_or(0, |r| r.arrival_ms);
        ShardState { trim_counter: self.trim(), next_counter: self.next, last_arrival_ms }
    }

    fn read(&self, from: u64, max_records: usize, max_bytes: usize) -> ReadBatch {
        let mut next_counter = from.max(self.trim());
        let mut records = Vec::new();
        let mut bytes = 0;
        for r in self.records.iter().filter(|r| r.counter >= next_counter) {
            let size = r.partition_key.len() + r.data.len();
            if records.len() >= max_records || (!records.is_empty() && bytes + size > max_bytes) {
                break;
            }
            bytes += size;
            records.push(r.clone());
        }
        if let Some(last) = records.last() {
            next_counter = last.counter + 1;
        }
        ReadBatch { records, next_counter }
    }

    /// An arrival time near one of this shard's records, never in the future.
    fn time_near(&self, pick: usize, delta: i8) -> i64 {
        let now = now_ms();
        if self.records.is_empty() {
            return now;
        }
        (self.records[pick % self.records.len()].arrival_ms + i64::from(delta)).min(now)
    }
}

struct Harness {
    dir: tempfile::TempDir,
    log: Log,
    options: riffle_log::LogOptions,
    rt: tokio::runtime::Runtime,
    model: BTreeMap<u8, ModelShard>,
    seq: u64,
}

impl Harness {
    fn shard(&mut self, s: u8) -> &mut ModelShard {
        self.model.entry(s).or_default()
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Append(ref spec) => self.append(spec)?,
            Op::Read { shard, from, max_records, max_bytes } => {
                let m = self.shard(shard);
                let from = u64::from(from) % (m.next + 3);
                let expected = m.read(from, max_records, max_bytes);
                let dropped = m.dropped;
                let got = self.log.read(key(shard), from, max_records, max_bytes).unwrap();
                if dropped {
                    prop_assert!(got.records.is_empty(), "read of dropped shard {shard}");
                } else {
                    prop_assert_eq!(&got.records, &expected.records, "read {} from {}", shard, from);
                    prop_assert_eq!(got.next_counter, expected.next_counter);
                    if !got.records.is_empty() && m_trim_past_first(&self.model[&shard]) {
                        COVERAGE.reads_after_partial_trim.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Op::Cutoff { shard, pick, delta } => {
                let m = self.shard(shard);
                let cutoff = m.time_near(pick, delta);
                m.cutoff = Some(m.cutoff.map_or(cutoff, |c| c.max(cutoff)));
                self.log.set_retention_cutoff(key(shard), cutoff);
            }
            Op::AtTimestamp { shard, pick, delta } => {
                let m = self.shard(shard);
                let ts = m.time_near(pick, delta) + i64::from(delta);
                let trim = m.trim();
                let expected =
                    m.records.iter().find(|r| r.counter >= trim && r.arrival_ms >= ts).map_or(m.next, |r| r.counter);
                if !m.dropped {
                    prop_assert_eq!(self.log.try_counter_at_timestamp(key(shard), ts).unwrap(), expected);
                }
            }
            Op::Drop(shard) => {
                self.shard(shard).dropped = true;
                self.log.drop_shard(key(shard));
            }
            Op::Reclaim => {
                self.log.reclaim().unwrap();
            }
            Op::Reopen => self.reopen(),
            Op::Tick => std::thread::sleep(Duration::from_millis(2)),
        }
        self.check_states()
    }

    fn append(&mut self, spec: &[(u8, u8, u16)]) -> Result<(), TestCaseError> {
        // The server never writes to a deleted stream's shards.
        let spec: Vec<(u8, u8, u16)> = spec.iter().copied().filter(|(s, ..)| !self.shard(*s).dropped).collect();
        let records: Vec<AppendRecord> = spec
            .iter()
            .map(|&(s, pk_len, data_len)| {
                self.seq += 1;
                let tag = format!("{}:", self.seq);
                let data: Vec<u8> = tag.bytes().cycle().take(usize::from(data_len)).collect();
                let pk: Vec<u8> = tag.bytes().cycle().take(usize::from(pk_len)).collect();
                AppendRecord { shard: key(s), partition_key: Bytes::from(pk), data: Bytes::from(data) }
            })
            .collect();
        let appended = self.rt.block_on(self.log.append(records.clone())).unwrap();
        prop_assert_eq!(appended.len(), records.len());
        for ((&(s, ..), r), a) in spec.iter().zip(records).zip(appended) {
            let m = self.shard(s);
            prop_assert_eq!(a.counter, m.next, "counter for shard {}", s);
            if let Some(prev) = m.records.last() {
                prop_assert!(a.arrival_ms >= prev.arrival_ms, "arrival went backwards");
            }
            m.next += 1;
            m.records.push(StoredRecord {
                counter: a.counter,
                arrival_ms: a.arrival_ms,
                partition_key: r.partition_key,
                data: r.data,
            });
        }
        Ok(())
    }

    fn reopen(&mut self) {
        self.record_coverage();
        COVERAGE.reopens.fetch_add(1, Ordering::Relaxed);
        self.log.shutdown();
        self.log = Log::open(self.dir.path(), self.options.clone()).unwrap();
        for (&s, m) in &self.model {
            if m.dropped {
                self.log.drop_shard(key(s));
            } else if let Some(cutoff) = m.cutoff {
                self.log.set_retention_cutoff(key(s), cutoff);
            }
        }
    }

    fn record_coverage(&self) {
        let st = self.log.stats();
        COVERAGE.segments_created.fetch_add(st.segments_created, Ordering::Relaxed);
        COVERAGE.segments_deleted.fetch_add(st.segments_deleted, Ordering::Relaxed);
        COVERAGE.block_list_loads.fetch_add(st.block_list_loads, Ordering::Relaxed);
    }

    fn check_states(&self) -> Result<(), TestCaseError> {
        for (&s, m) in self.model.iter().filter(|(_, m)| !m.dropped) {
            prop_assert_eq!(self.log.shard_state(key(s)), m.state(), "state of shard {}", s);
        }
        let mut live: Vec<ShardKey> =
            self.model.iter().filter(|(_, m)| !m.dropped && m.next > 1).map(|(&s, _)| key(s)).collect();
        live.sort();
        prop_assert_eq!(self.log.shards(), live);
        Ok(())
    }
}

fn run(
    ops: &[Op],
    fsync: FsyncPolicy,
    segment_bytes: u64,
    caches: (usize, Option<usize>),
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (index_cache_segments, cached_segments) = caches;
    let options = riffle_log::LogOptions { index_cache_segments, cached_segments, ..opts(fsync, segment_bytes) };
    let log = Log::open(dir.path(), options.clone()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut h = Harness { dir, log, options, rt, model: BTreeMap::new(), seq: 0 };
    for op in ops {
        h.apply(op)?;
    }
    // Whatever happened, a final reopen shows the same data.
    h.reopen();
    for s in 0..SHARDS {
        h.apply(&Op::Read { shard: s, from: 0, max_records: usize::MAX, max_bytes: usize::MAX })?;
    }
    check_dir_is_tidy(h.dir.path());
    h.record_coverage();
    Ok(())
}

fn m_trim_past_first(m: &ModelShard) -> bool {
    m.records.first().is_some_and(|r| m.trim() > r.counter)
}

fn check_dir_is_tidy(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name == "LOCK" || name.ends_with(".seg"), "stray file {name}");
    }
}

#[test]
fn log_matches_model() {
    let policy = prop_oneof![
        Just(FsyncPolicy::Never),
        Just(FsyncPolicy::Always),
        Just(FsyncPolicy::Interval(Duration::from_millis(1)))
    ];
    // Sealed segments leave the page cache at once (Some(0)), after one, or never: reads must
    // not care.
    let caches = (1usize..4, proptest::option::of(0usize..2));
    let strategy = (proptest::collection::vec(op(), 1..60), policy, 150u64..3000, caches);
    let mut runner = TestRunner::new(Config { cases: 96, failure_persistence: None, ..Config::default() });
    runner.run(&strategy, |(ops, fsync, segment_bytes, caches)| run(&ops, fsync, segment_bytes, caches)).unwrap();
    let c = &COVERAGE;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let summary = [
        ("segments created", get(&c.segments_created)),
        ("segments deleted", get(&c.segments_deleted)),
        ("block lists rebuilt", get(&c.block_list_loads)),
        ("reads after a partial trim", get(&c.reads_after_partial_trim)),
        ("reopens", get(&c.reopens)),
    ];
    eprintln!("model coverage: {summary:?}");
    for (what, n) in summary {
        assert!(n > 0, "no {what} in any case: the model test exercised too little");
    }
}
