//! `GET /metrics` (issue 8): CloudWatch's Kinesis metrics counted from real SDK traffic, storage
//! and process metrics, `--metrics-addr`, and the front door unchanged for everything else.

use crate::limits::{retrying, server_with};
use crate::{code_and_message, http};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    ConsumerStatus, PutRecordsRequestEntry, ShardIteratorType, StartingPosition, SubscribeToShardEventStream,
};
use riffle_testkit::create_active_stream;
use std::net::SocketAddr;
use std::time::Duration;

async fn scrape(addr: SocketAddr) -> String {
    let (head, body) = http(addr, "GET", "/metrics", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
    body
}

/// The sum of every sample of `name` whose labels include all of `labels` (a stream-level
/// total of a shard-level metric, say); `None` if there is none.
fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let samples: Vec<f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' ')))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .collect();
    (!samples.is_empty()).then(|| samples.iter().sum())
}

fn stream_sum(text: &str, name: &str, stream: &str) -> f64 {
    sum(text, name, &[("StreamName", stream)]).unwrap_or_else(|| panic!("no {name} for {stream} in:\n{text}"))
}

/// Reads a shard from TRIM_HORIZON to its tip; the records read.
async fn drain(client: &Client, stream: &str, shard: &str) -> usize {
    let it = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let mut iterator = it.shard_iterator().map(str::to_string);
    let mut read = 0;
    while let Some(i) = iterator {
        let out = client.get_records().shard_iterator(i).send().await.unwrap();
        read += out.records().len();
        if out.millis_behind_latest() == Some(0) && out.records().is_empty() {
            break;
        }
        iterator = out.next_shard_iterator().map(str::to_string);
    }
    read
}

#[tokio::test]
async fn cloudwatch_metrics_count_what_clients_put_read_and_subscribe() {
    let server = server_with(|_| {}).await;
    let client = server.client().await;
    create_active_stream(&client, "metered", 2).await;
    let entries: Vec<PutRecordsRequestEntry> = (0..20)
        .map(|i| {
            let e = PutRecordsRequestEntry::builder().partition_key(format!("key-{i}"));
            e.data(Blob::new(format!("record number {i}"))).build().unwrap()
        })
        .collect();
    let bytes: usize = (0..20).map(|i| format!("key-{i}").len() + format!("record number {i}").len()).sum();
    let out = client.put_records().stream_name("metered").set_records(Some(entries)).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
    let one = client.put_record().stream_name("metered").partition_key("pk").data(Blob::new("solo")).send().await;
    let one_shard = one.unwrap().shard_id().to_string();
    let read = drain(&client, "metered", "shardId-000000000000").await
        + drain(&client, "metered", "shardId-000000000001").await;
    assert_eq!(read, 21);

    // Enhanced fan-out: one subscription to the shard PutRecord wrote to, one refused.
    let arn = client.describe_stream_summary().stream_name("metered").send().await.unwrap();
    let arn = arn.stream_description_summary().unwrap().stream_arn().to_string();
    let reg = client.register_stream_consumer().stream_arn(&arn).consumer_name("fan").send().await.unwrap();
    let consumer = reg.consumer().unwrap().consumer_arn().to_string();
    while client
        .describe_stream_consumer()
        .consumer_arn(&consumer)
        .send()
        .await
        .unwrap()
        .consumer_description()
        .unwrap()
        .consumer_status()
        != &ConsumerStatus::Active
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let from = StartingPosition::builder().r#type("TRIM_HORIZON".into()).build().unwrap();
    let subscribe =
        || client.subscribe_to_shard().consumer_arn(&consumer).shard_id(&one_shard).starting_position(from.clone());
    let mut events = subscribe().send().await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), events.event_stream.recv()).await.unwrap();
    let Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(first))) = first else { panic!("{first:?}") };
    let pushed = first.records().len();
    assert!(pushed >= 1, "the shard holds PutRecord's record at least");
    let refused = subscribe().send().await.unwrap_err();
    assert_eq!(code_and_message(&refused).0, "ResourceInUseException");

    let text = scrape(server.addr()).await;
    let m = |name| stream_sum(&text, name, "metered");
    assert_eq!(m("kinesis_IncomingRecords"), 21.0);
    assert_eq!(m("kinesis_IncomingBytes"), (bytes + "pk".len() + "solo".len()) as f64);
    assert!(sum(&text, "kinesis_IncomingRecords", &[("ShardId", &one_shard)]).unwrap() >= 1.0);
    assert_eq!(m("kinesis_PutRecords_TotalRecords"), 20.0);
    assert_eq!(m("kinesis_PutRecords_SuccessfulRecords"), 20.0);
    assert_eq!(m("kinesis_PutRecords_Records"), 20.0);
    assert_eq!(m("kinesis_PutRecords_FailedRecords"), 0.0);
    assert_eq!(m("kinesis_PutRecords_ThrottledRecords"), 0.0);
    assert_eq!(m("kinesis_PutRecords_Success"), 1.0);
    assert_eq!(m("kinesis_PutRecords_Bytes"), bytes as f64);
    assert_eq!(m("kinesis_PutRecords_Latency_count"), 1.0);
    assert_eq!(m("kinesis_PutRecord_Success"), 1.0);
    assert_eq!(m("kinesis_PutRecord_Bytes"), 6.0);
    assert_eq!(m("kinesis_GetRecords_Records"), 21.0);
    assert_eq!(m("kinesis_OutgoingRecords"), (21 + pushed) as f64, "GetRecords and the subscription's event");
    assert_eq!(m("kinesis_GetRecords_Latency_count"), m("kinesis_GetRecords_Success"));
    assert!(m("kinesis_GetRecords_Bytes") >= (bytes + 6) as f64);
    sum(&text, "kinesis_GetRecords_IteratorAgeMilliseconds", &[("StreamName", "metered"), ("ShardId", &one_shard)])
        .expect("iterator age per shard");
    let fan = |name| sum(&text, name, &[("StreamName", "metered"), ("ConsumerName", "fan")]);
    assert_eq!(fan("kinesis_SubscribeToShard_Success"), Some(1.0));
    assert_eq!(fan("kinesis_SubscribeToShard_RateExceeded"), Some(1.0));
    assert_eq!(fan("kinesis_SubscribeToShardEvent_Records"), Some(pushed as f64));
    assert!(fan("kinesis_SubscribeToShardEvent_Success").unwrap() >= 1.0);
    assert_eq!(fan("kinesis_SubscribeToShardEvent_MillisBehindLatest"), Some(0.0));
    // Storage and the process.
    assert!(m("riffle_stream_disk_bytes") >= bytes as f64);
    assert!(sum(&text, "riffle_log_segments", &[]).unwrap() >= 1.0);
    assert!(sum(&text, "riffle_log_fsync_seconds_count", &[]).unwrap() >= 1.0, "two appends, fsync always");
    assert!(sum(&text, "riffle_log_group_records_sum", &[]).unwrap() >= 21.0);
    assert!(sum(&text, "process_resident_memory_bytes", &[]).unwrap() > 0.0);
    assert!(text.contains("# TYPE kinesis_PutRecords_Latency histogram"), "latencies are histograms");
}

