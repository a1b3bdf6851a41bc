//! What the pipeline knows of each stream and shard: the shard map, each shard's open
//! aggregate and queue of Kinesis records, and the gates that keep per-key order.
//!
//! Order rests on three rules. A shard has at most one PutRecords call in flight, and what
//! failed in it goes back to the front of its queue. A call never holds two records of one
//! shard that share a hash key (the first could fail while the second is written). And after a
//! reshard, a new shard waits until the retired shards it overlaps have drained.

use crate::aggregator::{Aggregator, Limits};
use crate::limiter::ShardLimiter;
use crate::metrics::StreamMetrics;
use crate::record::{KinesisRecord, UserRecord};
use crate::shard_map::ShardMap;
use riffle_types::HashKeyRange;
use std::collections::{HashMap, VecDeque};

/// Maps looked up once or more per user record (streams by name, shards by id): foldhash,
/// seeded per process, instead of SipHash.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct ShardState {
    pub range: HashKeyRange,
    /// In the current shard map; a retired shard only drains what it already holds.
    pub open: bool,
    pub agg: Aggregator,
    queue: VecDeque<KinesisRecord>,
    queued_bytes: usize,
    pub in_flight: bool,
    /// Written records on this shard's behalf that wait for a fresh shard map to be checked;
    /// the shard stays gated meanwhile, as if they were in flight.
    pub held: usize,
    pub not_before: Instant,
    pub failures: u32,
    pub limiter: ShardLimiter,
    /// Retired shards whose key ranges this one took over; it sends nothing before they drain.
    pub parents: Vec<Arc<str>>,
}

impl ShardState {
    pub fn new(range: HashKeyRange, rate_limit: u64, now: Instant) -> Self {
        Self {
            range,
            open: true,
            agg: Aggregator::default(),
            queue: VecDeque::new(),
            queued_bytes: 0,
            in_flight: false,
            held: 0,
            not_before: now,
            failures: 0,
            limiter: ShardLimiter::new(rate_limit, now),
            parents: Vec::new(),
        }
    }

    pub fn queue(&self) -> &VecDeque<KinesisRecord> {
        &self.queue
    }

    pub fn queue_mut(&mut self) -> &mut VecDeque<KinesisRecord> {
        &mut self.queue
    }

    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Recounts the queue's bytes after it was edited in place.
    pub fn recount(&mut self) {
        self.queued_bytes = self.queue.iter().map(KinesisRecord::size).sum();
    }

    pub fn push_back(&mut self, r: KinesisRecord) {
        self.queued_bytes += r.size();
        self.queue.push_back(r);
    }

    /// Puts records (in their order) back before everything queued.
    pub fn push_front_all(&mut self, records: Vec<KinesisRecord>) {
        for r in records.into_iter().rev() {
            self.queued_bytes += r.size();
            self.queue.push_front(r);
        }
    }

    pub fn pop_front(&mut self) -> Option<KinesisRecord> {
        let r = self.queue.pop_front()?;
        self.queued_bytes -= r.size();
        Some(r)
    }

    /// Closes the open aggregate onto the queue.
    pub fn close_aggregate(&mut self) {
        if let Some(r) = self.agg.close() {
            self.push_back(r);
        }
    }

    pub fn add(&mut self, user: UserRecord, limits: Limits) {
        let mut out = VecDeque::new();
        self.agg.add(user, limits, &mut out);
        for r in out {
            self.push_back(r);
        }
    }

