//! SplitShard, MergeShards and UpdateShardCount.
//!
//! A resharding closes parent shards at an EndingSequenceNumber and opens children (larger
//! indices, so their sequence numbers sort after every parent's) that take the writes at once.
//! The stream goes UPDATING and, after the configured delay, ACTIVE again.
//!
//! # Closing a shard without losing a write
//!
//! PutRecord/PutRecords route a record to a shard under the catalog read lock and only later
//! await its append. Were a shard closed in between, the record would land after the parent's
//! EndingSequenceNumber: acknowledged, yet past the end a reader stops at. Each stream therefore
//! has a write gate (`Stream::write_gate`, a `tokio::sync::RwLock<()>`): writers hold it shared
//! from routing until their append has returned (`records::routed`); a resharding, in
//! [`reshard`]:
//!
//! 1. checks the request under the read lock (refusals never disturb writers);
//! 2. takes the gate exclusively: every write already routed on this stream has now returned
//!    from the log — it is in the log's index, durable under the fsync policy — and every later
//!    write waits, then routes afresh;
//! 3. under the catalog write lock, checks again, reads each parent's last counter from the
//!    log (its ending counter: no write can reach it any more), closes the parents, adds the
//!    children, switches the routes and sets UPDATING;
//! 4. persists the catalog (fsync, rename, fsync dir) — or, if that fails, puts the shards back
//!    in memory and refuses;
//! 5. releases the gate: writes now go to the children.
//!
//! So every acknowledged write to a parent has a counter at or below its end, and none reaches
//! a child before the catalog on disk knows the child.
//!
//! **Crash between the log and the catalog.** Before step 4 completes, the catalog on disk is
//! the old one: parents open, no children; no write was routed to a child (the gate was held),
//! so nothing acknowledged lives outside the parents, which are open and whole again — the
//! resharding itself was never acknowledged. After step 4, the catalog on disk has the
//! children and the parents' ends; every acknowledged parent record is at or below its end
//! (step 2) and every later write went to a child the catalog keeps, so restart's
//! `settle_after_restart` never drops an acknowledged record's shard. Restart settles UPDATING
//! to ACTIVE; the lineage is in the catalog.
//!
//! **Edges.** A request dropped mid-append (the client went away) releases its gate while the
//! log writer may still append its records (appends are not cancelled): such a record can land
//! in a parent after its end. It was never acknowledged, and GetRecords never returns anything
//! past a closed shard's end. With a lax `--fsync`, acknowledged is not durable by policy: after
//! a crash a closed parent may lack its last records, so GetRecords also treats reaching the
//! tip of a closed shard as its end and readers move on to the children.

use super::validate_stream_ref;
use crate::catalog::{Catalog, ClosedShard, Shard, Stream, StreamMode, StreamStatus};
use crate::state::{App, now_ms};
use riffle_proto::shapes_more::{MergeShardsInput, SplitShardInput, UpdateShardCountInput, UpdateShardCountOutput};
use riffle_proto::{ApiError, ErrorCode, Violations};
use riffle_types::{HashKey, ShardId, uniform_ranges};
use std::collections::BTreeMap;
use std::sync::Arc;

const HASH_KEY_PATTERN: &str = "0|([1-9]\\d{0,38})";
/// The most open shards UpdateShardCount may leave on one stream.
const MAX_SHARDS_PER_STREAM: i64 = 10_000;
/// UpdateShardCount calls allowed per stream in any rolling 24 hours (AWS's quota, always on).
const SCALINGS_PER_DAY: usize = 10;
const DAY_MS: i64 = 86_400_000;

