//! Which leases to take, the KCL 2.x way (kinesis-spec §5.2), as pure functions so the rule can
//! be tested against a model: expiry is clock-free (a lease whose counter has not moved for
//! longer than the failover time, measured locally between scans), free and expired leases are
//! taken first, and only when none are free does a worker steal from the most loaded one.
//! Leases at SHARD_END are nobody's work and are neither counted nor taken.

use crate::lease::Lease;
use rand::seq::SliceRandom;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// When each lease's counter last changed, as seen by this worker's scans.
#[derive(Debug, Default)]
pub(crate) struct ExpiryTracker {
    seen: HashMap<String, (u64, Instant)>,
}

impl ExpiryTracker {
    /// Records a scan. A lease seen for the first time counts as just renewed.
    pub fn observe(&mut self, leases: &[Lease], now: Instant) {
        let mut next = HashMap::with_capacity(leases.len());
        for l in leases {
            let since = match self.seen.get(&l.key) {
                Some(&(counter, at)) if counter == l.counter => at,
                _ => now,
            };
            next.insert(l.key.clone(), (l.counter, since));
        }
        self.seen = next;
    }

    pub fn is_expired(&self, lease: &Lease, now: Instant, failover: Duration) -> bool {
        self.seen.get(&lease.key).is_some_and(|&(_, since)| now.duration_since(since) > failover)
    }

    /// When the first of `leases` owned by another worker will have gone unrenewed for longer
    /// than `failover`, if none has yet: a scan then takes it at once, instead of at the next
    /// regular scan up to a scan interval later.
    pub fn next_expiry(&self, leases: &[Lease], me: &str, now: Instant, failover: Duration) -> Option<Instant> {
        leases
            .iter()
            .filter(|l| l.owner.as_deref().is_some_and(|o| o != me) && !l.is_shard_end())
            .filter_map(|l| self.seen.get(&l.key).map(|&(_, since)| since + failover + Duration::from_millis(10)))
            .filter(|at| *at > now)
            .min()
    }
}

/// A lease as the taker sees it.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub key: String,
    pub owner: Option<String>,
    /// Owned but its owner has stopped renewing it.
    pub expired: bool,
}

/// Limits on taking.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_leases_for_worker: usize,
    pub max_leases_to_steal: usize,
}

