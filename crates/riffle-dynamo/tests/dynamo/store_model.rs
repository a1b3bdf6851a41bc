//! The store against a model of a lease table under random KCL-style operations — conditional
//! creates, compare-and-set renewals (expression and legacy forms), releases, conditional
//! deletes — with the store reopened from disk and snapshotted at random points. After every
//! step the answers agree and a paginated scan shows exactly the model's items.

use super::call;
use proptest::prelude::*;
use riffle_dynamo::{Dynamo, ErrorKind};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

const KEYS: usize = 5;

#[derive(Debug, Clone)]
enum Op {
    Create { key: usize, counter: i64 },
    Put { key: usize, counter: i64 },
    Renew { key: usize, seen: i64, owner: Option<u8> },
    LegacyRenew { key: usize, seen: i64 },
    Release { key: usize, owner: u8 },
    Delete { key: usize, seen: Option<i64> },
    Reopen,
    Snapshot,
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS;
    let c = 0i64..4;
    prop_oneof![
        (k.clone(), c.clone()).prop_map(|(key, counter)| Op::Create { key, counter }),
        (k.clone(), c.clone()).prop_map(|(key, counter)| Op::Put { key, counter }),
        (k.clone(), c.clone(), prop::option::of(0u8..3)).prop_map(|(key, seen, owner)| Op::Renew { key, seen, owner }),
        (k.clone(), c.clone()).prop_map(|(key, seen)| Op::LegacyRenew { key, seen }),
        (k.clone(), 0u8..3).prop_map(|(key, owner)| Op::Release { key, owner }),
        (k, prop::option::of(c)).prop_map(|(key, seen)| Op::Delete { key, seen }),
        Just(Op::Reopen),
        Just(Op::Snapshot),
    ]
}

/// A lease in the model: counter and owner.
type Model = BTreeMap<String, (i64, Option<u8>)>;

fn open(dir: &Path) -> Dynamo {
    Dynamo::open(dir, true, "us-east-1", "000000000000").unwrap()
}

fn k(key: usize) -> String {
    format!("shardId-{key:012}")
}