/// `0|([1-9]\d{0,38})`.
fn hash_key_pattern(s: &str) -> bool {
    s == "0" || (!s.is_empty() && s.len() <= 39 && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
}

/// AWS refuses to reshard on-demand streams (message as moto's StreamCannotBeUpdatedError).
fn reject_on_demand(app: &App, s: &Stream) -> Result<(), ApiError> {
    if s.mode == StreamMode::OnDemand {
        return Err(ApiError::new(
            ErrorCode::Validation,
            format!("Request is invalid. Stream {} under account {} is in On-Demand mode.", s.name, app.account()),
        ));
    }
    Ok(())
}

/// The shard named `id`, or AWS's ResourceNotFound for it.
fn find_shard<'a>(app: &App, s: &'a Stream, id: &str) -> Result<&'a Shard, ApiError> {
    ShardId::parse(id).and_then(|i| s.shard(i.0)).ok_or_else(|| {
        ApiError::not_found(format!("Could not find shard {id} in stream {} under account {}.", s.name, app.account()))
    })
}

fn require_open(app: &App, s: &Stream, sh: &Shard) -> Result<(), ApiError> {
    if sh.is_open() {
        return Ok(());
    }
    Err(ApiError::invalid_argument(format!(
        "Shard {} in stream {} under account {} has already been merged or split, and thus is not eligible for \
         merging or splitting.",
        ShardId(sh.index),
        s.name,
        app.account()
    )))
}

/// LimitExceeded when `extra` more open shards would pass the account's quota.
fn check_quota(app: &App, open_total: u32, extra: u32) -> Result<(), ApiError> {
    let limit = app.config.shard_limit;
    if u64::from(open_total) + u64::from(extra) <= u64::from(limit) {
        return Ok(());
    }
    Err(ApiError::limit_exceeded(format!(
        "This request would exceed the shard limit for the account {} in {}. Current shard count for the account: \
         {open_total}. Limit: {limit}. Number of additional shards that would have resulted from this request: \
         {extra}. Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) \
         for current limits and how to request higher limits.",
        app.account(),
        app.config.region
    )))
}

fn open_total(cat: &Catalog) -> u32 {
    cat.streams.values().map(Stream::open_shard_count).sum()
}

/// Carries out a resharding of stream `name` as the module documentation describes: `check`
/// refuses or plans (run twice: before the gate, and again under the catalog write lock, as the
/// stream may have changed while the gate was awaited), `apply` carries the plan out.
async fn reshard<P, T>(
    app: &Arc<App>,
    name: &str,
    check: impl Fn(&Catalog, &Stream) -> Result<P, ApiError>,
    apply: impl FnOnce(&mut Reshard<'_>, P) -> T,
) -> Result<T, ApiError> {
    let mut apply = Some(apply);
    loop {
        let gate = {
            let cat = app.catalog.read();
            let s = cat.streams.get(name).ok_or_else(|| app.not_found(name))?;
            check(&cat, s)?;
            Arc::clone(&s.write_gate)
        };
        // Waits for the writes already routed on this stream; later ones wait for us.
        let _gate = Arc::clone(&gate).write_owned().await;
        let (out, undo) = {
            let mut cat = app.catalog.write();
            let s = cat.streams.get(name).ok_or_else(|| app.not_found(name))?;
            if !Arc::ptr_eq(&s.write_gate, &gate) {
                // Deleted and created again while we waited: start over with the new stream.
                continue;
            }
            let plan = check(&cat, s)?;
            let s = cat.streams.get_mut(name).expect("found above");
            let undo = (s.shards.clone(), s.status, s.scalings_ms.clone());
            let next_index = s.shards.iter().map(|sh| sh.index + 1).max().unwrap_or(0);
            let mut r = Reshard { app, s, next_index, now: now_ms() };
            let out = apply.take().expect("applied once")(&mut r, plan);
            r.s.status = StreamStatus::Updating;
            r.s.rebuild_routes();
            (out, undo)
        };
        // Persisted before the gate opens, so no write reaches a child the disk does not know.
        if let Err(e) = app.persist() {
            let mut cat = app.catalog.write();
            if let Some(s) = cat.streams.get_mut(name).filter(|s| Arc::ptr_eq(&s.write_gate, &gate)) {
                (s.shards, s.status, s.scalings_ms) = undo;
                s.rebuild_routes();
            }
            return Err(e);
        }
        drop(_gate);
        super::lifecycle::active_after_update(app, name.to_string());
        return Ok(out);
    }
}

/// A stream being resharded, under the catalog write lock and the stream's write gate.
struct Reshard<'a> {
    app: &'a App,
    s: &'a mut Stream,
    next_index: u32,
    now: i64,
}

