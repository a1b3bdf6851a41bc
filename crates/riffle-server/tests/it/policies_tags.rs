//! Resource policies and tagging by ARN.

use crate::{code_and_message, setup};
use riffle_testkit::create_active_stream;

fn arn(name: &str) -> String {
    format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}")
}

const CONSUMER: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/pol/consumer/c:1700000000";

#[tokio::test]
async fn resource_policies_put_get_delete() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "pol", 1).await;
    let none = client.get_resource_policy().resource_arn(arn("pol")).send().await.unwrap();
    assert_eq!(none.policy(), "{}");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"kinesis:*","Resource":"*"}]}"#;
    client.put_resource_policy().resource_arn(arn("pol")).policy(policy).send().await.unwrap();
    let got = client.get_resource_policy().resource_arn(arn("pol")).send().await.unwrap();
    assert_eq!(got.policy(), policy, "kept verbatim");
    client.delete_resource_policy().resource_arn(arn("pol")).send().await.unwrap();
    assert_eq!(client.get_resource_policy().resource_arn(arn("pol")).send().await.unwrap().policy(), "{}");
}

#[tokio::test]
async fn resource_policy_errors() {
    let (_server, client) = setup().await;
    let err = client.get_resource_policy().resource_arn(arn("nope")).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ResourceNotFoundException".into(),
            "Stream arn:aws:kinesis:us-east-1:000000000000:stream/nope under account 000000000000 not found.".into()
        )
    );
    create_active_stream(&client, "pol", 1).await;
    let err = client.delete_resource_policy().resource_arn(arn("pol")).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), format!("No resource policy found for resource ARN {}.", arn("pol")))
    );
    let err = client.put_resource_policy().resource_arn(arn("pol")).policy("{not json").send().await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidArgumentException");
    let err = client.put_resource_policy().resource_arn(CONSUMER).policy("{}").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), "Consumer c, account 000000000000 not found.".into())
    );
}

#[tokio::test]
async fn tags_by_resource_arn_share_the_stream_tags() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "tr", 1).await;
    let empty = client.list_tags_for_resource().resource_arn(arn("tr")).send().await.unwrap();
    assert!(empty.tags().is_empty());
    client.tag_resource().resource_arn(arn("tr")).tags("env", "test").tags("team", "riffle").send().await.unwrap();
    let listed = client.list_tags_for_resource().resource_arn(arn("tr")).send().await.unwrap();
    let pairs: Vec<_> = listed.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())).collect();
    assert_eq!(pairs, [("env", "test"), ("team", "riffle")]);
    // The same tags, seen through the stream-named operations.
    let by_name = client.list_tags_for_stream().stream_name("tr").send().await.unwrap();
    assert_eq!(by_name.tags().len(), 2);
    client.untag_resource().resource_arn(arn("tr")).tag_keys("env").tag_keys("absent").send().await.unwrap();
    let listed = client.list_tags_for_resource().resource_arn(arn("tr")).send().await.unwrap();
    assert_eq!(listed.tags().len(), 1);
    assert_eq!(listed.tags()[0].key(), "team");
}

#[tokio::test]
async fn tag_resource_errors() {
    let (_server, client) = setup().await;
    let err = client.tag_resource().resource_arn(arn("nope")).tags("a", "b").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), "Stream nope under account 000000000000 not found.".into())
    );
    create_active_stream(&client, "t", 1).await;
    let err = client.tag_resource().resource_arn(arn("t")).tags("aws:reserved", "x").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("InvalidArgumentException".into(), "Tag keys starting with 'aws:' are reserved for internal use.".into())
    );
    let mut many = client.tag_resource().resource_arn(arn("t"));
    for i in 0..51 {
        many = many.tags(format!("k{i}"), "v");
    }
    assert_eq!(code_and_message(&many.send().await.unwrap_err()).0, "InvalidArgumentException");
    let err = client.untag_resource().resource_arn(arn("t")).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err).1,
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"
    );
    let err = client.list_tags_for_resource().resource_arn(CONSUMER.replace("pol", "t")).send().await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "ResourceNotFoundException");
}
