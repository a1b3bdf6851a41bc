//! The lease table in DynamoDB, through aws-sdk-dynamodb (so it runs on real DynamoDB as on
//! `riffle serve`). Every write that changes a lease expects the `leaseCounter` last seen and
//! bumps it: the counter is both the liveness signal other workers watch and the fence that keeps
//! a worker which lost a lease from writing to it.

use crate::error::{LeaseTableError, boxed};
use crate::lease::*;
use crate::position::Checkpoint;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};
use std::time::Duration;

/// A write made under the fence of a held lease (see [`LeaseTable::fenced_write`]).
#[derive(Debug, Clone)]
pub(crate) enum FencedWrite {
    Renew,
    Checkpoint(Checkpoint),
    Prepare(Checkpoint, Option<Vec<u8>>),
    Children(Vec<String>),
    Release,
    /// The new owner ends a handoff the previous owner did not finish in time.
    ClaimCheckpoint,
}

/// What a [`FencedWrite`] is conditioned on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fence {
    /// The holder's last written `leaseCounter`.
    Counter(u64),
    /// Being the lease's `checkpointOwner` (the previous owner, during a graceful handoff).
    Handoff,
}

/// A handle on one application's lease table.
#[derive(Debug, Clone)]
pub struct LeaseTable {
    client: Client,
    name: String,
}

fn classify<E, R>(op: &'static str, key: &str, e: SdkError<E, R>) -> LeaseTableError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if e.code() == Some("ConditionalCheckFailedException") {
        LeaseTableError::ConditionFailed(key.to_string())
    } else {
        LeaseTableError::Dynamo { op, source: boxed(e) }
    }
}