/// Runs one operation on the store; `Ok(true)` if it applied, `Ok(false)` if its condition failed.
fn run(d: &Dynamo, op: &Op) -> Result<bool, String> {
    let r = match op {
        Op::Create { key, counter } => call(
            d,
            "PutItem",
            json!({
                "TableName": "leases",
                "Item": {"leaseKey": {"S": k(*key)}, "leaseCounter": {"N": counter.to_string()}},
                "ConditionExpression": "attribute_not_exists(leaseKey)",
            }),
        ),
        Op::Put { key, counter } => call(
            d,
            "PutItem",
            json!({
                "TableName": "leases",
                "Item": {"leaseKey": {"S": k(*key)}, "leaseCounter": {"N": counter.to_string()}},
            }),
        ),
        Op::Renew { key, seen, owner } => {
            let mut values = json!({":one": {"N": "1"}, ":seen": {"N": seen.to_string()}});
            let mut update = "SET leaseCounter = leaseCounter + :one".to_string();
            if let Some(o) = owner {
                update.push_str(", leaseOwner = :o");
                values[":o"] = json!({"S": format!("w{o}")});
            }
            call(
                d,
                "UpdateItem",
                json!({
                    "TableName": "leases",
                    "Key": {"leaseKey": {"S": k(*key)}},
                    "UpdateExpression": update,
                    "ConditionExpression": "leaseCounter = :seen",
                    "ExpressionAttributeValues": values,
                }),
            )
        }
        Op::LegacyRenew { key, seen } => call(
            d,
            "UpdateItem",
            json!({
                "TableName": "leases",
                "Key": {"leaseKey": {"S": k(*key)}},
                "Expected": {"leaseCounter": {"Value": {"N": seen.to_string()}}},
                "AttributeUpdates": {"leaseCounter": {"Action": "ADD", "Value": {"N": "1"}}},
            }),
        ),
        Op::Release { key, owner } => call(
            d,
            "UpdateItem",
            json!({
                "TableName": "leases",
                "Key": {"leaseKey": {"S": k(*key)}},
                "UpdateExpression": "REMOVE leaseOwner",
                "ConditionExpression": "leaseOwner = :o",
                "ExpressionAttributeValues": {":o": {"S": format!("w{owner}")}},
            }),
        ),
        Op::Delete { key, seen } => {
            let mut body = json!({"TableName": "leases", "Key": {"leaseKey": {"S": k(*key)}}});
            if let Some(s) = seen {
                body["ConditionExpression"] = json!("leaseCounter = :seen");
                body["ExpressionAttributeValues"] = json!({":seen": {"N": s.to_string()}});
            }
            call(d, "DeleteItem", body)
        }
        Op::Reopen | Op::Snapshot => return Ok(true),
    };
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.kind == ErrorKind::ConditionalCheckFailed => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

/// What the model says: whether the operation applies, and the change.
fn step(m: &mut Model, op: &Op) -> bool {
    match op {
        Op::Create { key, counter } => {
            if m.contains_key(&k(*key)) {
                return false;
            }
            m.insert(k(*key), (*counter, None));
        }
        Op::Put { key, counter } => {
            m.insert(k(*key), (*counter, None));
        }
        Op::Renew { key, seen, owner } => match m.get_mut(&k(*key)) {
            Some(l) if l.0 == *seen => {
                l.0 += 1;
                if owner.is_some() {
                    l.1 = *owner;
                }
            }
            _ => return false,
        },
        Op::LegacyRenew { key, seen } => match m.get_mut(&k(*key)) {
            Some(l) if l.0 == *seen => l.0 += 1,
            _ => return false,
        },
        Op::Release { key, owner } => match m.get_mut(&k(*key)) {
            Some(l) if l.1 == Some(*owner) => l.1 = None,
            _ => return false,
        },
        Op::Delete { key, seen } => {
            let ok = seen.is_none_or(|s| m.get(&k(*key)).is_some_and(|l| l.0 == s));
            if !ok {
                return false;
            }
            m.remove(&k(*key));
        }
        Op::Reopen | Op::Snapshot => {}
    }
    true
}

/// Every item, read in pages of two.
fn scan_all(d: &Dynamo) -> Model {
    let mut out = Model::new();
    let mut start: Option<Value> = None;
    loop {
        let mut body = json!({"TableName": "leases", "Limit": 2, "ConsistentRead": true});
        if let Some(s) = start.take() {
            body["ExclusiveStartKey"] = s;
        }
        let page = call(d, "Scan", body).unwrap();
        for i in page["Items"].as_array().unwrap() {
            let owner = i.get("leaseOwner").map(|o| o["S"].as_str().unwrap()[1..].parse().unwrap());
            let counter = i["leaseCounter"]["N"].as_str().unwrap().parse().unwrap();
            let prev = out.insert(i["leaseKey"]["S"].as_str().unwrap().to_string(), (counter, owner));
            assert!(prev.is_none(), "an item appeared on two pages");
        }
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return out,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn store_matches_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut d = open(dir.path());
        call(&d, "CreateTable", json!({
            "TableName": "leases",
            "AttributeDefinitions": [{"AttributeName": "leaseKey", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "leaseKey", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        })).unwrap();
        let mut model = Model::new();
        for op in &ops {
            match op {
                Op::Reopen => {
                    drop(d);
                    d = open(dir.path());
                }
                Op::Snapshot => d.store().snapshot().unwrap(),
                _ => {}
            }
            let applied = run(&d, op).map_err(TestCaseError::fail)?;
            prop_assert_eq!(applied, step(&mut model, op), "{:?}", op);
            prop_assert_eq!(&scan_all(&d), &model);
        }
        drop(d);
        prop_assert_eq!(&scan_all(&open(dir.path())), &model, "after a final reopen");
    }
}
