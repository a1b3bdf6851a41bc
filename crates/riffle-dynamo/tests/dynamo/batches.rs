//! BatchGetItem, BatchWriteItem, TransactGetItems and TransactWriteItems directly against the
//! model: DynamoDB's refusals in its words, cancellation reasons, idempotency tokens, isolation
//! under concurrent transfers, and recovery from a log torn inside a transaction's record.

use super::call;
use riffle_dynamo::{Dynamo, ErrorKind};
use serde_json::{Value, json};
use std::path::Path;

fn open(dir: &Path) -> Dynamo {
    let d = Dynamo::open(dir, true, "us-east-1", "000000000000").unwrap();
    let _ = call(
        &d,
        "CreateTable",
        json!({
            "TableName": "tbl",
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    d
}

fn key(k: &str) -> Value {
    json!({"k": {"S": k}})
}

fn item(k: &str, n: i64) -> Value {
    json!({"k": {"S": k}, "n": {"N": n.to_string()}})
}

fn message(d: &Dynamo, op: &str, body: Value) -> (ErrorKind, String) {
    let e = call(d, op, body).unwrap_err();
    (e.kind, e.message.unwrap_or_default())
}

#[test]
fn batch_refusals_in_dynamodb_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path());
    let keys: Vec<Value> = (0..60).map(|i| key(&i.to_string())).collect();
    let two = json!({"RequestItems": {"tbl": {"Keys": keys}, "tbl2": {"Keys": keys}}});
    assert_eq!(
        message(&d, "BatchGetItem", two),
        (ErrorKind::Validation, "Too many items requested for the BatchGetItem call".into())
    );
    let dup = json!({"RequestItems": {"tbl": {"Keys": [key("a"), key("a")]}}});
    assert_eq!(message(&d, "BatchGetItem", dup).1, "Provided list of item keys contains duplicates");
    let missing = json!({"RequestItems": {"nope": {"Keys": [key("a")]}}});
    assert_eq!(
        message(&d, "BatchGetItem", missing),
        (ErrorKind::ResourceNotFound, "Requested resource not found".into())
    );
    let put_and_delete = json!({"RequestItems": {"tbl": [
        {"PutRequest": {"Item": item("a", 1)}}, {"DeleteRequest": {"Key": key("a")}},
    ]}});
    assert_eq!(message(&d, "BatchWriteItem", put_and_delete).1, "Provided list of item keys contains duplicates");
    let empty = message(&d, "BatchWriteItem", json!({"RequestItems": {}})).1;
    assert!(empty.contains("at 'requestItems' failed to satisfy constraint"), "{empty}");

    let puts: Vec<Value> = (0..25).map(|i| json!({"PutRequest": {"Item": item(&i.to_string(), i)}})).collect();
    let out =
        call(&d, "BatchWriteItem", json!({"RequestItems": {"tbl": puts}, "ReturnConsumedCapacity": "TOTAL"})).unwrap();
    assert_eq!(out["UnprocessedItems"], json!({}));
    assert_eq!(out["ConsumedCapacity"], json!([{"TableName": "tbl", "CapacityUnits": 25.0}]));
    let got = call(
        &d,
        "BatchGetItem",
        json!({"RequestItems": {"tbl": {
            "Keys": [key("3"), key("404")], "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "n"},
        }}}),
    )
    .unwrap();
    assert_eq!(got, json!({"Responses": {"tbl": [{"n": {"N": "3"}}]}, "UnprocessedKeys": {}}));
}

#[test]
fn transactions_cancel_with_reasons_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path());
    call(&d, "PutItem", json!({"TableName": "tbl", "Item": item("a", 1)})).unwrap();
    let tx = json!({"TransactItems": [
        {"Put": {"TableName": "tbl", "Item": item("b", 1)}},
        {"ConditionCheck": {"TableName": "tbl", "Key": key("a"), "ConditionExpression": "n = :two",
            "ExpressionAttributeValues": {":two": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": "tbl", "Key": key("c")}},
    ]});
    let e = call(&d, "TransactWriteItems", tx).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TransactionCanceled);
    assert_eq!(
        e.message.as_deref(),
        Some(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]"
        )
    );
    let body: Value = serde_json::from_slice(&e.to_json()).unwrap();
    assert_eq!(
        body["CancellationReasons"],
        json!([{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": item("a", 1)}, {"Code": "None"}])
    );
    assert!(
        call(&d, "GetItem", json!({"TableName": "tbl", "Key": key("b")})).unwrap().get("Item").is_none(),
        "nothing applied"
    );

    let same = json!({"TransactItems": [
        {"Put": {"TableName": "tbl", "Item": item("a", 5)}},
        {"ConditionCheck": {"TableName": "tbl", "Key": key("a"), "ConditionExpression": "attribute_exists(k)"}},
    ]});
    assert_eq!(
        message(&d, "TransactWriteItems", same).1,
        "Transaction request cannot include multiple operations on one item"
    );

    let got = call(
        &d,
        "TransactGetItems",
        json!({"TransactItems": [
            {"Get": {"TableName": "tbl", "Key": key("zz")}},
            {"Get": {"TableName": "tbl", "Key": key("a"), "ProjectionExpression": "n"}},
        ]}),
    )
    .unwrap();
    assert_eq!(got, json!({"Responses": [{}, {"Item": {"n": {"N": "1"}}}]}));
}

#[test]
fn client_request_tokens_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path());
    let incr = |by: &str| {
        json!({"ClientRequestToken": "tok-1", "TransactItems": [{"Update": {"TableName": "tbl", "Key": key("a"),
            "UpdateExpression": "ADD n :by", "ExpressionAttributeValues": {":by": {"N": by}}}}]})
    };
    call(&d, "TransactWriteItems", incr("1")).unwrap();
    call(&d, "TransactWriteItems", incr("1")).unwrap();
    let got = call(&d, "GetItem", json!({"TableName": "tbl", "Key": key("a")})).unwrap();
    assert_eq!(got["Item"]["n"], json!({"N": "1"}), "a retry is not applied again");
    assert_eq!(message(&d, "TransactWriteItems", incr("2")).0, ErrorKind::IdempotentParameterMismatch);
}

/// Transfers between two counters, each conditional on what it read, while readers check the
/// total through TransactGetItems: a reader never sees half a transfer.
#[test]
fn transactions_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path());
    call(
        &d,
        "BatchWriteItem",
        json!({"RequestItems": {"tbl": [
            {"PutRequest": {"Item": item("x", 100)}}, {"PutRequest": {"Item": item("y", 100)}},
        ]}}),
    )
    .unwrap();
    let read = |d: &Dynamo| -> (i64, i64) {
        let out = call(
            d,
            "TransactGetItems",
            json!({"TransactItems": [
                {"Get": {"TableName": "tbl", "Key": key("x")}}, {"Get": {"TableName": "tbl", "Key": key("y")}},
            ]}),
        )
        .unwrap();
        let n = |i: usize| out["Responses"][i]["Item"]["n"]["N"].as_str().unwrap().parse::<i64>().unwrap();
        (n(0), n(1))
    };
    std::thread::scope(|s| {
        for w in 0..3 {
            let d = &d;
            s.spawn(move || {
                for i in 0..40 {
                    let (x, y) = read(d);
                    let by = (w + i) % 7 - 3;
                    let set = |k: &str, from: i64, to: i64| {
                        json!({"Update": {"TableName": "tbl", "Key": key(k), "UpdateExpression": "SET n = :to",
                            "ConditionExpression": "n = :from",
                            "ExpressionAttributeValues": {":to": {"N": to.to_string()}, ":from": {"N": from.to_string()}}}})
                    };
                    let tx = json!({"TransactItems": [set("x", x, x - by), set("y", y, y + by)]});
                    match call(d, "TransactWriteItems", tx) {
                        Ok(_) => {}
                        Err(e) => assert_eq!(e.kind, ErrorKind::TransactionCanceled),
                    }
                }
            });
        }
        s.spawn(|| {
            for _ in 0..100 {
                let (x, y) = read(&d);
                assert_eq!(x + y, 200, "a transfer seen half done");
            }
        });
    });
}

