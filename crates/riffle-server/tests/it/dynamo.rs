//! The DynamoDB endpoint on the Kinesis port, through aws-sdk-dynamodb: the KCL's lease-table
//! pattern (conditional create, compare-and-set on leaseCounter, paginated scans), the
//! expression and legacy forms, queries over range keys and a global secondary index, errors
//! as DynamoDB words them, restarts, and `--auth`.

use crate::code_and_message;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeDefinition, AttributeValue, AttributeValueUpdate, BillingMode, ComparisonOperator,
    Condition, CreateGlobalSecondaryIndexAction, ExpectedAttributeValue, GlobalSecondaryIndexUpdate, KeySchemaElement,
    KeyType, Projection, ProjectionType, ReturnValue, ScalarAttributeType, TableStatus,
};
use riffle_testkit::TestServer;
use std::collections::HashMap;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key(k: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("leaseKey".to_string(), s(k))])
}

fn attr(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder().attribute_name(name).attribute_type(ty).build().unwrap()
}

fn key_elem(name: &str, ty: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(ty).build().unwrap()
}

/// A KCL lease table: `leaseKey` (S) hash key, on demand.
async fn lease_table(c: &Client, name: &str) {
    let out = c
        .create_table()
        .table_name(name)
        .attribute_definitions(attr("leaseKey", ScalarAttributeType::S))
        .key_schema(key_elem("leaseKey", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    assert_eq!(out.table_description().unwrap().table_status(), Some(&TableStatus::Creating));
    let d = c.describe_table().table_name(name).send().await.unwrap();
    assert_eq!(d.table().unwrap().table_status(), Some(&TableStatus::Active), "ACTIVE at the first poll");
}

/// Creates a lease the way the KCL does: only if no lease of that key exists.
async fn create_lease(c: &Client, table: &str, k: &str) -> Result<(), String> {
    c.put_item()
        .table_name(table)
        .item("leaseKey", s(k))
        .item("leaseCounter", n(0))
        .item("checkpoint", s("TRIM_HORIZON"))
        .item("checkpointSubSequenceNumber", n(0))
        .item("ownerSwitchesSinceCheckpoint", n(0))
        .item("parentShardId", AttributeValue::Ss(vec!["shardId-000000000000".into()]))
        .condition_expression("attribute_not_exists(leaseKey)")
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code_and_message(&e).0)
}

/// Takes a lease: owner and counter change only if the counter is still `seen`.
async fn take(c: &Client, table: &str, k: &str, owner: &str, seen: i64) -> Result<i64, (String, String)> {
    let out = c
        .update_item()
        .table_name(table)
        .key("leaseKey", s(k))
        .update_expression(
            "SET leaseOwner = :owner, leaseCounter = leaseCounter + :one ADD ownerSwitchesSinceCheckpoint :one",
        )
        .condition_expression("leaseCounter = :seen")
        .expression_attribute_values(":owner", s(owner))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":seen", n(seen))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .map_err(|e| code_and_message(&e))?;
    let counter = out.attributes().unwrap()["leaseCounter"].as_n().unwrap().parse().unwrap();
    Ok(counter)
}

