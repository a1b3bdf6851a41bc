use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::ShardIteratorType;
use riffle_testkit::{TestServer, create_active_stream};

#[tokio::test]
async fn streams_tags_and_records_survive_a_restart() {
    let mut server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "keep", 2).await;
    client.add_tags_to_stream().stream_name("keep").tags("k", "v").send().await.unwrap();
    client.increase_stream_retention_period().stream_name("keep").retention_period_hours(100).send().await.unwrap();
    let put = client.put_record().stream_name("keep").partition_key("p").data(Blob::new("hello")).send().await.unwrap();
    let old_iterator = client
        .get_shard_iterator()
        .stream_name("keep")
        .shard_id(put.shard_id())
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_string();

    server.restart().await;
    let client = server.client().await;
    let s = client.describe_stream_summary().stream_name("keep").send().await.unwrap();
    let s = s.stream_description_summary().unwrap();
    assert_eq!(s.retention_period_hours(), 100);
    assert_eq!(s.open_shard_count(), 2);
    let tags = client.list_tags_for_stream().stream_name("keep").send().await.unwrap();
    assert_eq!(tags.tags()[0].value(), Some("v"));
    // An iterator issued before the restart still reads.
    let r = client.get_records().shard_iterator(old_iterator).send().await.unwrap();
    assert_eq!(r.records().len(), 1);
    assert_eq!(r.records()[0].data().as_ref(), b"hello");
    assert_eq!(r.records()[0].sequence_number(), put.sequence_number());
    // New writes continue the sequence.
    let next =
        client.put_record().stream_name("keep").partition_key("p").data(Blob::new("again")).send().await.unwrap();
    assert!(next.sequence_number() > put.sequence_number());
}