/// A crash that tears the log inside a transaction's record loses the whole transaction and
/// nothing before it.
#[test]
fn a_torn_transaction_record_recovers_to_none_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mutations.log");
    let before = {
        let d = open(dir.path());
        call(&d, "PutItem", json!({"TableName": "tbl", "Item": item("first", 1)})).unwrap();
        std::fs::metadata(&log).unwrap().len()
    };
    {
        let d = open(dir.path());
        let puts: Vec<Value> =
            (0..5).map(|i| json!({"Put": {"TableName": "tbl", "Item": item(&format!("tx{i}"), i)}})).collect();
        call(&d, "TransactWriteItems", json!({"TransactItems": puts})).unwrap();
    }
    let full = std::fs::read(&log).unwrap();
    assert!(full.len() as u64 > before + 16);
    for cut in [before + 1, before + 8, (before + full.len() as u64) / 2, full.len() as u64 - 1] {
        std::fs::write(&log, &full[..cut as usize]).unwrap();
        let d = open(dir.path());
        let scan = call(&d, "Scan", json!({"TableName": "tbl"})).unwrap();
        assert_eq!(scan["Items"], json!([item("first", 1)]), "cut at {cut}");
        drop(d);
    }
    std::fs::write(&log, &full).unwrap();
    let d = open(dir.path());
    assert_eq!(call(&d, "Scan", json!({"TableName": "tbl"})).unwrap()["Count"], 6, "the whole log applies all of it");
}
