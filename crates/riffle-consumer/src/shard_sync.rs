//! Shard discovery (kinesis-spec §5.3): one lease per shard that needs processing, parents
//! before children, and cleanup of finished leases.
//!
//! The rule, applied to shards in order of their starting sequence number (parents first): a
//! shard without a lease gets one unless some descendant already has one (then it was processed
//! and cleaned up, or lies before where this application started). Its checkpoint is
//! TRIM_HORIZON when a parent has a lease (it continues the parent), else the initial position.
//! On an empty table with LATEST only open shards start. A lease at SHARD_END is deleted once
//! every child has a lease; a child waits for each parent's lease to be gone or at SHARD_END.
//! A lease whose shard the stream no longer lists (closed and past retention) is deleted once two
//! syncs in a row found it missing — otherwise its children would wait for it forever.

use crate::error::{KinesisError, LeaseTableError, WorkerError, boxed};
use crate::lease::Lease;
use crate::lease_table::LeaseTable;
use crate::metrics::{self, names};
use crate::position::{Checkpoint, InitialPosition, compare_decimal};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::Shard;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub created: Vec<String>,
    pub deleted: Vec<String>,
}

/// Every shard of the stream, closed ones included.
pub(crate) async fn list_shards(client: &Client, stream: &str) -> Result<Vec<Shard>, KinesisError> {
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream),
        };
        let out = req.send().await.map_err(|e| KinesisError { op: "ListShards", source: boxed(e) })?;
        shards.extend(out.shards().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(shards);
        }
    }
}

pub(crate) fn parents(shard: &Shard) -> Vec<String> {
    shard.parent_shard_id().into_iter().chain(shard.adjacent_parent_shard_id()).map(str::to_string).collect()
}

/// The leases to create, given the shards and the leases that exist (pure, for testing).
pub(crate) fn plan(shards: &[Shard], leased: &HashSet<String>, initial: InitialPosition) -> Vec<Lease> {
    let mut ordered: Vec<&Shard> = shards.iter().collect();
    ordered.sort_by(|a, b| {
        let start = |s: &Shard| s.sequence_number_range().map(|r| r.starting_sequence_number().to_string());
        compare_decimal(&start(a).unwrap_or_default(), &start(b).unwrap_or_default())
    });
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in shards {
        for p in [s.parent_shard_id(), s.adjacent_parent_shard_id()].into_iter().flatten() {
            children.entry(p).or_default().push(s.shard_id());
        }
    }
    let mut has_lease: HashSet<String> = leased.clone();
    let only_open = leased.is_empty() && initial == InitialPosition::Latest;
    let mut out = Vec::new();
    for shard in ordered {
        let id = shard.shard_id();
        let open = shard.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none());
        if has_lease.contains(id) || (only_open && !open) || descendant_leased(id, &children, &has_lease) {
            continue;
        }
        let parent_ids = parents(shard);
        let checkpoint =
            if parent_ids.iter().any(|p| has_lease.contains(p)) { Checkpoint::TrimHorizon } else { initial.sentinel() };
        let mut lease = Lease::new(id, checkpoint);
        lease.parent_shard_ids = parent_ids;
        lease.hash_key_range =
            shard.hash_key_range().map(|r| (r.starting_hash_key().to_string(), r.ending_hash_key().to_string()));
        has_lease.insert(id.to_string());
        out.push(lease);
    }
    out
}

fn descendant_leased(id: &str, children: &HashMap<&str, Vec<&str>>, leased: &HashSet<String>) -> bool {
    let mut stack: Vec<&str> = children.get(id).cloned().unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some(c) = stack.pop() {
        if !seen.insert(c) {
            continue;
        }
        if leased.contains(c) {
            return true;
        }
        stack.extend(children.get(c).into_iter().flatten());
    }
    false
}

/// Leases without a shard in the stream's listing, and since when each has been found so.
pub(crate) type Missing = HashMap<String, Instant>;

/// Leases of shards the stream no longer lists that have stayed missing for at least `min_age`.
/// Time, not a count of syncs, decides: a lease created by a peer between our ListShards and
/// our Scan looks missing once, and its shard is listed at the next sync. (Its counter does not
/// matter: a worker may hold and renew the lease of a shard that is gone — that is the lease
/// this exists to remove.) An empty shard list (a stream being deleted, or an answer to
/// distrust) deletes nothing.
pub(crate) fn vanished(
    leases: &[Lease],
    shards: &[Shard],
    missing: &mut Missing,
    now: Instant,
    min_age: Duration,
) -> Vec<String> {
    if shards.is_empty() {
        missing.clear();
        return Vec::new();
    }
    let listed: HashSet<&str> = shards.iter().map(Shard::shard_id).collect();
    let mut next = Missing::new();
    let mut gone = Vec::new();
    for l in leases.iter().filter(|l| !listed.contains(l.key.as_str())) {
        let since = missing.get(&l.key).copied().unwrap_or(now);
        if now.duration_since(since) >= min_age {
            gone.push(l.key.clone());
        }
        next.insert(l.key.clone(), since);
    }
    gone.sort();
    *missing = next;
    gone
}