#[tokio::test]
async fn kcl_lease_table_pattern() {
    let server = TestServer::start().await;
    let c = server.dynamodb();
    lease_table(&c, "app").await;
    assert_eq!(c.list_tables().send().await.unwrap().table_names(), ["app"]);
    for i in 0..25 {
        create_lease(&c, "app", &format!("shardId-{i:012}")).await.unwrap();
    }
    let again = create_lease(&c, "app", "shardId-000000000003").await.unwrap_err();
    assert_eq!(again, "ConditionalCheckFailedException");

    // Compare-and-set on leaseCounter: the first taker wins, a stale one is refused.
    assert_eq!(take(&c, "app", "shardId-000000000003", "worker-a", 0).await.unwrap(), 1);
    let (code, msg) = take(&c, "app", "shardId-000000000003", "worker-b", 0).await.unwrap_err();
    assert_eq!((code.as_str(), msg.as_str()), ("ConditionalCheckFailedException", "The conditional request failed"));
    assert_eq!(take(&c, "app", "shardId-000000000003", "worker-b", 1).await.unwrap(), 2);

    // A checkpoint: conditional on the counter, resets ownerSwitches, removes pending fields.
    c.update_item()
        .table_name("app")
        .key("leaseKey", s("shardId-000000000003"))
        .update_expression(
            "SET #cp = :cp, checkpointSubSequenceNumber = :zero, ownerSwitchesSinceCheckpoint = :zero, \
             leaseCounter = leaseCounter + :one REMOVE pendingCheckpoint",
        )
        .condition_expression("leaseCounter = :seen AND leaseOwner = :me")
        .expression_attribute_names("#cp", "checkpoint")
        .expression_attribute_values(":cp", s("49590338271490256608559692538361571095921575989136588898"))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":seen", n(2))
        .expression_attribute_values(":me", s("worker-b"))
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("app")
        .key("leaseKey", s("shardId-000000000003"))
        .consistent_read(true)
        .projection_expression("leaseOwner, leaseCounter, ownerSwitchesSinceCheckpoint, parentShardId")
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(item.len(), 4, "{item:?}");
    assert_eq!(item["leaseCounter"], n(3));
    assert_eq!(item["ownerSwitchesSinceCheckpoint"], n(0));
    assert_eq!(item["parentShardId"], AttributeValue::Ss(vec!["shardId-000000000000".into()]));

    // Scans in pages of 10 see every lease exactly once.
    let mut seen = Vec::new();
    let mut start = None;
    let mut pages = 0;
    loop {
        let out = c.scan().table_name("app").limit(10).set_exclusive_start_key(start).send().await.unwrap();
        pages += 1;
        seen.extend(out.items().iter().map(|i| i["leaseKey"].as_s().unwrap().clone()));
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);

    // A filtered scan counts what it examined.
    let owned = c.scan().table_name("app").filter_expression("attribute_exists(leaseOwner)").send().await.unwrap();
    assert_eq!((owned.count(), owned.scanned_count()), (1, 25));

    // Deleting a lease is conditional too.
    let stale = c
        .delete_item()
        .table_name("app")
        .key("leaseKey", s("shardId-000000000003"))
        .condition_expression("leaseCounter = :c")
        .expression_attribute_values(":c", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&stale).0, "ConditionalCheckFailedException");
    let old = c
        .delete_item()
        .table_name("app")
        .key("leaseKey", s("shardId-000000000003"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(old.attributes().unwrap()["leaseOwner"], s("worker-b"));
    assert!(
        c.get_item()
            .table_name("app")
            .key("leaseKey", s("shardId-000000000003"))
            .send()
            .await
            .unwrap()
            .item()
            .is_none()
    );

    c.delete_table().table_name("app").send().await.unwrap();
    let gone = c.describe_table().table_name("app").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&gone),
        ("ResourceNotFoundException".into(), "Requested resource not found: Table: app not found".into())
    );
}