impl Reshard<'_> {
    fn shard(&self, index: u32) -> &Shard {
        self.s.shard(index).expect("resharded shards exist")
    }

    /// Closes a shard at the last counter the log gave it. (Shards this resharding created
    /// and closes again — UpdateShardCount's transient ones — were never written: counter 0.)
    fn close(&mut self, index: u32) {
        let ending_counter = self.app.log.shard_state(self.s.shard_key(index)).next_counter.saturating_sub(1);
        let now = self.now;
        let sh = self.s.shards.iter_mut().find(|sh| sh.index == index).expect("resharded shards exist");
        sh.closed = Some(ClosedShard { ending_counter, closed_ms: now });
    }

    fn open(&mut self, start: u128, end: u128, parent: u32, adjacent_parent: Option<u32>) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        self.s.shards.push(Shard {
            index,
            start,
            end,
            parent: Some(parent),
            adjacent_parent,
            created_ms: self.now,
            closed: None,
        });
        index
    }

    /// Splits an open shard: children `[start, at-1]` and `[at, end]`. Needs `start < at <= end`.
    fn split(&mut self, parent: u32, at: u128) -> (u32, u32) {
        let (start, end) = (self.shard(parent).start, self.shard(parent).end);
        debug_assert!(start < at && at <= end);
        self.close(parent);
        (self.open(start, at - 1, parent, None), self.open(at, end, parent, None))
    }

    /// Merges two adjacent open shards into one child (ParentShardId = `parent`).
    fn merge(&mut self, parent: u32, adjacent: u32) -> u32 {
        let (a, b) = (self.shard(parent), self.shard(adjacent));
        let (start, end) = (a.start.min(b.start), a.end.max(b.end));
        self.close(parent);
        self.close(adjacent);
        self.open(start, end, parent, Some(adjacent))
    }
}

/// A step of UpdateShardCount, naming open shards by their starting hash key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Split { start: u128, at: u128 },
    Merge { start: u128, adjacent: u128 },
}

/// The splits and merges that take open shards (`start -> end`) to `target` equal-width
/// shards: first split every shard that a target boundary falls inside, then merge the pieces
/// inside each target range, lowest first. Uniform doubling is one split per shard and halving
/// one merge per pair, as on AWS; other ratios pass through transient shards.
fn uniform_plan(open: &BTreeMap<u128, u128>, target: u32) -> Vec<Step> {
    let mut open = open.clone();
    let targets = uniform_ranges(target);
    let mut steps = Vec::new();
    for t in &targets[1..] {
        let (&start, &end) = open.range(..=t.start).next_back().expect("open shards tile the key space");
        if start != t.start {
            steps.push(Step::Split { start, at: t.start });
            open.insert(start, t.start - 1);
            open.insert(t.start, end);
        }
    }
    for t in &targets {
        loop {
            let mut pieces = open.range(t.start..=t.end);
            let (Some((&start, _)), Some((&adjacent, &end))) = (pieces.next(), pieces.next()) else { break };
            steps.push(Step::Merge { start, adjacent });
            open.remove(&adjacent);
            open.insert(start, end);
        }
    }
    steps
}

fn open_ranges(s: &Stream) -> BTreeMap<u128, u128> {
    s.shards.iter().filter(|sh| sh.is_open()).map(|sh| (sh.start, sh.end)).collect()
}

