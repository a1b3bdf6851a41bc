//! Enhanced fan-out: the worker registers its consumer, subscribes per shard, follows a split
//! through the closing event's children.

use crate::common::*;
use riffle_consumer::Retrieval;
use riffle_testkit::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_reads_every_record_and_follows_a_split() {
    let server = TestServer::start().await;
    let client = stream(&server, "efo", 2).await;
    let log = Log::default();
    let cfg = config("efo-app", "efo", "w").retrieval(Retrieval::FanOut { consumer_name: "efo-app".into() });
    let w = start(&server, cfg, &log).await;
    put(&client, "efo", &keys(6), 0..10).await;
    wait_until("60 records over fan-out", LONG, || async { log.data().len() == 60 }).await;
    client
        .split_shard()
        .stream_name("efo")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("85070591730234615865843651857942052864")
        .send()
        .await
        .unwrap();
    put(&client, "efo", &keys(6), 10..20).await;
    wait_until("120 records over fan-out", LONG, || async { log.data().len() == 120 }).await;
    let list = client.list_stream_consumers().stream_arn(stream_arn(&client, "efo").await).send().await.unwrap();
    assert_eq!(list.consumers().len(), 1);
    assert!(log.events().iter().any(|e| matches!(e, Event::Ended { shard, .. } if shard == "shardId-000000000000")));
    w.shutdown().await.unwrap();
}

async fn stream_arn(client: &aws_sdk_kinesis::Client, name: &str) -> String {
    let s = client.describe_stream_summary().stream_name(name).send().await.unwrap();
    s.stream_description_summary().unwrap().stream_arn().to_string()
}