/// Lists shards and leases, creates missing leases and deletes finished ones and those of
/// shards gone from the stream for at least `min_age` (see [`vanished`]).
pub(crate) async fn sync(
    client: &Client,
    table: &LeaseTable,
    stream: &str,
    initial: InitialPosition,
    missing: &mut Missing,
    min_age: Duration,
) -> Result<SyncReport, WorkerError> {
    let shards = list_shards(client, stream).await?;
    let leases = table.list().await?;
    let mut report = SyncReport::default();
    for key in vanished(&leases, &shards, missing, Instant::now(), min_age) {
        if table.delete(&key).await? {
            tracing::info!(shard = %key, "deleted the lease of a shard the stream no longer has");
            report.deleted.push(key);
        }
    }
    let leases: Vec<Lease> = leases.into_iter().filter(|l| !report.deleted.contains(&l.key)).collect();
    let leased: HashSet<String> = leases.iter().map(|l| l.key.clone()).collect();
    for lease in plan(&shards, &leased, initial) {
        if table.create_if_absent(&lease).await? {
            metrics::shard_event(names::CREATED_LEASES, &lease.key);
            report.created.push(lease.key);
        }
    }
    let now_leased: HashSet<&str> =
        leased.iter().map(String::as_str).chain(report.created.iter().map(String::as_str)).collect();
    for lease in leases.iter().filter(|l| l.is_shard_end()) {
        let mut kids: Vec<&str> = lease.child_shard_ids.iter().map(String::as_str).collect();
        kids.extend(shards.iter().filter(|s| parents(s).contains(&lease.key)).map(Shard::shard_id));
        if !kids.is_empty() && kids.iter().all(|k| now_leased.contains(k)) && delete(table, &lease.key).await? {
            report.deleted.push(lease.key.clone());
        }
    }
    Ok(report)
}

async fn delete(table: &LeaseTable, key: &str) -> Result<bool, LeaseTableError> {
    table.delete_if_shard_end(key).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::types::{HashKeyRange, SequenceNumberRange};

    fn shard(id: u32, parents: &[u32], start: u64, open: bool) -> Shard {
        let name = |i: u32| format!("shardId-{i:012}");
        Shard::builder()
            .shard_id(name(id))
            .set_parent_shard_id(parents.first().map(|p| name(*p)))
            .set_adjacent_parent_shard_id(parents.get(1).map(|p| name(*p)))
            .hash_key_range(HashKeyRange::builder().starting_hash_key("0").ending_hash_key("9").build().unwrap())
            .sequence_number_range(
                SequenceNumberRange::builder()
                    .starting_sequence_number(start.to_string())
                    .set_ending_sequence_number((!open).then(|| (start + 5).to_string()))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    fn keys(leases: &[Lease]) -> Vec<String> {
        leases.iter().map(|l| l.key.trim_start_matches("shardId-").trim_start_matches('0').to_string()).collect()
    }

    // 0 split into 1 and 2; 1 and 2 merged into 3.
    fn lineage() -> Vec<Shard> {
        vec![
            shard(3, &[1, 2], 30, true),
            shard(0, &[], 10, false),
            shard(1, &[0], 20, false),
            shard(2, &[0], 21, false),
        ]
    }

    #[test]
    fn leases_of_vanished_shards_go_once_missing_for_long_enough() {
        let lease = |i: u32, counter: u64| {
            let mut l = Lease::new(format!("shardId-{i:012}"), Checkpoint::TrimHorizon);
            l.counter = counter;
            l
        };
        let age = Duration::from_secs(60);
        let t0 = Instant::now();
        let mut missing = Missing::new();
        let leases = vec![lease(0, 1), lease(3, 1), lease(9, 1), lease(8, 1)];
        assert!(vanished(&leases, &lineage(), &mut missing, t0, age).is_empty(), "first sight: only remembered");
        // Syncs in quick succession delete nothing: time decides, not the number of syncs.
        assert!(vanished(&leases, &lineage(), &mut missing, t0 + Duration::from_millis(5), age).is_empty());
        // Renewed or not, a lease missing for long enough goes; one seen listed again starts over.
        let later = vec![lease(0, 1), lease(3, 1), lease(9, 7), lease(8, 2)];
        let t1 = t0 + age;
        let mut with_8 = lineage();
        with_8.push(shard(8, &[], 40, true));
        assert_eq!(vanished(&later, &with_8, &mut missing, t0 + Duration::from_secs(1), age), Vec::<String>::new());
        assert_eq!(vanished(&later, &lineage(), &mut missing, t1, age), ["shardId-000000000009"]);
        // An empty listing deletes nothing and forgets.
        assert!(vanished(&later, &[], &mut missing, t1 + age, age).is_empty() && missing.is_empty());
    }

    #[test]
    fn trim_horizon_leases_everything_parents_first() {
        let leases = plan(&lineage(), &HashSet::new(), InitialPosition::TrimHorizon);
        assert_eq!(keys(&leases), ["", "1", "2", "3"]);
        assert_eq!(leases[3].parent_shard_ids.len(), 2);
        assert_eq!(leases[3].checkpoint, Checkpoint::TrimHorizon);
    }

    #[test]
    fn latest_starts_at_open_shards_only_and_never_revisits_ancestors() {
        let leases = plan(&lineage(), &HashSet::new(), InitialPosition::Latest);
        assert_eq!(keys(&leases), ["3"]);
        assert_eq!(leases[0].checkpoint, Checkpoint::Latest);
        let leased = HashSet::from(["shardId-000000000003".to_string()]);
        assert!(plan(&lineage(), &leased, InitialPosition::TrimHorizon).is_empty());
    }

    #[test]
    fn children_of_a_leased_parent_continue_it_from_trim_horizon() {
        let leased = HashSet::from(["shardId-000000000001".to_string()]);
        let leases = plan(&lineage(), &leased, InitialPosition::Latest);
        // 2 (the merge's other parent) comes first, then the merge child.
        assert_eq!(keys(&leases), ["2", "3"]);
        assert_eq!(leases[1].checkpoint, Checkpoint::TrimHorizon);
    }
}