    /// Nothing buffered, queued, in flight or held.
    pub fn drained(&self) -> bool {
        !self.in_flight && self.held == 0 && self.queue.is_empty() && self.agg.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct StreamState {
    pub name: Arc<str>,
    pub map: Option<ShardMap>,
    pub loading: bool,
    /// A record landed where the map did not predict: reload it.
    pub stale: bool,
    pub load_failures: u32,
    pub load_at: Instant,
    pub shards: FastMap<Arc<str>, ShardState>,
    /// Records that arrived before the first shard map.
    pub unrouted: VecDeque<UserRecord>,
    /// Written aggregates whose shard the map does not know yet (see [`ShardState::held`]).
    pub awaiting_map: Vec<Held>,
    pub metrics: StreamMetrics,
}

/// A written aggregate waiting for a fresh shard map to tell whether every user record in it
/// belongs to the shard it landed on.
#[derive(Debug)]
pub(crate) struct Held {
    pub predicted: Arc<str>,
    pub record: KinesisRecord,
    pub shard_id: Arc<str>,
    pub sequence_number: Arc<str>,
}

impl StreamState {
    pub fn new(name: Arc<str>, now: Instant) -> Self {
        Self {
            metrics: StreamMetrics::new(name.clone()),
            name,
            map: None,
            loading: false,
            stale: false,
            load_failures: 0,
            load_at: now,
            shards: FastMap::default(),
            unrouted: VecDeque::new(),
            awaiting_map: Vec::new(),
        }
    }

    /// Sends a user record to its predicted shard's aggregate, or to the waiting line while
    /// no shard map is known.
    pub fn route(&mut self, user: UserRecord, limits: Limits) {
        let position = self.position(user.hash_key);
        self.route_run(position, [user], limits);
    }

    /// Where the map puts `hash_key`: the shard's place in it, if there is a map and it has
    /// no gap there.
    pub fn position(&self, hash_key: u128) -> Option<usize> {
        self.map.as_ref().and_then(|m| m.position(hash_key))
    }

    /// Routes user records, in order, that all go to the shard at `position` ([`Self::position`]).
    pub fn route_run(&mut self, position: Option<usize>, users: impl IntoIterator<Item = UserRecord>, limits: Limits) {
        let Some(id) = position.and_then(|p| self.map.as_ref()?.shards().get(p)).map(|s| s.id.clone()) else {
            // No map yet, or one with a gap (never from a consistent ListShards): load again.
            self.stale |= self.map.is_some();
            self.unrouted.extend(users);
            return;
        };
        let shard = self.shards.get_mut(&id).expect("every mapped shard has state");
        for user in users {
            shard.add(user, limits);
        }
    }

    /// Packs user records as fresh Kinesis records and puts them at the front of their
    /// predicted shards' queues: they are older than anything queued there.
    pub fn route_front(&mut self, users: Vec<UserRecord>, limits: Limits) {
        let mut per_shard: Vec<(Arc<str>, Aggregator, VecDeque<KinesisRecord>)> = Vec::new();
        let mut unroutable = Vec::new();
        for user in users {
            let Some(id) = self.map.as_ref().and_then(|m| m.lookup(user.hash_key)).map(|s| s.id.clone()) else {
                self.stale |= self.map.is_some();
                unroutable.push(user);
                continue;
            };
            let i = match per_shard.iter().position(|(s, _, _)| *s == id) {
                Some(i) => i,
                None => {
                    per_shard.push((id, Aggregator::default(), VecDeque::new()));
                    per_shard.len() - 1
                }
            };
            let (_, agg, out) = &mut per_shard[i];
            agg.add(user, limits, out);
        }
        for user in unroutable.into_iter().rev() {
            self.unrouted.push_front(user);
        }
        for (id, mut agg, mut out) in per_shard {
            agg.close_into(&mut out);
            if let Some(s) = self.shards.get_mut(&id) {
                s.push_front_all(out.into());
            }
        }
    }

    /// Takes a new shard map: shards gone from it retire (their open aggregates re-routed),
    /// new ones wait for the retired shards they overlap, and waiting records are routed.
    pub fn apply_map(&mut self, map: ShardMap, limits: Limits, rate_limit: u64, now: Instant) {
        let mut rerouted = Vec::new();
        for (id, s) in self.shards.iter_mut() {
            if s.open && map.get(id).is_none() {
                s.open = false;
                rerouted.extend(s.agg.drain());
            }
        }
        for info in map.shards() {
            if !self.shards.contains_key(&info.id) {
                let mut s = ShardState::new(info.range, rate_limit, now);
                s.parents = self
                    .shards
                    .iter()
                    .filter(|(_, p)| !p.open && overlaps(p.range, info.range))
                    .map(|(id, _)| id.clone())
                    .collect();
                self.shards.insert(info.id.clone(), s);
            }
        }
        self.map = Some(map);
        for user in rerouted {
            self.route(user, limits);
        }
        while let Some(user) = self.unrouted.pop_front() {
            self.route(user, limits);
        }
    }

    /// Whether a shard may send now: nothing of it in flight or held, its backoff over, and
    /// the shards it replaced drained.
    pub fn eligible(&self, id: &str, now: Instant) -> bool {
        self.shards.get(id).is_some_and(|s| !s.queue.is_empty() && self.free(s, now))
    }

    /// Whether a call for the shard could start now, were anything queued.
    fn free(&self, s: &ShardState, now: Instant) -> bool {
        !s.in_flight && s.held == 0 && s.not_before <= now && s.parents.iter().all(|p| !self.shards.contains_key(p))
    }

    /// When the shard's open aggregate is to close, if one is open: its oldest record's
    /// deadline, but only once a call for the shard could start. Until then (a call in flight,
    /// a backoff, a held record, parents not drained) it could not leave any sooner, so it
    /// keeps filling rather than queue as a small aggregate. Under `backlog` (records waiting
    /// in the intake, already late) it also stays open until `hold` after it was opened, so a
    /// pipeline that has fallen behind sends fewer, fuller aggregates, not one per turn.
    pub fn close_at(&self, s: &ShardState, now: Instant, backlog: bool, hold: Duration) -> Option<Instant> {
        let deadline = s.agg.deadline()?;
        if !self.free(s, now) {
            return None;
        }
        let opened = s.agg.opened().unwrap_or(deadline);
        Some(if backlog { deadline.max(opened + hold) } else { deadline })
    }

    /// Closes the open aggregates that are due (every one when `force`).
    pub fn close_due(&mut self, now: Instant, force: bool, backlog: bool, hold: Duration) {
        let due: Vec<Arc<str>> = self
            .shards
            .iter()
            .filter(|(_, s)| !s.agg.is_empty())
            .filter(|(_, s)| force || self.close_at(s, now, backlog, hold).is_some_and(|t| t <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            self.shards.get_mut(&id).expect("listed above").close_aggregate();
        }
    }

    /// Forgets retired shards that have nothing left.
    pub fn drop_drained(&mut self) {
        self.shards.retain(|_, s| s.open || !s.drained());
    }

    /// Whether anything is buffered or under way for this stream.
    pub fn busy(&self) -> bool {
        !self.unrouted.is_empty() || !self.awaiting_map.is_empty() || self.shards.values().any(|s| !s.drained())
    }
}

fn overlaps(a: HashKeyRange, b: HashKeyRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::test_user;
    use riffle_types::uniform_ranges;

    const HOLD: Duration = Duration::from_millis(100);

    fn one_shard_stream(now: Instant) -> StreamState {
        let mut s = StreamState::new(Arc::from("s"), now);
        let range = uniform_ranges(1)[0];
        s.apply_map(
            ShardMap::new(vec![crate::shard_map::ShardInfo { id: Arc::from("shard"), range }]),
            limits(),
            100,
            now,
        );
        s
    }

    fn limits() -> Limits {
        Limits { enabled: true, max_count: u64::MAX, max_size: 51_200 }
    }

    fn shard(s: &mut StreamState) -> &mut ShardState {
        s.shards.get_mut("shard").unwrap()
    }

    /// The keys of the user records in each queued Kinesis record, in queue order.
    fn queued_keys(s: &mut StreamState) -> Vec<Vec<String>> {
        shard(s)
            .queue()
            .iter()
            .map(|r| r.users.iter().map(|u| u.partition_key.as_str().to_string()).collect())
            .collect()
    }

    #[test]
    fn a_due_aggregate_keeps_filling_while_its_shard_has_a_call_in_flight() {
        let now = Instant::now();
        let mut s = one_shard_stream(now);
        shard(&mut s).in_flight = true;
        for i in 0..3 {
            s.route(test_user(&format!("k{i}"), vec![1; 10], now), limits());
        }
        let later = now + HOLD * 10;
        s.close_due(later, false, false, HOLD);
        assert!(queued_keys(&mut s).is_empty(), "nothing closes while the shard cannot send");
        let st = &s.shards["shard"];
        assert_eq!(s.close_at(st, later, false, HOLD), None, "and nothing wakes the loop for it");
        s.route(test_user("k3", vec![1; 10], later), limits());
        shard(&mut s).in_flight = false;
        s.close_due(later, false, false, HOLD);
        assert_eq!(queued_keys(&mut s), [["k0", "k1", "k2", "k3"]], "one aggregate, in put order");
    }

    #[test]
    fn a_backing_off_shard_holds_its_aggregate_too() {
        let now = Instant::now();
        let mut s = one_shard_stream(now);
        shard(&mut s).not_before = now + HOLD;
        s.route(test_user("a", vec![1; 10], now), limits());
        s.close_due(now, false, false, HOLD);
        assert!(queued_keys(&mut s).is_empty());
        s.close_due(now + HOLD, false, false, HOLD);
        assert_eq!(queued_keys(&mut s), [["a"]]);
    }

    #[test]
    fn under_backlog_late_records_fill_an_aggregate_for_the_hold_time() {
        let now = Instant::now();
        let mut s = one_shard_stream(now);
        // Already late when they reach the pipeline, as records are when it has fallen behind.
        let late = now.checked_sub(HOLD).unwrap_or(now);
        s.route(test_user("a", vec![1; 10], late), limits());
        s.route(test_user("b", vec![1; 10], late), limits());
        let opened = s.shards["shard"].agg.opened().unwrap();
        s.close_due(opened, false, true, HOLD);
        assert!(queued_keys(&mut s).is_empty(), "backlog: stays open though past its deadline");
        assert_eq!(s.close_at(&s.shards["shard"], opened, true, HOLD), Some(opened + HOLD));
        s.close_due(opened, false, false, HOLD);
        assert_eq!(queued_keys(&mut s), [["a", "b"]], "no backlog: the deadline rules");
        s.route(test_user("c", vec![1; 10], late), limits());
        let opened = s.shards["shard"].agg.opened().unwrap();
        s.close_due(opened + HOLD, false, true, HOLD);
        assert_eq!(queued_keys(&mut s), [vec!["a", "b"], vec!["c"]], "backlog: closes after the hold");
    }

    #[test]
    fn force_closes_whatever_the_shard_is_doing() {
        let now = Instant::now();
        let mut s = one_shard_stream(now);
        shard(&mut s).in_flight = true;
        s.route(test_user("a", vec![1; 10], now + HOLD), limits());
        s.close_due(now, true, true, HOLD);
        assert_eq!(queued_keys(&mut s), [["a"]]);
    }
}
