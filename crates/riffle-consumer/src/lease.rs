//! A lease as the KCL stores it in DynamoDB, attribute for attribute (kinesis-spec §5.1), so a
//! table can be inspected with the KCL's tooling and knowledge. Note `parentShardId`: singular
//! name, string-set value, as the KCL writes it.

use crate::error::LeaseTableError;
use crate::position::Checkpoint;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub(crate) const LEASE_KEY: &str = "leaseKey";
pub(crate) const LEASE_OWNER: &str = "leaseOwner";
pub(crate) const LEASE_COUNTER: &str = "leaseCounter";
pub(crate) const CHECKPOINT: &str = "checkpoint";
pub(crate) const CHECKPOINT_SUB: &str = "checkpointSubSequenceNumber";
pub(crate) const PENDING: &str = "pendingCheckpoint";
pub(crate) const PENDING_SUB: &str = "pendingCheckpointSubSequenceNumber";
pub(crate) const PENDING_STATE: &str = "pendingCheckpointState";
pub(crate) const OWNER_SWITCHES: &str = "ownerSwitchesSinceCheckpoint";
pub(crate) const CHECKPOINT_OWNER: &str = "checkpointOwner";
pub(crate) const PARENTS: &str = "parentShardId";
pub(crate) const CHILDREN: &str = "childShardIds";
pub(crate) const STARTING_HASH_KEY: &str = "startingHashKey";
pub(crate) const ENDING_HASH_KEY: &str = "endingHashKey";

pub(crate) type Item = HashMap<String, AttributeValue>;

/// One row of the lease table: one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The shard id.
    pub key: String,
    /// The worker holding it; `None` when free to take.
    pub owner: Option<String>,
    /// Bumped by every write: liveness for others, and the fence of every conditional write.
    pub counter: u64,
    /// During a graceful handoff (KCL 3's attribute): the previous owner, still allowed to
    /// checkpoint while it shuts its processor down; the new owner starts once it is gone.
    pub checkpoint_owner: Option<String>,
    pub checkpoint: Checkpoint,
    /// A prepared (two-phase) checkpoint not yet committed, with the application's state.
    pub pending_checkpoint: Option<(Checkpoint, Option<Vec<u8>>)>,
    pub owner_switches_since_checkpoint: u64,
    pub parent_shard_ids: Vec<String>,
    pub child_shard_ids: Vec<String>,
    /// The shard's hash key range, inclusive, as decimal strings.
    pub hash_key_range: Option<(String, String)>,
}

impl Lease {
    /// A new, unowned lease for a shard.
    pub fn new(key: impl Into<String>, checkpoint: Checkpoint) -> Self {
        Self {
            key: key.into(),
            owner: None,
            counter: 0,
            checkpoint_owner: None,
            checkpoint,
            pending_checkpoint: None,
            owner_switches_since_checkpoint: 0,
            parent_shard_ids: Vec::new(),
            child_shard_ids: Vec::new(),
            hash_key_range: None,
        }
    }

    pub fn is_shard_end(&self) -> bool {
        self.checkpoint == Checkpoint::ShardEnd
    }