/// The keys to take now: free or expired ones if there are any, else at most
/// `max_leases_to_steal` from the most loaded worker. `held` are the leases this worker holds
/// and is processing; a lease that names this worker but is not held (a restart under the same
/// id) is free to take back at once.
pub(crate) fn plan(
    me: &str,
    leases: &[View],
    held: &HashSet<String>,
    limits: Limits,
    rng: &mut impl rand::Rng,
) -> Vec<String> {
    let available = |l: &View| match &l.owner {
        None => true,
        Some(o) if o == me => !held.contains(&l.key),
        Some(_) => l.expired,
    };
    let mut free: Vec<&View> = leases.iter().filter(|l| available(l)).collect();
    let mut counts: HashMap<&str, Vec<&View>> = HashMap::new();
    counts.insert(me, Vec::new());
    for l in leases.iter().filter(|l| !available(l)) {
        counts.entry(l.owner.as_deref().unwrap_or_default()).or_default().push(l);
    }
    let workers = counts.len();
    let total = leases.len();
    let target = if workers >= total { 1 } else { total.div_ceil(workers) }.min(limits.max_leases_for_worker);
    let mine = counts[me].len();
    if mine >= target || total == 0 {
        return Vec::new();
    }
    let needed = target - mine;
    if !free.is_empty() {
        free.shuffle(rng);
        return free.into_iter().take(needed).map(|l| l.key.clone()).collect();
    }
    // Nothing free: steal from the most loaded worker (ties broken by id, so all agree).
    let Some((_, theirs)) = counts
        .iter()
        .filter(|(owner, _)| **owner != me)
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0)))
    else {
        return Vec::new();
    };
    if theirs.len() < target {
        return Vec::new();
    }
    let mut n = needed.min(theirs.len() - target);
    if n == 0 && needed > 1 {
        n = 1;
    }
    let mut theirs = theirs.clone();
    theirs.shuffle(rng);
    theirs.into_iter().take(n.min(limits.max_leases_to_steal)).map(|l| l.key.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    const LIMITS: Limits = Limits { max_leases_for_worker: usize::MAX, max_leases_to_steal: 1 };

    /// The model: leases owned by workers, each worker running the plan in turn (takes always
    /// succeed, as when scans do not interleave). Balancing must settle within one lease of
    /// even, with every lease owned.
    fn settle(workers: usize, shards: usize, seed: u64, start_owner: Option<usize>) -> Vec<usize> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let names: Vec<String> = (0..workers).map(|i| format!("w{i}")).collect();
        let mut owners: Vec<Option<usize>> = vec![start_owner; shards];
        for _round in 0..(shards * workers * 4 + 10) {
            for w in 0..workers {
                let views: Vec<View> = owners
                    .iter()
                    .enumerate()
                    .map(|(i, o)| View { key: i.to_string(), owner: o.map(|o| names[o].clone()), expired: false })
                    .collect();
                let held =
                    owners.iter().enumerate().filter(|(_, o)| **o == Some(w)).map(|(i, _)| i.to_string()).collect();
                for key in plan(&names[w], &views, &held, LIMITS, &mut rng) {
                    owners[key.parse::<usize>().unwrap()] = Some(w);
                }
            }
        }
        assert!(owners.iter().all(Option::is_some), "a lease was left unowned: {owners:?}");
        (0..workers).map(|w| owners.iter().filter(|o| **o == Some(w)).count()).collect()
    }

    proptest! {
        #[test]
        fn balancing_settles_within_one_of_even(workers in 1usize..7, shards in 0usize..25, seed: u64, one_owner: bool) {
            let counts = settle(workers, shards, seed, one_owner.then_some(0));
            let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            prop_assert!(max - min <= 1, "{counts:?}");
        }
    }

    #[test]
    fn the_next_expiry_is_the_first_peer_lease_to_go_stale() {
        let lease = |key: &str, owner: Option<&str>, counter: u64| {
            let mut l = Lease::new(key, crate::position::Checkpoint::TrimHorizon);
            l.owner = owner.map(str::to_string);
            l.counter = counter;
            l
        };
        let failover = Duration::from_secs(10);
        let t0 = Instant::now();
        let mut tracker = ExpiryTracker::default();
        let leases = vec![lease("a", Some("peer"), 1), lease("b", Some("me"), 1), lease("c", None, 1)];
        tracker.observe(&leases, t0);
        let at = tracker.next_expiry(&leases, "me", t0, failover).unwrap();
        assert_eq!(at, t0 + failover + Duration::from_millis(10), "only the peer's lease counts");
        // Renewed later: its expiry moves; once past, it is no longer "next".
        let t1 = t0 + Duration::from_secs(3);
        let renewed = vec![lease("a", Some("peer"), 2), lease("b", Some("me"), 1), lease("c", None, 1)];
        tracker.observe(&renewed, t1);
        assert_eq!(tracker.next_expiry(&renewed, "me", t1, failover), Some(t1 + failover + Duration::from_millis(10)));
        let late = t1 + failover + Duration::from_secs(1);
        assert!(tracker.is_expired(&renewed[0], late, failover));
        assert_eq!(tracker.next_expiry(&renewed, "me", late, failover), None);
    }

    #[test]
    fn expired_leases_are_taken_before_stealing() {
        let views = vec![
            View { key: "a".into(), owner: Some("x".into()), expired: true },
            View { key: "b".into(), owner: Some("y".into()), expired: false },
            View { key: "c".into(), owner: Some("y".into()), expired: false },
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(plan("me", &views, &HashSet::new(), LIMITS, &mut rng), vec!["a".to_string()]);
    }

    #[test]
    fn expiry_needs_the_counter_to_stand_still_past_failover() {
        let t0 = Instant::now();
        let failover = Duration::from_secs(10);
        let mut lease = Lease::new("s", crate::position::Checkpoint::TrimHorizon);
        let mut tracker = ExpiryTracker::default();
        tracker.observe(std::slice::from_ref(&lease), t0);
        assert!(!tracker.is_expired(&lease, t0 + Duration::from_secs(5), failover));
        lease.counter += 1;
        tracker.observe(std::slice::from_ref(&lease), t0 + Duration::from_secs(9));
        assert!(!tracker.is_expired(&lease, t0 + Duration::from_secs(15), failover));
        assert!(tracker.is_expired(&lease, t0 + Duration::from_secs(20), failover));
    }
}
