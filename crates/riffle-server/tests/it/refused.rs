//! Resharding and enhanced fan-out until their issue lands: validated, answered as AWS answers
//! for the stream's state, and refused cleanly — never a crash, a 500 or a hang.

use crate::{code_and_message, setup, wait_active};
use aws_sdk_kinesis::types::{ScalingType, ShardIteratorType, StartingPosition, StreamMode, StreamModeDetails};
use riffle_testkit::create_active_stream;

fn arn(name: &str) -> String {
    format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}")
}

#[tokio::test]
async fn resharding_is_checked_then_refused() {
    let (_server, client) = setup().await;
    let err = client
        .split_shard()
        .stream_name("nope")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("5")
        .send()
        .await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "ResourceNotFoundException");
    create_active_stream(&client, "rs", 2).await;
    let split = |shard: &str, key: &str| {
        client.split_shard().stream_name("rs").shard_to_split(shard).new_starting_hash_key(key).send()
    };
    let err = split("shardId-000000000009", "5").await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ResourceNotFoundException".into(),
            "Could not find shard shardId-000000000009 in stream rs under account 000000000000.".into()
        )
    );
    let err = split("shardId-000000000000", "0").await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "InvalidArgumentException".into(),
            "NewStartingHashKey 0 used in SplitShard() on shard shardId-000000000000 in stream rs under account \
             000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's \
             EndingHashKey 170141183460469231731687303715884105727."
                .into()
        )
    );
    let err = split("shardId-000000000000", "012").await.unwrap_err();
    assert_eq!(
        code_and_message(&err).1,
        "1 validation error detected: Value '012' at 'newStartingHashKey' failed to satisfy constraint: Member must \
         satisfy regular expression pattern: 0|([1-9]\\d{0,38})"
    );
    let err = split("shardId-000000000000", "1000").await.unwrap_err();
    let (code, message) = code_and_message(&err);
    assert_eq!(code, "InvalidArgumentException");
    assert!(message.starts_with("SplitShard is not supported"), "{message}");

    let err = client
        .merge_shards()
        .stream_name("rs")
        .shard_to_merge("shardId-000000000000")
        .adjacent_shard_to_merge("shardId-000000000001")
        .send()
        .await;
    assert!(code_and_message(&err.unwrap_err()).1.starts_with("MergeShards is not supported"));
    let err = client
        .merge_shards()
        .stream_name("rs")
        .shard_to_merge("shardId-000000000000")
        .adjacent_shard_to_merge("shardId-000000000000")
        .send()
        .await;
    assert_eq!(
        code_and_message(&err.unwrap_err()).1,
        "Shards shardId-000000000000 and shardId-000000000000 in stream rs under account 000000000000 are not an \
         adjacent pair of shards eligible for merging"
    );

    let usc = |n: i32| {
        client
            .update_shard_count()
            .stream_name("rs")
            .target_shard_count(n)
            .scaling_type(ScalingType::UniformScaling)
            .send()
    };
    let err = usc(5).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "LimitExceededException".into(),
            "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 2, \
             Target shard count: 5"
                .into()
        )
    );
    let err = usc(0).await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "ValidationException");
    let err = usc(3).await.unwrap_err();
    assert!(code_and_message(&err).1.starts_with("UpdateShardCount is not supported"));

    // On-demand streams refuse resharding with AWS's ValidationException.
    client
        .update_stream_mode()
        .stream_arn(arn("rs"))
        .stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap())
        .send()
        .await
        .unwrap();
    wait_active(&client, "rs").await;
    let err = usc(3).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ValidationException".into(),
            "Request is invalid. Stream rs under account 000000000000 is in On-Demand mode.".into()
        )
    );
    // Nothing changed.
    let shards = client.list_shards().stream_name("rs").send().await.unwrap();
    assert_eq!(shards.shards().len(), 2);
}

#[tokio::test]
async fn consumers_do_not_exist_yet() {
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

    let err = client.register_stream_consumer().stream_arn(arn("fan")).consumer_name("c").send().await.unwrap_err();
    let (code, message) = code_and_message(&err);
    assert_eq!(code, "InvalidArgumentException");
    assert!(message.starts_with("RegisterStreamConsumer is not supported"), "{message}");
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