#[tokio::test]
async fn throttled_writes_and_reads_are_counted_per_shard() {
    let server = server_with(|c| c.enforce_limits = true).await;
    // One attempt: the SDK would retry the throttled reads, and each retry is counted too.
    let client = retrying(&server, 1);
    create_active_stream(&client, "tight", 1).await;
    // 1.5 MiB at once into a shard that takes 1 MiB/s: some records must be refused.
    let entries: Vec<PutRecordsRequestEntry> = (0..500)
        .map(|i| PutRecordsRequestEntry::builder().partition_key(format!("k{i}")).data(Blob::new(vec![7u8; 3072])))
        .map(|e| e.build().unwrap())
        .collect();
    let out = client.put_records().stream_name("tight").set_records(Some(entries)).send().await.unwrap();
    let throttled = out.failed_record_count().unwrap();
    assert!(throttled > 0);
    // Five reads a second per shard: of ten in a row, some are refused (the SDK does not retry).
    let it = client
        .get_shard_iterator()
        .stream_name("tight")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap();
    let it = it.shard_iterator().unwrap().to_string();
    let mut refused = 0;
    for _ in 0..10 {
        if let Err(e) = client.get_records().shard_iterator(&it).send().await {
            assert_eq!(code_and_message(&e).0, "ProvisionedThroughputExceededException");
            refused += 1;
        }
    }
    assert!(refused > 0);
    let text = scrape(server.addr()).await;
    let shard = [("StreamName", "tight"), ("ShardId", "shardId-000000000000")];
    assert_eq!(sum(&text, "kinesis_WriteProvisionedThroughputExceeded", &shard), Some(f64::from(throttled)));
    assert_eq!(sum(&text, "kinesis_PutRecords_ThrottledRecords", &shard[..1]), Some(f64::from(throttled)));
    assert_eq!(sum(&text, "kinesis_IncomingRecords", &shard), Some(f64::from(500 - throttled)));
    assert_eq!(sum(&text, "kinesis_ReadProvisionedThroughputExceeded", &shard), Some(f64::from(refused)));
}

#[tokio::test]
async fn metrics_addr_serves_the_same_and_the_front_door_is_unchanged() {
    let server = server_with(|c| c.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    let client = server.client().await;
    create_active_stream(&client, "twice", 1).await;
    client.put_record().stream_name("twice").partition_key("k").data(Blob::new("x")).send().await.unwrap();
    let metrics_addr = server.metrics_addr().expect("bound");
    let (api, side) = (scrape(server.addr()).await, scrape(metrics_addr).await);
    for text in [&api, &side] {
        assert_eq!(stream_sum(text, "kinesis_IncomingRecords", "twice"), 1.0);
        assert!(sum(text, "process_threads", &[]).is_some());
    }
    // The metrics listener serves nothing else.
    assert!(http(metrics_addr, "GET", "/", "").await.0.starts_with("HTTP/1.1 404"));
    // The API port still answers other GETs, and POSTs of other content types, as AWS does.
    let (head, body) = http(server.addr(), "GET", "/", "").await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert!(body.contains("AccessDeniedException"), "{body}");
    let (head, _) = http(server.addr(), "POST", "/metrics", "").await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
}

#[tokio::test]
async fn under_auth_metrics_are_only_on_metrics_addr() {
    let keys: riffle_server::KeyStore = ["AKID:secret".parse().unwrap()].into_iter().collect();
    let server = server_with(|c| {
        c.auth = Some(riffle_server::AuthConfig { keys });
        c.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let (head, body) = http(server.addr(), "GET", "/metrics", "").await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert!(body.contains("MissingAuthenticationToken"), "{body}");
    let text = scrape(server.metrics_addr().unwrap()).await;
    assert!(sum(&text, "riffle_log_segments", &[]).is_some());
}
