//! Enhanced fan-out with no consumers registered: validated and answered as AWS answers for
//! missing streams and consumers — never a crash, a 500 or a hang. (Consumers that exist and
//! SubscribeToShard are in `fanout.rs`.)

use crate::{code_and_message, setup};
use aws_sdk_kinesis::types::{ShardIteratorType, StartingPosition};
use riffle_testkit::create_active_stream;

fn arn(name: &str) -> String {
    format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}")
}

#[tokio::test]
async fn missing_consumers_are_answered_as_aws_does() {
    let (_server, client) = setup().await;
    let err = client.list_stream_consumers().stream_arn(arn("nope")).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), "Stream nope under account 000000000000 not found.".into())
    );
    create_active_stream(&client, "fan", 1).await;
    let listed = client.list_stream_consumers().stream_arn(arn("fan")).send().await.unwrap();
    assert!(listed.consumers().is_empty());
    assert_eq!(listed.next_token(), None);

    let err = client.register_stream_consumer().stream_arn(arn("fan")).consumer_name("bad name").send().await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "ValidationException");

    let err = client.describe_stream_consumer().stream_arn(arn("fan")).consumer_name("c").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), "Consumer c, account 000000000000 not found.".into())
    );
    let consumer = format!("{}/consumer/c:1700000000", arn("fan"));
    let err = client.deregister_stream_consumer().consumer_arn(&consumer).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), format!("Consumer {consumer}, account 000000000000 not found."))
    );
    let err = client.describe_stream_consumer().consumer_name("c").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "InvalidArgumentException".into(),
            "ConsumerArn or both ConsumerName and StreamARN are required for this request.".into()
        )
    );

    let position = StartingPosition::builder().r#type(ShardIteratorType::Latest).build().unwrap();
    let err = client
        .subscribe_to_shard()
        .consumer_arn(&consumer)
        .shard_id("shardId-000000000000")
        .starting_position(position)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&err).0, "ResourceNotFoundException");
}