pub async fn split(app: &Arc<App>, input: SplitShardInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.shard_to_split, "shardToSplit");
    v.name(input.shard_to_split.as_deref(), "shardToSplit");
    v.required(&input.new_starting_hash_key, "newStartingHashKey");
    if let Some(k) = input.new_starting_hash_key.as_deref().filter(|k| !hash_key_pattern(k)) {
        v.pattern_failed(k, "newStartingHashKey", HASH_KEY_PATTERN);
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let (id, key) = (input.shard_to_split.expect("validated"), input.new_starting_hash_key.expect("validated"));
    let check = |cat: &Catalog, s: &Stream| {
        let sh = find_shard(app, s, &id)?;
        reject_on_demand(app, s)?;
        app.require_active(s)?;
        require_open(app, s, sh)?;
        check_quota(app, open_total(cat), 1)?;
        let at = HashKey::parse(&key).map(|k| k.0).filter(|&k| k > sh.start.saturating_add(1) && k < sh.end);
        let Some(at) = at else {
            return Err(ApiError::invalid_argument(format!(
                "NewStartingHashKey {key} used in SplitShard() on shard {id} in stream {name} under account {} is \
                 not both greater than one plus the shard's StartingHashKey {} and less than the shard's \
                 EndingHashKey {}.",
                app.account(),
                sh.start,
                sh.end
            )));
        };
        Ok((sh.index, at))
    };
    reshard(app, &name, check, |r, (parent, at)| {
        r.split(parent, at);
    })
    .await
}

pub async fn merge(app: &Arc<App>, input: MergeShardsInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.shard_to_merge, "shardToMerge");
    v.name(input.shard_to_merge.as_deref(), "shardToMerge");
    v.required(&input.adjacent_shard_to_merge, "adjacentShardToMerge");
    v.name(input.adjacent_shard_to_merge.as_deref(), "adjacentShardToMerge");
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let (a, b) = (input.shard_to_merge.expect("validated"), input.adjacent_shard_to_merge.expect("validated"));
    let check = |_: &Catalog, s: &Stream| {
        let (first, second) = (find_shard(app, s, &a)?, find_shard(app, s, &b)?);
        reject_on_demand(app, s)?;
        app.require_active(s)?;
        require_open(app, s, first)?;
        require_open(app, s, second)?;
        let adjacent = first.end.checked_add(1) == Some(second.start) || second.end.checked_add(1) == Some(first.start);
        if !adjacent {
            return Err(ApiError::invalid_argument(format!(
                "Shards {a} and {b} in stream {name} under account {} are not an adjacent pair of shards eligible \
                 for merging",
                app.account()
            )));
        }
        Ok((first.index, second.index))
    };
    reshard(app, &name, check, |r, (parent, adjacent)| {
        r.merge(parent, adjacent);
    })
    .await
}

