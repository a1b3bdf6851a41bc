//! The store against a model of a lease table under random KCL-style operations — conditional
//! creates, compare-and-set renewals (expression and legacy forms), releases, conditional
//! deletes, batch writes and reads, transactions of several actions — with the store reopened
//! from disk and snapshotted at random points. After every step the answers agree and a
//! paginated scan shows exactly the model's items: a transaction applies all of its actions or,
//! when any condition fails or two actions name one item, none.

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
    BatchWrite { puts: Vec<(usize, i64)>, deletes: Vec<usize> },
    BatchGet { keys: Vec<usize> },
    Transact { actions: Vec<(usize, TxAction)> },
    TransactGet { keys: Vec<usize> },
    Reopen,
    Snapshot,
}

/// One action of a TransactWriteItems.
#[derive(Debug, Clone)]
enum TxAction {
    Create { counter: i64 },
    Put { counter: i64 },
    Renew { seen: i64 },
    Delete,
    Check { seen: i64 },
}

fn tx_action() -> impl Strategy<Value = TxAction> {
    prop_oneof![
        (0i64..4).prop_map(|counter| TxAction::Create { counter }),
        (0i64..4).prop_map(|counter| TxAction::Put { counter }),
        (0i64..4).prop_map(|seen| TxAction::Renew { seen }),
        Just(TxAction::Delete),
        (0i64..4).prop_map(|seen| TxAction::Check { seen }),
    ]
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
        (k.clone(), prop::option::of(c.clone())).prop_map(|(key, seen)| Op::Delete { key, seen }),
        (prop::collection::vec((k.clone(), c), 0..4), prop::collection::vec(k.clone(), 0..3))
            .prop_filter("a batch writes something", |(p, d)| !p.is_empty() || !d.is_empty())
            .prop_map(|(puts, deletes)| Op::BatchWrite { puts, deletes }),
        prop::collection::vec(k.clone(), 1..4).prop_map(|keys| Op::BatchGet { keys }),
        prop::collection::vec((k.clone(), tx_action()), 1..5).prop_map(|actions| Op::Transact { actions }),
        prop::collection::vec(k, 1..4).prop_map(|keys| Op::TransactGet { keys }),
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
        Op::BatchWrite { puts, deletes } => {
            let mut list: Vec<Value> = puts
                .iter()
                .map(|(key, c)| json!({"PutRequest": {"Item": {"leaseKey": {"S": k(*key)}, "leaseCounter": {"N": c.to_string()}}}}))
                .collect();
            list.extend(deletes.iter().map(|key| json!({"DeleteRequest": {"Key": {"leaseKey": {"S": k(*key)}}}})));
            call(d, "BatchWriteItem", json!({"RequestItems": {"leases": list}}))
        }
        Op::Transact { actions } => {
            let items: Vec<Value> = actions.iter().map(|(key, a)| tx_json(*key, a)).collect();
            let r = call(d, "TransactWriteItems", json!({"TransactItems": items}));
            if let Err(e) = &r
                && e.kind == ErrorKind::TransactionCanceled
            {
                let reasons = e.reasons.as_ref().ok_or("no reasons")?;
                if reasons.len() != actions.len() {
                    return Err(format!("{} reasons for {} actions", reasons.len(), actions.len()));
                }
                return Ok(false);
            }
            r
        }
        Op::BatchGet { keys } | Op::TransactGet { keys } => {
            let (name, body) = read_request(op, keys);
            call(d, name, body)
        }
        Op::Reopen | Op::Snapshot => return Ok(true),
    };
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.kind == ErrorKind::ConditionalCheckFailed => Ok(false),
        Err(e) if e.kind == ErrorKind::Validation && is_duplicate_refusal(&e) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

fn is_duplicate_refusal(e: &riffle_dynamo::DynamoError) -> bool {
    matches!(
        e.message.as_deref(),
        Some(
            "Provided list of item keys contains duplicates"
                | "Transaction request cannot include multiple operations on one item"
        )
    )
}

fn tx_json(key: usize, a: &TxAction) -> Value {
    let item = |c: i64| json!({"leaseKey": {"S": k(key)}, "leaseCounter": {"N": c.to_string()}});
    let key_json = json!({"leaseKey": {"S": k(key)}});
    let seen_values = |s: i64| json!({":seen": {"N": s.to_string()}});
    match a {
        TxAction::Create { counter } => json!({"Put": {
            "TableName": "leases", "Item": item(*counter), "ConditionExpression": "attribute_not_exists(leaseKey)",
        }}),
        TxAction::Put { counter } => json!({"Put": {"TableName": "leases", "Item": item(*counter)}}),
        TxAction::Renew { seen } => json!({"Update": {
            "TableName": "leases", "Key": key_json,
            "UpdateExpression": "SET leaseCounter = leaseCounter + :one",
            "ConditionExpression": "leaseCounter = :seen",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":seen": {"N": seen.to_string()}},
        }}),
        TxAction::Delete => json!({"Delete": {"TableName": "leases", "Key": key_json}}),
        TxAction::Check { seen } => json!({"ConditionCheck": {
            "TableName": "leases", "Key": key_json, "ConditionExpression": "leaseCounter = :seen",
            "ExpressionAttributeValues": seen_values(*seen),
        }}),
    }
}