#[tokio::test]
async fn update_expression_forms() {
    let server = TestServer::start().await;
    let c = server.dynamodb();
    lease_table(&c, "forms").await;
    c.put_item()
        .table_name("forms")
        .item("leaseKey", s("k"))
        .item("nums", AttributeValue::L(vec![n(1), n(2), n(3)]))
        .item("doc", AttributeValue::M(HashMap::from([("hits".to_string(), n(5))])))
        .item("tags", AttributeValue::Ss(vec!["a".into(), "b".into()]))
        .item("labels", AttributeValue::Ss(vec!["a".into(), "z".into()]))
        .send()
        .await
        .unwrap();
    let out = c
        .update_item()
        .table_name("forms")
        .key("leaseKey", s("k"))
        .update_expression(
            "SET created = if_not_exists(created, :now), nums = list_append(nums, :more), doc.hits = doc.hits - :one, \
             doc.added = :now REMOVE gone ADD visits :one, tags :c DELETE labels :a",
        )
        .expression_attribute_values(":now", n(100))
        .expression_attribute_values(":more", AttributeValue::L(vec![n(4)]))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":c", AttributeValue::Ss(vec!["c".into()]))
        .expression_attribute_values(":a", AttributeValue::Ss(vec!["a".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = out.attributes().unwrap();
    assert_eq!(item["nums"], AttributeValue::L(vec![n(1), n(2), n(3), n(4)]));
    assert_eq!(item["created"], n(100));
    assert_eq!(item["visits"], n(1));
    let doc = item["doc"].as_m().unwrap();
    assert_eq!((doc["hits"].clone(), doc["added"].clone()), (n(4), n(100)));
    let mut tags = item["tags"].as_ss().unwrap().clone();
    tags.sort();
    assert_eq!(tags, ["a", "b", "c"]);
    assert_eq!(item["labels"], AttributeValue::Ss(vec!["z".into()]));

    // List elements removed together are named by their positions before the update.
    let out = c
        .update_item()
        .table_name("forms")
        .key("leaseKey", s("k"))
        .update_expression("REMOVE nums[0], nums[2]")
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes().unwrap()["nums"], AttributeValue::L(vec![n(2), n(4)]));

    // UPDATED_OLD shows only what changed, nested paths nested.
    let old = c
        .update_item()
        .table_name("forms")
        .key("leaseKey", s("k"))
        .update_expression("SET doc.hits = :v, created = if_not_exists(created, :v)")
        .expression_attribute_values(":v", n(7))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    let attrs = old.attributes().unwrap();
    assert_eq!(attrs.len(), 2);
    assert_eq!(attrs["doc"], AttributeValue::M(HashMap::from([("hits".to_string(), n(4))])));

    // Type errors and missing operands, in DynamoDB's words.
    let bad = c
        .update_item()
        .table_name("forms")
        .key("leaseKey", s("k"))
        .update_expression("SET created = created + :s")
        .expression_attribute_values(":s", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&bad).1, "An operand in the update expression has an incorrect data type");
    let bad = c
        .update_item()
        .table_name("forms")
        .key("leaseKey", s("k"))
        .update_expression("SET a = absent")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&bad).1,
        "The provided expression refers to an attribute that does not exist in the item"
    );
    let bad = c
        .update_item()
        .table_name("forms")
        .key("leaseKey", s("k"))
        .update_expression("SET leaseKey = :v")
        .expression_attribute_values(":v", s("other"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&bad).1,
        "One or more parameter values were invalid: Cannot update attribute leaseKey. This attribute is part of the key"
    );
}

#[tokio::test]
async fn legacy_expected_and_attribute_updates() {
    let server = TestServer::start().await;
    let c = server.dynamodb();
    lease_table(&c, "legacy").await;
    let absent = ExpectedAttributeValue::builder().exists(false).build();
    c.put_item()
        .table_name("legacy")
        .set_item(Some(HashMap::from([("leaseKey".into(), s("k")), ("leaseCounter".into(), n(0))])))
        .expected("leaseKey", absent.clone())
        .send()
        .await
        .unwrap();
    let dup = c
        .put_item()
        .table_name("legacy")
        .set_item(Some(key("k")))
        .expected("leaseKey", absent)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&dup).0, "ConditionalCheckFailedException");
    // The KCL 2.x renewal: Expected leaseCounter = seen, AttributeUpdates leaseCounter ADD 1.
    let renew = |seen: i64| {
        c.update_item()
            .table_name("legacy")
            .set_key(Some(key("k")))
            .expected("leaseCounter", ExpectedAttributeValue::builder().value(n(seen)).build())
            .attribute_updates(
                "leaseCounter",
                AttributeValueUpdate::builder().value(n(1)).action(AttributeAction::Add).build(),
            )
            .attribute_updates(
                "leaseOwner",
                AttributeValueUpdate::builder().value(s("w")).action(AttributeAction::Put).build(),
            )
            .attribute_updates(
                "checkpointOwner",
                AttributeValueUpdate::builder().action(AttributeAction::Delete).build(),
            )
            .return_values(ReturnValue::AllNew)
            .send()
    };
    let out = renew(0).await.unwrap();
    assert_eq!(out.attributes().unwrap()["leaseCounter"], n(1));
    assert_eq!(code_and_message(&renew(0).await.unwrap_err()).0, "ConditionalCheckFailedException");
    // ComparisonOperator forms, and AttributesToGet.
    let got =
        c.get_item().table_name("legacy").set_key(Some(key("k"))).attributes_to_get("leaseOwner").send().await.unwrap();
    assert_eq!(got.item().unwrap().len(), 1);
    let scan = c
        .scan()
        .table_name("legacy")
        .scan_filter(
            "leaseCounter",
            Condition::builder()
                .comparison_operator(ComparisonOperator::Ge)
                .attribute_value_list(n(1))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(scan.count(), 1);
    let mixed = c
        .update_item()
        .table_name("legacy")
        .set_key(Some(key("k")))
        .expected("leaseCounter", ExpectedAttributeValue::builder().value(n(1)).build())
        .update_expression("SET a = :a")
        .expression_attribute_values(":a", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&mixed).1,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: \
         {Expected} Expression parameters: {UpdateExpression}"
    );
}

