//! BatchGetItem, BatchWriteItem, TransactGetItems and TransactWriteItems through
//! aws-sdk-dynamodb: answers the SDK parses (cancellation reasons included), DynamoDB's
//! refusals, idempotent retries, and batches and transactions surviving a restart.

use crate::code_and_message;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Get, KeysAndAttributes, Put, PutRequest, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, TransactGetItem, TransactWriteItem, Update, WriteRequest,
};
use riffle_testkit::TestServer;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

fn key(k: &str) -> Item {
    HashMap::from([("leaseKey".to_string(), AttributeValue::S(k.to_string()))])
}

fn lease(k: &str, counter: i64) -> Item {
    let mut i = key(k);
    i.insert("leaseCounter".into(), AttributeValue::N(counter.to_string()));
    i
}

async fn table(c: &Client, name: &str) {
    riffle_testkit::create_lease_table(c, name).await;
}

fn put_request(item: Item) -> WriteRequest {
    WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build().unwrap()).build()
}

fn tx_put(table: &str, item: Item) -> TransactWriteItem {
    TransactWriteItem::builder().put(Put::builder().table_name(table).set_item(Some(item)).build().unwrap()).build()
}

#[tokio::test]
async fn batches_write_and_read_across_tables() {
    let server = TestServer::start().await;
    let c = server.dynamodb();
    table(&c, "leases-a").await;
    table(&c, "leases-b").await;
    let out = c
        .batch_write_item()
        .request_items("leases-a", (0..20).map(|i| put_request(lease(&format!("s{i}"), i))).collect())
        .request_items("leases-b", vec![put_request(lease("only", 7))])
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().unwrap().is_empty());
    assert_eq!(out.consumed_capacity().len(), 2);

    let keys = KeysAndAttributes::builder()
        .keys(key("s3"))
        .keys(key("s19"))
        .keys(key("missing"))
        .projection_expression("leaseCounter")
        .consistent_read(true)
        .build()
        .unwrap();
    let got = c
        .batch_get_item()
        .request_items("leases-a", keys)
        .request_items("leases-b", KeysAndAttributes::builder().keys(key("only")).build().unwrap())
        .send()
        .await
        .unwrap();
    let responses = got.responses().unwrap();
    let mut counters: Vec<&str> =
        responses["leases-a"].iter().map(|i| i["leaseCounter"].as_n().unwrap().as_str()).collect();
    counters.sort();
    assert_eq!(counters, ["19", "3"]);
    assert_eq!(responses["leases-b"], vec![lease("only", 7)]);
    assert!(got.unprocessed_keys().unwrap().is_empty());

    let dup = c
        .batch_get_item()
        .request_items("leases-a", KeysAndAttributes::builder().keys(key("s1")).keys(key("s1")).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&dup),
        ("ValidationException".into(), "Provided list of item keys contains duplicates".into())
    );
    let missing = c
        .batch_get_item()
        .request_items("nope", KeysAndAttributes::builder().keys(key("s1")).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&missing), ("ResourceNotFoundException".into(), "Requested resource not found".into()));
    let many: Vec<Item> = (0..101).map(|i| key(&format!("k{i}"))).collect();
    let too_many = c
        .batch_get_item()
        .request_items("leases-a", KeysAndAttributes::builder().set_keys(Some(many[..60].to_vec())).build().unwrap())
        .request_items("leases-b", KeysAndAttributes::builder().set_keys(Some(many[60..].to_vec())).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&too_many).1, "Too many items requested for the BatchGetItem call");
}

#[tokio::test]
async fn transactions_apply_all_or_nothing_and_survive_a_restart() {
    let mut server = TestServer::start().await;
    let c = server.dynamodb();
    table(&c, "txn").await;
    c.put_item().table_name("txn").set_item(Some(lease("a", 1))).send().await.unwrap();

    // A failed condition: nothing applies, the reasons come back in order, with the old item.
    let check = ConditionCheck::builder()
        .table_name("txn")
        .set_key(Some(key("a")))
        .condition_expression("leaseCounter = :two")
        .expression_attribute_values(":two", AttributeValue::N("2".into()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .unwrap();
    let err = c
        .transact_write_items()
        .transact_items(tx_put("txn", lease("b", 1)))
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .send()
        .await
        .unwrap_err();
    let TransactWriteItemsError::TransactionCanceledException(e) = err.into_service_error() else {
        panic!("not a TransactionCanceledException")
    };
    assert_eq!(
        e.message(),
        Some(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"
        )
    );
    let reasons = e.cancellation_reasons();
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0].code(), Some("None"));
    assert_eq!(reasons[1].code(), Some("ConditionalCheckFailed"));
    assert_eq!(reasons[1].message(), Some("The conditional request failed"));
    assert_eq!(reasons[1].item(), Some(&lease("a", 1)));
    let b = c.get_item().table_name("txn").set_key(Some(key("b"))).send().await.unwrap();
    assert!(b.item().is_none(), "a cancelled transaction applies nothing");

    // Two actions on one item.
    let same = c
        .transact_write_items()
        .transact_items(tx_put("txn", lease("a", 5)))
        .transact_items(
            TransactWriteItem::builder()
                .delete(Delete::builder().table_name("txn").set_key(Some(key("a"))).build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(same.code(), Some("ValidationException"));
    assert_eq!(same.message(), Some("Transaction request cannot include multiple operations on one item"));

    // Success, retried with the same token: applied once.
    let bump = Update::builder()
        .table_name("txn")
        .set_key(Some(key("a")))
        .update_expression("SET leaseCounter = leaseCounter + :one")
        .condition_expression("leaseCounter = :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .build()
        .unwrap();
    for _ in 0..2 {
        c.transact_write_items()
            .client_request_token("retry-me")
            .transact_items(TransactWriteItem::builder().update(bump.clone()).build())
            .transact_items(tx_put("txn", lease("c", 3)))
            .send()
            .await
            .unwrap();
    }
    let mismatch = c
        .transact_write_items()
        .client_request_token("retry-me")
        .transact_items(tx_put("txn", lease("d", 4)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(mismatch.code(), Some("IdempotentParameterMismatchException"));

    server.restart().await;
    let c = server.dynamodb();
    let get = |k: &str| {
        TransactGetItem::builder().get(Get::builder().table_name("txn").set_key(Some(key(k))).build().unwrap()).build()
    };
    let got = c
        .transact_get_items()
        .transact_items(get("a"))
        .transact_items(get("b"))
        .transact_items(get("c"))
        .send()
        .await
        .unwrap();
    let r = got.responses();
    assert_eq!(r[0].item(), Some(&lease("a", 2)), "the retry did not apply again");
    assert_eq!(r[1].item(), None, "a missing item answers an empty ItemResponse");
    assert_eq!(r[2].item(), Some(&lease("c", 3)));
}