    pub(crate) fn to_item(&self) -> Item {
        let mut item = Item::new();
        item.insert(LEASE_KEY.into(), s(&self.key));
        if let Some(owner) = &self.owner {
            item.insert(LEASE_OWNER.into(), s(owner));
        }
        item.insert(LEASE_COUNTER.into(), n(self.counter));
        if let Some(previous) = &self.checkpoint_owner {
            item.insert(CHECKPOINT_OWNER.into(), s(previous));
        }
        let (cp, sub) = self.checkpoint.to_stored();
        item.insert(CHECKPOINT.into(), s(cp));
        item.insert(CHECKPOINT_SUB.into(), n(sub));
        if let Some((pending, state)) = &self.pending_checkpoint {
            let (p, psub) = pending.to_stored();
            item.insert(PENDING.into(), s(p));
            item.insert(PENDING_SUB.into(), n(psub));
            if let Some(state) = state {
                item.insert(PENDING_STATE.into(), AttributeValue::B(Blob::new(state.clone())));
            }
        }
        item.insert(OWNER_SWITCHES.into(), n(self.owner_switches_since_checkpoint));
        // DynamoDB refuses empty sets: absent means none.
        if !self.parent_shard_ids.is_empty() {
            item.insert(PARENTS.into(), AttributeValue::Ss(self.parent_shard_ids.clone()));
        }
        if !self.child_shard_ids.is_empty() {
            item.insert(CHILDREN.into(), AttributeValue::Ss(self.child_shard_ids.clone()));
        }
        if let Some((start, end)) = &self.hash_key_range {
            item.insert(STARTING_HASH_KEY.into(), s(start));
            item.insert(ENDING_HASH_KEY.into(), s(end));
        }
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, LeaseTableError> {
        let key = get_s(item, LEASE_KEY)?.ok_or_else(|| LeaseTableError::Malformed("no leaseKey".into()))?;
        let checkpoint = match get_s(item, CHECKPOINT)? {
            Some(cp) => Checkpoint::from_stored(&cp, get_n(item, CHECKPOINT_SUB)?.unwrap_or(0)),
            None => Checkpoint::TrimHorizon,
        };
        let pending = match get_s(item, PENDING)? {
            Some(p) => {
                let state = match item.get(PENDING_STATE) {
                    Some(AttributeValue::B(b)) => Some(b.clone().into_inner()),
                    _ => None,
                };
                Some((Checkpoint::from_stored(&p, get_n(item, PENDING_SUB)?.unwrap_or(0)), state))
            }
            None => None,
        };
        let hash_key_range = match (get_s(item, STARTING_HASH_KEY)?, get_s(item, ENDING_HASH_KEY)?) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        Ok(Self {
            owner: get_s(item, LEASE_OWNER)?,
            counter: get_n(item, LEASE_COUNTER)?.unwrap_or(0),
            checkpoint_owner: get_s(item, CHECKPOINT_OWNER)?,
            checkpoint,
            pending_checkpoint: pending,
            owner_switches_since_checkpoint: get_n(item, OWNER_SWITCHES)?.unwrap_or(0),
            parent_shard_ids: get_ss(item, PARENTS),
            child_shard_ids: get_ss(item, CHILDREN),
            hash_key_range,
            key,
        })
    }
}

pub(crate) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

pub(crate) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s(item: &Item, name: &str) -> Result<Option<String>, LeaseTableError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
        Some(other) => Err(LeaseTableError::Malformed(format!("{name} is not a string: {other:?}"))),
    }
}

fn get_n(item: &Item, name: &str) -> Result<Option<u64>, LeaseTableError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(v)) => {
            v.parse().map(Some).map_err(|_| LeaseTableError::Malformed(format!("{name} is not a count: {v}")))
        }
        Some(other) => Err(LeaseTableError::Malformed(format!("{name} is not a number: {other:?}"))),
    }
}

/// A string set, or a lone string (tolerated: some tools write a parent id as `S`).
fn get_ss(item: &Item, name: &str) -> Vec<String> {
    match item.get(name) {
        Some(AttributeValue::Ss(v)) => v.clone(),
        Some(AttributeValue::S(v)) => vec![v.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::position::SequencePosition;

    #[test]
    fn a_full_lease_round_trips_through_an_item() {
        let lease = Lease {
            key: "shardId-000000000002".into(),
            owner: Some("w1".into()),
            counter: 7,
            checkpoint_owner: Some("w0".into()),
            checkpoint: Checkpoint::At(SequencePosition::new("4000000", 3)),
            pending_checkpoint: Some((Checkpoint::At(SequencePosition::new("4000009", 0)), Some(vec![1, 2]))),
            owner_switches_since_checkpoint: 2,
            parent_shard_ids: vec!["shardId-000000000000".into()],
            child_shard_ids: vec![],
            hash_key_range: Some(("0".into(), "170141183460469231731687303715884105727".into())),
        };
        let item = lease.to_item();
        assert!(matches!(item.get(PARENTS), Some(AttributeValue::Ss(_))));
        assert!(!item.contains_key(CHILDREN), "empty sets are left out");
        assert_eq!(Lease::from_item(&item).unwrap(), lease);
    }
}