#[tokio::test]
async fn queries_over_range_keys_and_a_global_index() {
    let server = TestServer::start().await;
    let c = server.dynamodb();
    c.create_table()
        .table_name("events")
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::N))
        .key_schema(key_elem("pk", KeyType::Hash))
        .key_schema(key_elem("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    for p in ["a", "b"] {
        for i in 0..20 {
            let owner = if i % 2 == 0 { "even" } else { "odd" };
            c.put_item()
                .table_name("events")
                .item("pk", s(p))
                .item("sk", n(i))
                .item("owner", s(owner))
                .send()
                .await
                .unwrap();
        }
    }
    let q = c
        .query()
        .table_name("events")
        .key_condition_expression("pk = :p AND sk BETWEEN :lo AND :hi")
        .expression_attribute_values(":p", s("a"))
        .expression_attribute_values(":lo", n(5))
        .expression_attribute_values(":hi", n(14))
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    let sks: Vec<i64> = q.items().iter().map(|i| i["sk"].as_n().unwrap().parse().unwrap()).collect();
    assert_eq!(sks, (5..=14).rev().collect::<Vec<_>>(), "numeric order, descending");

    // Pages of 3 over a partition, resumed from LastEvaluatedKey.
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let page = c
            .query()
            .table_name("events")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("b"))
            .limit(3)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        all.extend(page.items().iter().map(|i| i["sk"].clone()));
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!(all.len(), 20);

    // KCL 3.x adds LeaseOwnerToLeaseKeyIndex after the fact and waits for it to be ACTIVE.
    let index = CreateGlobalSecondaryIndexAction::builder()
        .index_name("OwnerIndex")
        .key_schema(key_elem("owner", KeyType::Hash))
        .key_schema(key_elem("sk", KeyType::Range))
        .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
        .build()
        .unwrap();
    c.update_table()
        .table_name("events")
        .attribute_definitions(attr("owner", ScalarAttributeType::S))
        .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(index).build())
        .send()
        .await
        .unwrap();
    let d = c.describe_table().table_name("events").send().await.unwrap();
    let gsi = &d.table().unwrap().global_secondary_indexes()[0];
    assert_eq!(gsi.index_status().map(|s| s.as_str()), Some("ACTIVE"));
    let q = c
        .query()
        .table_name("events")
        .index_name("OwnerIndex")
        .key_condition_expression("#o = :o AND sk < :max")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_values(":o", s("odd"))
        .expression_attribute_values(":max", n(6))
        .send()
        .await
        .unwrap();
    // Odd sk below 6 in both partitions: 1, 3, 5, twice.
    assert_eq!(q.count(), 6);
    assert!(q.items().iter().all(|i| i.len() == 3), "KEYS_ONLY: table and index keys");

    let bad = c
        .query()
        .table_name("events")
        .key_condition_expression("sk = :v")
        .expression_attribute_values(":v", n(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&bad).1, "Query condition missed key schema element: pk");
}

/// The message of a call that must be refused.
fn refusal<T: std::fmt::Debug, E, R>(r: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    code_and_message(&r.expect_err("the call is refused")).1
}

