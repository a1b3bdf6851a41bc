//! On-demand scaling: the server splits the hot shards of ON_DEMAND streams and merges cold
//! neighbours back, as Kinesis does behind its on-demand mode.
//!
//! # Policy
//!
//! Every `window` the server looks at the write *demand* each open shard of an on-demand
//! stream saw: records and bytes offered to it by PutRecord(s), throttled ones included (with
//! `--enforce-limits` a saturated shard admits only its limit, and the rest is exactly the
//! demand that scaling must serve). A shard's load is the larger of records/s over 1,000 and
//! bytes/s over 1 MiB: 1.0 is one shard's write limit.
//!
//! - **Split**: a shard whose load, averaged over the last `split_after` windows, is above
//!   `split_above` (sustained demand: an average, so bursty writers that leave some windows
//!   empty still count) is split at the median hash key of the records it was offered (sampled), so each child
//!   takes about half of the traffic wherever it concentrates in the key range — a hot key
//!   range is isolated in a few steps, not halved blindly. A shard whose traffic is one hash
//!   key cannot be helped by splitting and is left alone, as on AWS.
//! - **Merge**: two adjacent open shards whose combined load stays below `merge_below` for
//!   `merge_after` windows in a row are merged, never below `min_shards` open shards (AWS's
//!   on-demand streams start with, and keep, 4).
//! - At most one resharding per stream per window, and none while the stream is not ACTIVE:
//!   a resharding puts the stream in UPDATING for the configured update delay, like
//!   SplitShard and MergeShards do. The shards a resharding closed take their history with
//!   them; their children start afresh.
//!
//! The knobs are `riffle serve --autoscale-*` flags; `--no-autoscale` turns it off.

use crate::catalog::{StreamMode, StreamStatus};
use crate::state::App;
use parking_lot::Mutex;
use riffle_types::ShardKey;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hash keys kept per shard and window to find where its traffic is.
const SAMPLES: usize = 256;
const MIB: f64 = 1024.0 * 1024.0;

/// When to split and merge; see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub enabled: bool,
    pub window: Duration,
    pub split_above: f64,
    pub split_after: u32,
    pub merge_below: f64,
    pub merge_after: u32,
    pub min_shards: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            enabled: true,
            window: Duration::from_secs(1),
            split_above: 1.0,
            split_after: 5,
            merge_below: 0.1,
            merge_after: 300,
            min_shards: 4,
        }
    }
}

/// Write demand of one shard during the current window.
#[derive(Debug, Default, Clone)]
struct ShardDemand {
    records: u64,
    bytes: u64,
    samples: Vec<u128>,
}

/// Write demand on the shards of on-demand streams, noted by PutRecord(s).
#[derive(Debug, Default)]
pub struct Demand {
    shards: Mutex<HashMap<ShardKey, ShardDemand>>,
}

impl Demand {
    /// Notes records offered to shards (hash key and size each), admitted or not.
    pub fn offer(&self, records: &[(ShardKey, u128, usize)]) {
        let mut shards = self.shards.lock();
        for &(shard, hash, bytes) in records {
            let d = shards.entry(shard).or_default();
            d.records += 1;
            d.bytes += bytes as u64;
            // Reservoir sampling: every record offered this window is equally likely kept.
            if d.samples.len() < SAMPLES {
                d.samples.push(hash);
            } else {
                let j = rand::random_range(0..d.records) as usize;
                if j < SAMPLES {
                    d.samples[j] = hash;
                }
            }
        }
    }

    fn take(&self) -> HashMap<ShardKey, ShardDemand> {
        std::mem::take(&mut *self.shards.lock())
    }
}

/// An open shard as the policy sees it at the end of a window.
#[derive(Debug, Clone)]
pub struct OpenShard {
    pub index: u32,
    pub start: u128,
    pub end: u128,
    /// Demand over the window as a fraction of one shard's write limit.
    pub load: f64,
    /// Sampled hash keys of the records offered.
    pub samples: Vec<u128>,
}

/// What the policy asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Split { shard: u32, at: u128 },
    Merge { shard: u32, adjacent: u32 },
}

/// A shard's loads over the last `split_after` windows, and how many windows in a row it
/// (with its upper neighbour) has been cold.
#[derive(Debug, Default, Clone)]
struct Streak {
    recent: std::collections::VecDeque<f64>,
    cold: u32,
}

