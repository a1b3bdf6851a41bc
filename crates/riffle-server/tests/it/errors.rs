use crate::{code_and_message, setup};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use riffle_testkit::create_active_stream;

#[tokio::test]
async fn errors_carry_aws_types_and_messages() {
    let (_server, client) = setup().await;
    let err = client.describe_stream().stream_name("nope").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), "Stream nope under account 000000000000 not found.".into())
    );
    create_active_stream(&client, "e", 1).await;
    let err = client.create_stream().stream_name("e").shard_count(1).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceInUseException".into(), "Stream e under account 000000000000 already exists.".into())
    );
    let err = client.create_stream().stream_name("bad name").shard_count(1).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err).1,
        "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    let err = client.get_records().shard_iterator("AAAA").send().await.unwrap_err();
    assert_eq!(code_and_message(&err), ("InvalidArgumentException".into(), "Invalid ShardIterator.".into()));

    let err = client
        .get_shard_iterator()
        .stream_name("e")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .starting_sequence_number("1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&err).1,
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified TRIM_HORIZON and also a StartingSequenceNumber."
    );
    let err = client
        .get_shard_iterator()
        .stream_name("e")
        .shard_id("shardId-000000000009")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ResourceNotFoundException".into(),
            "Shard shardId-000000000009 in stream e under account 000000000000 does not exist".into()
        )
    );
    let err = client
        .put_record()
        .stream_name("e")
        .partition_key("k")
        .explicit_hash_key("340282366920938463463374607431768211456")
        .data(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidArgumentException");
    let too_many: Vec<_> = (0..501)
        .map(|_| PutRecordsRequestEntry::builder().partition_key("k").data(Blob::new("x")).build().unwrap())
        .collect();
    let err = client.put_records().stream_name("e").set_records(Some(too_many)).send().await.unwrap_err();
    let (code, msg) = code_and_message(&err);
    assert_eq!(code, "ValidationException");
    assert!(msg.ends_with("Member must have length less than or equal to 500"), "{msg}");
    let err = client
        .increase_stream_retention_period()
        .stream_name("e")
        .retention_period_hours(9000)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidArgumentException");
}

#[tokio::test]
async fn iterators_expire() {
    let dir = tempfile::tempdir().unwrap();
    let config = riffle_server::ServerConfig {
        iterator_ttl: std::time::Duration::from_millis(50),
        ..riffle_testkit::test_config(dir.path())
    };
    let server = riffle_testkit::TestServer::start_with(dir, config).await;
    let client = server.client().await;
    create_active_stream(&client, "ttl", 1).await;
    let it = client
        .get_shard_iterator()
        .stream_name("ttl")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    let err = client.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap_err();
    let (code, msg) = code_and_message(&err);
    assert_eq!(code, "ExpiredIteratorException");
    assert!(msg.starts_with("Iterator expired. The iterator was created at time "), "{msg}");
    assert!(msg.ends_with("which is further in the future than the tolerated delay of 50 milliseconds."), "{msg}");
}