#[tokio::test]
async fn errors_are_dynamodb_shaped() {
    let server = TestServer::start().await;
    let c = server.dynamodb();
    lease_table(&c, "errs").await;
    let dup = c
        .create_table()
        .table_name("errs")
        .attribute_definitions(attr("leaseKey", ScalarAttributeType::S))
        .key_schema(key_elem("leaseKey", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&dup), ("ResourceInUseException".into(), "Table already exists: errs".into()));
    let cases: Vec<(String, &str)> = vec![
        (
            refusal(c.put_item().table_name("errs").item("other", s("x")).send().await),
            "One or more parameter values were invalid: Missing the key leaseKey in the item",
        ),
        (
            refusal(c.put_item().table_name("errs").item("leaseKey", n(1)).send().await),
            "One or more parameter values were invalid: Type mismatch for key leaseKey expected: S actual: N",
        ),
        (
            refusal(c.get_item().table_name("errs").key("nope", s("x")).send().await),
            "The provided key element does not match the schema",
        ),
        (
            refusal(c.get_item().table_name("missing").set_key(Some(key("x"))).send().await),
            "Requested resource not found",
        ),
        (
            refusal(
                c.update_item()
                    .table_name("errs")
                    .set_key(Some(key("x")))
                    .update_expression("SET status = :v")
                    .expression_attribute_values(":v", n(1))
                    .send()
                    .await,
            ),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status",
        ),
        (
            refusal(
                c.update_item()
                    .table_name("errs")
                    .set_key(Some(key("x")))
                    .update_expression("SET a = :v")
                    .expression_attribute_values(":v", n(1))
                    .expression_attribute_values(":unused", n(1))
                    .send()
                    .await,
            ),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        ),
        (
            refusal(
                c.put_item()
                    .table_name("errs")
                    .set_item(Some(key("x")))
                    .condition_expression("attribute_not_exists(leaseKey) AND")
                    .send()
                    .await,
            ),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"",
        ),
        (
            refusal(
                c.put_item()
                    .table_name("errs")
                    .set_item(Some(key("x")))
                    .condition_expression("#a = :b")
                    .expression_attribute_values(":b", n(1))
                    .send()
                    .await,
            ),
            "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; \
             attribute name: #a",
        ),
        (
            refusal(c.scan().table_name("errs").limit(0).send().await),
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value \
             greater than or equal to 1",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    // The HTTP shape: 400, the namespaced __type, JSON 1.0, and a CRC32 of the body.
    let raw = c.get_item().table_name("missing").set_key(Some(key("x"))).send().await.unwrap_err();
    let resp = raw.raw_response().unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.headers().get("content-type"), Some("application/x-amz-json-1.0"));
    let body = std::str::from_utf8(resp.body().bytes().unwrap()).unwrap();
    assert!(body.contains("\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\""), "{body}");
    assert!(resp.headers().get("x-amz-crc32").is_some());
}

#[tokio::test]
async fn tables_and_items_survive_a_restart() {
    let mut server = TestServer::start().await;
    let c = server.dynamodb();
    lease_table(&c, "durable").await;
    for i in 0..50 {
        create_lease(&c, "durable", &format!("shard-{i}")).await.unwrap();
    }
    take(&c, "durable", "shard-7", "w", 0).await.unwrap();
    c.delete_item().table_name("durable").set_key(Some(key("shard-8"))).send().await.unwrap();
    server.restart().await;
    let c = server.dynamodb();
    let all = c.scan().table_name("durable").send().await.unwrap();
    assert_eq!(all.count(), 49);
    let got = c.get_item().table_name("durable").set_key(Some(key("shard-7"))).send().await.unwrap();
    assert_eq!(got.item().unwrap()["leaseCounter"], n(1));
    // Point-in-time recovery is recorded (and reported) across the restart as well.
    c.update_continuous_backups()
        .table_name("durable")
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    server.restart().await;
    let b = server.dynamodb().describe_continuous_backups().table_name("durable").send().await.unwrap();
    let pitr = b.continuous_backups_description().unwrap().point_in_time_recovery_description().unwrap();
    assert_eq!(pitr.point_in_time_recovery_status().map(|s| s.as_str()), Some("ENABLED"));
}

#[tokio::test]
async fn auth_applies_with_the_dynamodb_scope() {
    let dir = tempfile::tempdir().unwrap();
    let keys: riffle_server::KeyStore = ["AKIDDYNAMO:dynamo-secret".parse().unwrap()].into_iter().collect();
    let config = riffle_server::ServerConfig {
        auth: Some(riffle_server::AuthConfig { keys }),
        ..riffle_testkit::test_config(dir.path())
    };
    let server = TestServer::start_with(dir, config).await;
    let client = |secret: &str| {
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url(server.endpoint())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("AKIDDYNAMO", secret, None, None, "t"))
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
        Client::from_conf(conf)
    };
    assert!(client("dynamo-secret").list_tables().send().await.unwrap().table_names().is_empty());
    let err = client("wrong").list_tables().send().await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidSignatureException");
    let err = server.dynamodb().list_tables().send().await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "UnrecognizedClientException");
}