impl Streak {
    fn sustained(&self, windows: u32) -> Option<f64> {
        (self.recent.len() >= windows as usize).then(|| self.recent.iter().sum::<f64>() / self.recent.len() as f64)
    }
}

/// The streaks of one stream's shards, by shard index.
#[derive(Debug, Default)]
pub struct Streaks(HashMap<u32, Streak>);

impl Policy {
    /// Updates the streaks with one window's loads (`open` sorted by starting hash key) and
    /// says what to do, if anything.
    pub fn decide(&self, open: &[OpenShard], streaks: &mut Streaks) -> Option<Action> {
        streaks.0.retain(|i, _| open.iter().any(|s| s.index == *i));
        for s in open {
            let st = streaks.0.entry(s.index).or_default();
            st.recent.push_back(s.load);
            while st.recent.len() > self.split_after as usize {
                st.recent.pop_front();
            }
        }
        let hottest = open
            .iter()
            .filter_map(|s| Some((s, streaks.0[&s.index].sustained(self.split_after)?)))
            .filter(|&(_, load)| load > self.split_above)
            .filter_map(|(s, load)| split_point(s).map(|at| (s, at, load)))
            .max_by(|(_, _, a), (_, _, b)| a.total_cmp(b));
        if let Some((s, at, _)) = hottest {
            return Some(Action::Split { shard: s.index, at });
        }
        // A pair is cold together: streaks count on the lower shard of each adjacent pair.
        let mut merge = None;
        for pair in open.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let cold = a.end.checked_add(1) == Some(b.start) && a.load + b.load < self.merge_below;
            let st = streaks.0.get_mut(&a.index).expect("inserted above");
            st.cold = if cold { st.cold + 1 } else { 0 };
            if merge.is_none() && st.cold >= self.merge_after && open.len() as u32 > self.min_shards {
                merge = Some(Action::Merge { shard: a.index, adjacent: b.index });
            }
        }
        if let Some(last) = open.last() {
            streaks.0.get_mut(&last.index).expect("inserted above").cold = 0;
        }
        merge
    }
}

/// Where to split a hot shard so its children share its traffic: the median sampled hash key,
/// if SplitShard accepts it (`start + 1 < at < end`) and samples fall on both sides.
fn split_point(s: &OpenShard) -> Option<u128> {
    let mut keys = s.samples.clone();
    keys.sort_unstable();
    let median = *keys.get(keys.len() / 2)?;
    // The first key at or above the median that leaves samples below it.
    let at = if keys[0] < median { median } else { keys.iter().copied().find(|&k| k > median)? };
    (at > s.start.saturating_add(1) && at < s.end).then_some(at)
}

/// Runs the policy every window until shutdown.
pub async fn run(app: Arc<App>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let policy = app.config.autoscale.clone();
    if !policy.enabled {
        return;
    }
    let mut streaks: HashMap<u32, Streaks> = HashMap::new();
    let mut last = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(policy.window) => {}
            _ = shutdown.changed() => return,
        }
        let secs = last.elapsed().as_secs_f64().max(1e-3);
        last = Instant::now();
        let mut demand = app.demand.take();
        let mut wanted = Vec::new();
        {
            let cat = app.catalog.read();
            let on_demand: Vec<_> = cat.streams.values().filter(|s| s.mode == StreamMode::OnDemand).collect();
            streaks.retain(|uid, _| on_demand.iter().any(|s| s.uid == *uid));
            for s in on_demand.into_iter().filter(|s| s.status == StreamStatus::Active) {
                let mut open: Vec<OpenShard> = s
                    .shards
                    .iter()
                    .filter(|sh| sh.is_open())
                    .map(|sh| {
                        let d = demand.remove(&s.shard_key(sh.index)).unwrap_or_default();
                        let load = (d.records as f64 / 1000.0).max(d.bytes as f64 / MIB) / secs;
                        OpenShard { index: sh.index, start: sh.start, end: sh.end, load, samples: d.samples }
                    })
                    .collect();
                open.sort_by_key(|sh| sh.start);
                if let Some(action) = policy.decide(&open, streaks.entry(s.uid).or_default()) {
                    wanted.push((s.name.clone(), action));
                }
            }
        }
        for (name, action) in wanted {
            match crate::ops::resharding::scale(&app, &name, action).await {
                Ok(()) => tracing::info!(stream = %name, ?action, "on-demand scaling"),
                Err(e) => tracing::warn!(stream = %name, ?action, error = ?e, "on-demand scaling refused"),
            }
        }
    }
}

#[cfg(test)]
mod tests;