pub async fn update_shard_count(
    app: &Arc<App>,
    input: UpdateShardCountInput,
) -> Result<UpdateShardCountOutput, ApiError> {
    let mut v = Violations::new();
    v.required(&input.target_shard_count, "targetShardCount");
    v.range(input.target_shard_count, "targetShardCount", Some(1), None);
    v.required(&input.scaling_type, "scalingType");
    v.one_of(input.scaling_type.as_deref(), "scalingType", &["UNIFORM_SCALING"]);
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let target = input.target_shard_count.expect("validated");
    let check = |cat: &Catalog, s: &Stream| {
        reject_on_demand(app, s)?;
        app.require_active(s)?;
        let open = i64::from(s.open_shard_count());
        // Wording as kinesalite's updateShardCount.
        let counts = format!("Current open shard count: {open}, Target shard count: {target}");
        if target > MAX_SHARDS_PER_STREAM {
            return Err(ApiError::limit_exceeded(format!(
                "Target shard count or number of open shards cannot be greater than {MAX_SHARDS_PER_STREAM}. {counts}"
            )));
        }
        if target > open * 2 {
            return Err(ApiError::limit_exceeded(format!(
                "UpdateShardCount cannot scale up over double your current open shard count. {counts}"
            )));
        }
        if target * 2 < open {
            return Err(ApiError::limit_exceeded(format!(
                "UpdateShardCount cannot scale down below half your current open shard count. {counts}"
            )));
        }
        let day_ago = now_ms() - DAY_MS;
        if s.scalings_ms.iter().filter(|&&t| t > day_ago).count() >= SCALINGS_PER_DAY {
            // Wording as kinesis-mock's.
            return Err(ApiError::limit_exceeded(format!(
                "Cannot run UpdateShardCount more than {SCALINGS_PER_DAY} times in a 24 hour period"
            )));
        }
        let target = target as u32; // 1..=10,000, checked above
        let steps = uniform_plan(&open_ranges(s), target);
        // Transient shards count toward the quota: the splits all happen before any merge.
        let splits = steps.iter().filter(|st| matches!(st, Step::Split { .. })).count();
        check_quota(app, open_total(cat), u32::try_from(splits).unwrap_or(u32::MAX))?;
        Ok((open as u32, target, steps))
    };
    let (current, target) = reshard(app, &name, check, |r, (current, target, steps)| {
        let mut open: BTreeMap<u128, u32> =
            r.s.shards.iter().filter(|sh| sh.is_open()).map(|sh| (sh.start, sh.index)).collect();
        for step in steps {
            match step {
                Step::Split { start, at } => {
                    let (low, high) = r.split(open[&start], at);
                    open.insert(start, low);
                    open.insert(at, high);
                }
                Step::Merge { start, adjacent } => {
                    let high = open.remove(&adjacent).expect("planned on open shards");
                    let child = r.merge(open[&start], high);
                    open.insert(start, child);
                }
            }
        }
        let day_ago = r.now - DAY_MS;
        r.s.scalings_ms.retain(|&t| t > day_ago);
        r.s.scalings_ms.push(r.now);
        (current, target)
    })
    .await?;
    Ok(UpdateShardCountOutput {
        stream_arn: app.stream_arn(&name),
        stream_name: name,
        current_shard_count: current,
        target_shard_count: target,
    })
}

/// On-demand scaling's own resharding (`crate::autoscale`): SplitShard's and MergeShards'
/// checks, for a stream that must still be ON_DEMAND rather than must not be.
pub(crate) async fn scale(app: &Arc<App>, name: &str, action: crate::autoscale::Action) -> Result<(), ApiError> {
    use crate::autoscale::Action;
    let check = |cat: &Catalog, s: &Stream| {
        if s.mode != StreamMode::OnDemand {
            return Err(ApiError::invalid_argument(format!("Stream {} is no longer in On-Demand mode.", s.name)));
        }
        app.require_active(s)?;
        let shard =
            |i: u32| find_shard(app, s, &ShardId(i).to_string()).and_then(|sh| require_open(app, s, sh).map(|()| sh));
        match action {
            Action::Split { shard: i, at } => {
                let sh = shard(i)?;
                check_quota(app, open_total(cat), 1)?;
                if !(at > sh.start.saturating_add(1) && at < sh.end) {
                    return Err(ApiError::invalid_argument(format!("{at} cannot split {}", ShardId(i))));
                }
            }
            Action::Merge { shard: a, adjacent: b } => {
                let (a, b) = (shard(a)?, shard(b)?);
                if a.end.checked_add(1) != Some(b.start) {
                    return Err(ApiError::invalid_argument("shards are not adjacent"));
                }
            }
        }
        Ok(())
    };
    reshard(app, name, check, |r, ()| match action {
        Action::Split { shard, at } => {
            r.split(shard, at);
        }
        Action::Merge { shard, adjacent } => {
            r.merge(shard, adjacent);
        }
    })
    .await
}