/// A conditional write's outcome: done, or not done because its condition did not hold.
fn applied<T>(result: Result<T, LeaseTableError>) -> Result<bool, LeaseTableError> {
    match result {
        Ok(_) => Ok(true),
        Err(LeaseTableError::ConditionFailed(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

impl LeaseTable {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates the table (hash key `leaseKey`, on demand) unless it exists, and waits until it
    /// is ACTIVE.
    pub async fn ensure_exists(&self) -> Result<(), LeaseTableError> {
        let described = self.client.describe_table().table_name(&self.name).send().await;
        match described {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                let created = self
                    .client
                    .create_table()
                    .table_name(&self.name)
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name(LEASE_KEY)
                            .key_type(KeyType::Hash)
                            .build()
                            .expect("name and key type are set"),
                    )
                    .attribute_definitions(
                        AttributeDefinition::builder()
                            .attribute_name(LEASE_KEY)
                            .attribute_type(ScalarAttributeType::S)
                            .build()
                            .expect("name and type are set"),
                    )
                    .billing_mode(BillingMode::PayPerRequest)
                    .send()
                    .await;
                match created {
                    Ok(_) => {}
                    // Another worker created it first.
                    Err(e) if e.code() == Some("ResourceInUseException") => {}
                    Err(e) => return Err(classify("CreateTable", &self.name, e)),
                }
            }
            Err(e) => return Err(classify("DescribeTable", &self.name, e)),
        }
        for _ in 0..600 {
            let d = self.client.describe_table().table_name(&self.name).send().await;
            let d = d.map_err(|e| classify("DescribeTable", &self.name, e))?;
            if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(LeaseTableError::NotActive(self.name.clone()))
    }

    /// Every lease, read consistently.
    pub async fn list(&self) -> Result<Vec<Lease>, LeaseTableError> {
        let mut leases = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.name)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("Scan", &self.name, e))?;
            for item in page.items() {
                leases.push(Lease::from_item(item)?);
            }
            start = page.last_evaluated_key().filter(|k| !k.is_empty()).cloned();
            if start.is_none() {
                return Ok(leases);
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Lease>, LeaseTableError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .key(LEASE_KEY, s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", key, e))?;
        out.item().map(Lease::from_item).transpose()
    }

    /// Writes a new lease unless one exists for the shard; false if one did.
    pub async fn create_if_absent(&self, lease: &Lease) -> Result<bool, LeaseTableError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(lease.to_item()))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", LEASE_KEY)
            .send()
            .await;
        applied(put.map_err(|e| classify("PutItem", &lease.key, e)))
    }

    /// Takes `seen` for `owner` if nobody wrote it since it was read; returns the new counter.
    pub async fn take(&self, seen: &Lease, owner: &str) -> Result<u64, LeaseTableError> {
        self.take_from(seen, owner, None).await
    }

    /// Takes `seen` for `owner`, as [`LeaseTable::take`]. With `handoff_from`, the previous
    /// owner (alive, being stolen from) stays the lease's `checkpointOwner` until it has
    /// checkpointed and let go; without, any stale `checkpointOwner` is cleared.
    pub async fn take_from(
        &self,
        seen: &Lease,
        owner: &str,
        handoff_from: Option<&str>,
    ) -> Result<u64, LeaseTableError> {
        let next = seen.counter + 1;
        let switched = seen.owner.as_deref() != Some(owner);
        let switches = seen.owner_switches_since_checkpoint + u64::from(switched);
        let req = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(LEASE_KEY, s(&seen.key))
            .condition_expression("#c = :seen")
            .expression_attribute_names("#o", LEASE_OWNER)
            .expression_attribute_names("#c", LEASE_COUNTER)
            .expression_attribute_names("#sw", OWNER_SWITCHES)
            .expression_attribute_names("#co", CHECKPOINT_OWNER)
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":next", n(next))
            .expression_attribute_values(":seen", n(seen.counter))
            .expression_attribute_values(":sw", n(switches));
        let req = match handoff_from {
            Some(previous) => req
                .update_expression("SET #o = :me, #c = :next, #sw = :sw, #co = :prev")
                .expression_attribute_values(":prev", s(previous)),
            None => req.update_expression("SET #o = :me, #c = :next, #sw = :sw REMOVE #co"),
        };
        req.send().await.map_err(|e| classify("UpdateItem", &seen.key, e))?;
        Ok(next)
    }

    /// A write by the lease's holder. Under [`Fence::Counter`] it expects that counter and
    /// `owner`, and bumps the counter. Under [`Fence::Handoff`] — the previous owner finishing a
    /// graceful handoff — it expects `owner` as `checkpointOwner` and leaves the counter, which
    /// is the new owner's, alone; there `Release` gives up the checkpoint ownership.
    pub(crate) async fn fenced_write(
        &self,
        key: &str,
        owner: &str,
        fence: Fence,
        write: &FencedWrite,
    ) -> Result<(), LeaseTableError> {
        let mut set = Vec::new();
        let mut remove: Vec<&str> = Vec::new();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.name)
            .key(LEASE_KEY, s(key))
            .expression_attribute_values(":me", s(owner));
        match fence {
            Fence::Counter(counter) => {
                set.push("#c = :next");
                req = req
                    .condition_expression("#c = :seen AND #o = :me")
                    .expression_attribute_names("#c", LEASE_COUNTER)
                    .expression_attribute_names("#o", LEASE_OWNER)
                    .expression_attribute_values(":next", n(counter + 1))
                    .expression_attribute_values(":seen", n(counter));
            }
            Fence::Handoff => {
                req = req.condition_expression("#co = :me").expression_attribute_names("#co", CHECKPOINT_OWNER);
            }
        }
        match write {
            FencedWrite::Renew => {}
            FencedWrite::Checkpoint(cp) => {
                let (value, sub) = cp.to_stored();
                set.extend(["#cp = :cp", "#cps = :cps", "#sw = :zero"]);
                remove.extend(["#p", "#ps", "#pst"]);
                req = req
                    .expression_attribute_names("#cp", CHECKPOINT)
                    .expression_attribute_names("#cps", CHECKPOINT_SUB)
                    .expression_attribute_names("#sw", OWNER_SWITCHES)
                    .expression_attribute_names("#p", PENDING)
                    .expression_attribute_names("#ps", PENDING_SUB)
                    .expression_attribute_names("#pst", PENDING_STATE)
                    .expression_attribute_values(":cp", s(value))
                    .expression_attribute_values(":cps", n(sub))
                    .expression_attribute_values(":zero", n(0));
            }
            FencedWrite::Prepare(cp, state) => {
                let (value, sub) = cp.to_stored();
                set.extend(["#p = :p", "#ps = :ps"]);
                req = req
                    .expression_attribute_names("#p", PENDING)
                    .expression_attribute_names("#ps", PENDING_SUB)
                    .expression_attribute_names("#pst", PENDING_STATE)
                    .expression_attribute_values(":p", s(value))
                    .expression_attribute_values(":ps", n(sub));
                match state {
                    Some(state) => {
                        set.push("#pst = :pst");
                        req = req.expression_attribute_values(":pst", AttributeValue::B(Blob::new(state.clone())));
                    }
                    None => remove.push("#pst"),
                }
            }
            FencedWrite::Children(children) => {
                set.push("#ch = :ch");
                req = req
                    .expression_attribute_names("#ch", CHILDREN)
                    .expression_attribute_values(":ch", AttributeValue::Ss(children.clone()));
            }
            FencedWrite::Release => match fence {
                Fence::Counter(_) => remove.push("#o"),
                Fence::Handoff => remove.push("#co"),
            },
            FencedWrite::ClaimCheckpoint => {
                remove.push("#co");
                req = req.expression_attribute_names("#co", CHECKPOINT_OWNER);
            }
        }
        if set.is_empty() && remove.is_empty() {
            // A renewal during a handoff: the counter is the new owner's to bump.
            return Ok(());
        }
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        req.update_expression(clauses.join(" ")).send().await.map_err(|e| classify("UpdateItem", key, e))?;
        Ok(())
    }

    /// Deletes a lease whatever its state (its shard is gone); false if it was gone already.
    pub async fn delete(&self, key: &str) -> Result<bool, LeaseTableError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key(LEASE_KEY, s(key))
            .condition_expression("attribute_exists(#k)")
            .expression_attribute_names("#k", LEASE_KEY)
            .send()
            .await;
        applied(deleted.map_err(|e| classify("DeleteItem", key, e)))
    }

    /// Deletes a finished lease (checkpoint SHARD_END) once its children have leases; false if
    /// it was not at SHARD_END any more (or gone).
    pub async fn delete_if_shard_end(&self, key: &str) -> Result<bool, LeaseTableError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.name)
            .key(LEASE_KEY, s(key))
            .condition_expression("#cp = :end")
            .expression_attribute_names("#cp", CHECKPOINT)
            .expression_attribute_values(":end", s(Checkpoint::SHARD_END))
            .send()
            .await;
        applied(deleted.map_err(|e| classify("DeleteItem", key, e)))
    }
}