/// A lease as an answer shows it: key, counter and owner.
fn lease(i: &Value) -> (String, (i64, Option<u8>)) {
    let owner = i.get("leaseOwner").map(|o| o["S"].as_str().unwrap()[1..].parse().unwrap());
    let counter = i["leaseCounter"]["N"].as_str().unwrap().parse().unwrap();
    (i["leaseKey"]["S"].as_str().unwrap().to_string(), (counter, owner))
}

/// The BatchGetItem or TransactGetItems request for `keys`.
fn read_request(op: &Op, keys: &[usize]) -> (&'static str, Value) {
    let key_json = |key: &usize| json!({"leaseKey": {"S": k(*key)}});
    if let Op::BatchGet { .. } = op {
        let keys: Vec<Value> = keys.iter().map(key_json).collect();
        return ("BatchGetItem", json!({"RequestItems": {"leases": {"Keys": keys, "ConsistentRead": true}}}));
    }
    let items: Vec<Value> =
        keys.iter().map(|key| json!({"Get": {"TableName": "leases", "Key": key_json(key)}})).collect();
    ("TransactGetItems", json!({"TransactItems": items}))
}

/// The reads (BatchGetItem, TransactGetItems) answer exactly what the model holds.
fn check_reads(d: &Dynamo, op: &Op, m: &Model) -> Result<(), String> {
    let (Op::BatchGet { keys } | Op::TransactGet { keys }) = op else { return Ok(()) };
    if has_duplicates(keys) {
        return Ok(()); // refused, as run() checked
    }
    let want: Vec<_> = keys.iter().map(|key| m.get(&k(*key)).map(|l| (k(*key), *l))).collect();
    let (name, body) = read_request(op, keys);
    let out = call(d, name, body).map_err(|e| e.to_string())?;
    if let Op::BatchGet { .. } = op {
        // BatchGetItem answers in no particular order and leaves out what is missing.
        let mut got: Vec<_> = out["Responses"]["leases"].as_array().unwrap().iter().map(lease).collect();
        let mut want: Vec<_> = want.into_iter().flatten().collect();
        got.sort();
        want.sort();
        return if got == want { Ok(()) } else { Err(format!("BatchGetItem: {got:?} != {want:?}")) };
    }
    let got: Vec<_> = out["Responses"].as_array().unwrap().iter().map(|r| r.get("Item").map(lease)).collect();
    if got == want { Ok(()) } else { Err(format!("TransactGetItems: {got:?} != {want:?}")) }
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
        Op::BatchWrite { puts, deletes } => {
            let keys: Vec<usize> = puts.iter().map(|(key, _)| *key).chain(deletes.iter().copied()).collect();
            if has_duplicates(&keys) {
                return false;
            }
            for (key, counter) in puts {
                m.insert(k(*key), (*counter, None));
            }
            for key in deletes {
                m.remove(&k(*key));
            }
        }
        Op::BatchGet { keys } | Op::TransactGet { keys } => return !has_duplicates(keys),
        Op::Transact { actions } => {
            let keys: Vec<usize> = actions.iter().map(|(key, _)| *key).collect();
            let holds = |(key, a): &(usize, TxAction)| {
                let l = m.get(&k(*key));
                match a {
                    TxAction::Create { .. } => l.is_none(),
                    TxAction::Renew { seen } | TxAction::Check { seen } => l.is_some_and(|l| l.0 == *seen),
                    TxAction::Put { .. } | TxAction::Delete => true,
                }
            };
            if has_duplicates(&keys) || !actions.iter().all(holds) {
                return false;
            }
            for (key, a) in actions {
                match a {
                    TxAction::Create { counter } | TxAction::Put { counter } => {
                        m.insert(k(*key), (*counter, None));
                    }
                    TxAction::Renew { .. } => {
                        if let Some(l) = m.get_mut(&k(*key)) {
                            l.0 += 1;
                        }
                    }
                    TxAction::Delete => {
                        m.remove(&k(*key));
                    }
                    TxAction::Check { .. } => {}
                }
            }
        }
        Op::Reopen | Op::Snapshot => {}
    }
    true
}

fn has_duplicates(keys: &[usize]) -> bool {
    keys.iter().collect::<std::collections::BTreeSet<_>>().len() < keys.len()
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
            let (key, l) = lease(i);
            assert!(out.insert(key, l).is_none(), "an item appeared on two pages");
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
            check_reads(&d, op, &model).map_err(TestCaseError::fail)?;
            prop_assert_eq!(&scan_all(&d), &model);
        }
        drop(d);
        prop_assert_eq!(&scan_all(&open(dir.path())), &model, "after a final reopen");
    }
}
