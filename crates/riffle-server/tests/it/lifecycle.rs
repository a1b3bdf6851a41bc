use crate::setup;
use aws_sdk_kinesis::types::{StreamMode, StreamModeDetails, StreamStatus};
use riffle_testkit::create_active_stream;

#[tokio::test]
async fn create_describe_list_delete() {
    let (_server, client) = setup().await;
    client.create_stream().stream_name("life").shard_count(3).send().await.unwrap();
    let summary = client.describe_stream_summary().stream_name("life").send().await.unwrap();
    let d = summary.stream_description_summary().unwrap();
    assert_eq!(d.stream_status(), &StreamStatus::Creating, "a new stream starts CREATING");
    create_active_stream(&client, "other", 2).await;

    let desc = client.describe_stream().stream_name("other").send().await.unwrap();
    let desc = desc.stream_description().unwrap();
    assert_eq!(desc.stream_arn(), "arn:aws:kinesis:us-east-1:000000000000:stream/other");
    assert_eq!(desc.retention_period_hours(), 24);
    let shards = desc.shards();
    assert_eq!(shards.len(), 2);
    assert_eq!(shards[0].shard_id(), "shardId-000000000000");
    assert_eq!(shards[1].hash_key_range().unwrap().starting_hash_key(), "170141183460469231731687303715884105728");
    assert_eq!(shards[1].hash_key_range().unwrap().ending_hash_key(), u128::MAX.to_string());

    let listed = client.list_streams().send().await.unwrap();
    assert_eq!(listed.stream_names(), ["life", "other"]);
    assert_eq!(listed.stream_summaries().len(), 2);
    assert!(!listed.has_more_streams());

    client.delete_stream().stream_name("other").send().await.unwrap();
    let d = client.describe_stream_summary().stream_name("other").send().await.unwrap();
    assert_eq!(d.stream_description_summary().unwrap().stream_status(), &StreamStatus::Deleting);
    for _ in 0..200 {
        if client.describe_stream_summary().stream_name("other").send().await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let err = client.describe_stream_summary().stream_name("other").send().await.unwrap_err();
    assert_eq!(crate::code_and_message(&err).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn describe_stream_pages_with_exclusive_start_shard_id() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "wide", 7).await;
    let mut seen = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let out = client
            .describe_stream()
            .stream_name("wide")
            .limit(3)
            .set_exclusive_start_shard_id(start.clone())
            .send()
            .await
            .unwrap();
        let d = out.stream_description().unwrap();
        seen.extend(d.shards().iter().map(|s| s.shard_id().to_string()));
        if !d.has_more_shards() {
            break;
        }
        start = seen.last().cloned();
    }
    let expected: Vec<String> = (0..7).map(|i| format!("shardId-{i:012}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn list_shards_pages_with_next_token_and_filters() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "ls", 5).await;
    let first = client.list_shards().stream_name("ls").max_results(2).send().await.unwrap();
    assert_eq!(first.shards().len(), 2);
    let mut ids: Vec<String> = first.shards().iter().map(|s| s.shard_id().to_string()).collect();
    let mut token = first.next_token().map(str::to_string);
    while let Some(t) = token {
        let page = client.list_shards().next_token(t).max_results(2).send().await.unwrap();
        ids.extend(page.shards().iter().map(|s| s.shard_id().to_string()));
        token = page.next_token().map(str::to_string);
    }
    assert_eq!(ids.len(), 5);
    let after = client
        .list_shards()
        .stream_name("ls")
        .shard_filter(
            aws_sdk_kinesis::types::ShardFilter::builder()
                .r#type(aws_sdk_kinesis::types::ShardFilterType::AfterShardId)
                .shard_id("shardId-000000000002")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = after.shards().iter().map(|s| s.shard_id()).collect();
    assert_eq!(ids, ["shardId-000000000003", "shardId-000000000004"]);
}

#[tokio::test]
async fn on_demand_streams_start_with_four_shards() {
    let (_server, client) = setup().await;
    client
        .create_stream()
        .stream_name("od")
        .stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap())
        .send()
        .await
        .unwrap();
    let s = client.describe_stream_summary().stream_name("od").send().await.unwrap();
    let s = s.stream_description_summary().unwrap();
    assert_eq!(s.open_shard_count(), 4);
    assert_eq!(s.stream_mode_details().unwrap().stream_mode(), &StreamMode::OnDemand);
    let limits = client.describe_limits().send().await.unwrap();
    assert_eq!(limits.on_demand_stream_count(), 1);
    assert_eq!(limits.open_shard_count(), 4);
}

#[tokio::test]
async fn tags_and_retention() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "tagged", 1).await;
    client.add_tags_to_stream().stream_name("tagged").tags("team", "data").tags("env", "dev").send().await.unwrap();
    let tags = client.list_tags_for_stream().stream_name("tagged").send().await.unwrap();
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["env", "team"]);
    let page = client.list_tags_for_stream().stream_name("tagged").limit(1).send().await.unwrap();
    assert!(page.has_more_tags());
    client.remove_tags_from_stream().stream_name("tagged").tag_keys("env").send().await.unwrap();
    let tags = client.list_tags_for_stream().stream_name("tagged").send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);

    client.increase_stream_retention_period().stream_name("tagged").retention_period_hours(48).send().await.unwrap();
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/tagged";
    let s = client.describe_stream_summary().stream_arn(arn).send().await.unwrap();
    assert_eq!(s.stream_description_summary().unwrap().retention_period_hours(), 48);
    let err = client
        .decrease_stream_retention_period()
        .stream_name("tagged")
        .retention_period_hours(72)
        .send()
        .await
        .unwrap_err();
    let (code, msg) = crate::code_and_message(&err);
    assert_eq!(code, "InvalidArgumentException");
    assert_eq!(
        msg,
        "Requested retention period (72 hours) for stream tagged can not be longer than existing retention period (48 hours). Use IncreaseRetentionPeriod API."
    );
}
