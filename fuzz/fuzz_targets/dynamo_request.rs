#![no_main]
//! The DynamoDB request path: any body for any operation must be answered — JSON out, or a
//! DynamoDB error — never a panic and never an InternalServerError. The store is one shared
//! instance (no fsync) holding a lease-shaped table `leases` that requests keep changing, so batches
//! and transactions meet real items, conditions and indexes.
//!
//! Input layout: byte 0 = operation index (past the last = an unknown operation), the rest = the
//! JSON 1.0 body as sent (bodies that are not JSON must be answered cleanly too).

use riffle_dynamo::{Dynamo, ErrorKind};
use std::sync::OnceLock;

const OPS: &[&str] = &[
    "CreateTable", "DescribeTable", "DeleteTable", "ListTables", "UpdateTable", "GetItem", "PutItem",
    "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
    "Scan", "Query", "DescribeContinuousBackups", "UpdateContinuousBackups", "DescribeTimeToLive",
    "UpdateTimeToLive", "TagResource", "UntagResource", "ListTagsOfResource", "DescribeLimits",
];

fn dynamo() -> &'static Dynamo {
    static D: OnceLock<Dynamo> = OnceLock::new();
    D.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let d = Dynamo::open(&dir, false, "us-east-1", "000000000000").expect("store opens");
        let table = br#"{"TableName":"leases","KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
        d.call("CreateTable", table).expect("table leases");
        d
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else { return };
    let op = OPS.get(usize::from(op)).copied().unwrap_or("NoSuchOperation");
    let d = dynamo();
    match d.call(op, body) {
        Ok(out) => {
            serde_json::from_slice::<serde_json::Value>(&out).expect("answers are JSON");
        }
        Err(e) => assert_ne!(e.kind, ErrorKind::InternalServer, "{op}: {e}"),
    }
    // Keep `leases` around for the next input: it is what makes batches and transactions interesting.
    if op == "DeleteTable" && d.call("DescribeTable", br#"{"TableName":"leases"}"#).is_err() {
        let table = br#"{"TableName":"leases","KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
        let _ = d.call("CreateTable", table);
    }
});
