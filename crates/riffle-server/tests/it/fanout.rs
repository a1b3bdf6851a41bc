//! Enhanced fan-out through the AWS SDK for Rust: consumers (register, describe, list,
//! deregister) and SubscribeToShard's event stream over HTTP.

use crate::{code_and_message, setup};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    ConsumerStatus, EncryptionType, StartingPosition, SubscribeToShardEvent, SubscribeToShardEventStream,
};
use riffle_testkit::{TestServer, create_active_stream};
use std::time::{Duration, Instant};

const SHARD: &str = "shardId-000000000000";

async fn stream_arn(client: &Client, name: &str) -> String {
    let s = client.describe_stream_summary().stream_name(name).send().await.unwrap();
    s.stream_description_summary().unwrap().stream_arn().to_string()
}

/// Registers a consumer and waits until it is ACTIVE; returns its ARN.
async fn active_consumer(client: &Client, stream_arn: &str, name: &str) -> String {
    let reg = client.register_stream_consumer().stream_arn(stream_arn).consumer_name(name).send().await.unwrap();
    let c = reg.consumer().unwrap();
    assert_eq!(c.consumer_status(), &ConsumerStatus::Creating);
    let arn = c.consumer_arn().to_string();
    assert!(arn.starts_with(&format!("{stream_arn}/consumer/{name}:")), "{arn}");
    for _ in 0..500 {
        let d = client.describe_stream_consumer().consumer_arn(&arn).send().await.unwrap();
        if d.consumer_description().unwrap().consumer_status() == &ConsumerStatus::Active {
            return arn;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("consumer {name} never became ACTIVE");
}

fn position(kind: &str, seq: Option<&str>) -> StartingPosition {
    StartingPosition::builder().r#type(kind.into()).set_sequence_number(seq.map(str::to_string)).build().unwrap()
}

type Events = aws_sdk_kinesis::operation::subscribe_to_shard::SubscribeToShardOutput;

async fn subscribe(client: &Client, consumer: &str, pos: StartingPosition) -> Events {
    let out = client.subscribe_to_shard().consumer_arn(consumer).shard_id(SHARD).starting_position(pos).send().await;
    out.unwrap_or_else(|e| panic!("subscribe: {:?}", code_and_message(&e)))
}

async fn next_event(events: &mut Events) -> SubscribeToShardEvent {
    let got =
        tokio::time::timeout(Duration::from_secs(10), events.event_stream.recv()).await.expect("an event within 10 s");
    match got.expect("no stream error").expect("stream still open") {
        SubscribeToShardEventStream::SubscribeToShardEvent(e) => e,
        other => panic!("unexpected event {other:?}"),
    }
}

#[tokio::test]
async fn consumers_are_registered_listed_described_and_deregistered() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "cons", 1).await;
    let arn = stream_arn(&client, "cons").await;
    let a = active_consumer(&client, &arn, "a").await;
    let b = active_consumer(&client, &arn, "b").await;
    let dup = client.register_stream_consumer().stream_arn(&arn).consumer_name("a").send().await.unwrap_err();
    assert_eq!(code_and_message(&dup).0, "ResourceInUseException");
    let by_name = client.describe_stream_consumer().stream_arn(&arn).consumer_name("b").send().await.unwrap();
    let d = by_name.consumer_description().unwrap();
    assert_eq!(d.consumer_arn(), b);
    assert_eq!(d.stream_arn(), arn);
    let list = client.list_stream_consumers().stream_arn(&arn).max_results(1).send().await.unwrap();
    assert_eq!(list.consumers().len(), 1);
    assert_eq!(list.consumers()[0].consumer_arn(), a);
    let rest =
        client.list_stream_consumers().stream_arn(&arn).next_token(list.next_token().unwrap()).send().await.unwrap();
    assert_eq!(rest.consumers().len(), 1);
    assert_eq!(rest.consumers()[0].consumer_name(), "b");
    assert!(rest.next_token().is_none());
    let summary = client.describe_stream_summary().stream_name("cons").send().await.unwrap();
    assert_eq!(summary.stream_description_summary().unwrap().consumer_count(), Some(2));
    // A stream with consumers is deleted only with EnforceConsumerDeletion.
    let refused = client.delete_stream().stream_name("cons").send().await.unwrap_err();
    assert_eq!(code_and_message(&refused).0, "ResourceInUseException");
    client.deregister_stream_consumer().consumer_arn(&a).send().await.unwrap();
    let d = client.describe_stream_consumer().consumer_arn(&a).send().await;
    if let Ok(d) = d {
        assert_eq!(d.consumer_description().unwrap().consumer_status(), &ConsumerStatus::Deleting);
    }
    for _ in 0..500 {
        match client.describe_stream_consumer().consumer_arn(&a).send().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => {
                assert_eq!(code_and_message(&e).0, "ResourceNotFoundException");
                break;
            }
        }
    }
    client.delete_stream().stream_name("cons").enforce_consumer_deletion(true).send().await.unwrap();
}

#[tokio::test]
async fn subscribers_get_records_pushed_in_order_and_resume_after_the_continuation() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "push", 1).await;
    let arn = stream_arn(&client, "push").await;
    let consumer = active_consumer(&client, &arn, "app").await;
    let mut events = subscribe(&client, &consumer, position("TRIM_HORIZON", None)).await;
    const N: usize = 60;
    let putter = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..N {
                let out = client
                    .put_record()
                    .stream_name("push")
                    .partition_key("k")
                    .data(Blob::new(format!("r{i}")))
                    .send()
                    .await
                    .unwrap();
                seqs.push(out.sequence_number().to_string());
            }
            seqs
        })
    };
    let mut got = Vec::new();
    let mut last_continuation = String::new();
    while got.len() < N {
        let ev = next_event(&mut events).await;
        let cont = ev.continuation_sequence_number().to_string();
        assert!(cont.len() == last_continuation.len() && cont >= last_continuation || last_continuation.is_empty());
        for r in ev.records() {
            assert!(r.sequence_number() <= cont.as_str(), "continuation covers the records");
            got.push((r.sequence_number().to_string(), String::from_utf8(r.data().as_ref().to_vec()).unwrap()));
        }
        last_continuation = cont;
    }
    let seqs = putter.await.unwrap();
    assert_eq!(got.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(), seqs);
    assert_eq!(
        got.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
        (0..N).map(|i| format!("r{i}")).collect::<Vec<_>>()
    );
    assert_eq!(last_continuation, seqs[N - 1]);
    // Idle subscriptions still hear from the server, with the same continuation.
    let idle = next_event(&mut events).await;
    assert!(idle.records().is_empty());
    assert_eq!(idle.continuation_sequence_number(), last_continuation);
    drop(events);
    // Resume after the last continuation: only what is new. (The previous subscription is
    // younger than 5 s, so the first tries may be refused until the server sees it gone.)
    client.put_record().stream_name("push").partition_key("k").data(Blob::new("after")).send().await.unwrap();
    let start = Instant::now();
    let mut resumed = loop {
        let out = client
            .subscribe_to_shard()
            .consumer_arn(&consumer)
            .shard_id(SHARD)
            .starting_position(position("AFTER_SEQUENCE_NUMBER", Some(&last_continuation)))
            .send()
            .await;
        match out {
            Ok(o) => break o,
            Err(e)
                if code_and_message(&e).0 == "ResourceInUseException" && start.elapsed() < Duration::from_secs(8) =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("resubscribe: {:?}", code_and_message(&e)),
        }
    };
    let ev = next_event(&mut resumed).await;
    assert_eq!(ev.records().len(), 1);
    assert_eq!(ev.records()[0].data().as_ref(), b"after");
}

#[tokio::test]
async fn a_new_subscription_replaces_the_old_one_after_five_seconds() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "repl", 1).await;
    let arn = stream_arn(&client, "repl").await;
    let consumer = active_consumer(&client, &arn, "app").await;
    let mut first = subscribe(&client, &consumer, position("LATEST", None)).await;
    // Within 5 s: refused.
    let err = client
        .subscribe_to_shard()
        .consumer_arn(&consumer)
        .shard_id(SHARD)
        .starting_position(position("LATEST", None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&err).0, "ResourceInUseException");
    tokio::time::sleep(Duration::from_millis(5200)).await;
    let mut second = subscribe(&client, &consumer, position("LATEST", None)).await;
    // The first ends with a ResourceInUseException event (after any heartbeats it had queued).
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match first.event_stream.recv().await {
                Ok(Some(_)) => continue,
                Ok(None) => return "ended without an exception".to_string(),
                Err(e) => return format!("{e:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(ended.contains("ResourceInUseException"), "{ended}");
    client.put_record().stream_name("repl").partition_key("k").data(Blob::new("x")).send().await.unwrap();
    loop {
        let ev = next_event(&mut second).await;
        if !ev.records().is_empty() {
            assert_eq!(ev.records()[0].data().as_ref(), b"x");
            break;
        }
    }
}

#[tokio::test]
async fn subscribing_needs_an_active_consumer_and_a_real_shard() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = riffle_testkit::test_config(dir.path());
    config.create_delay = Duration::from_millis(1500);
    let server = TestServer::start_with(dir, config).await;
    let client = server.client().await;
    create_active_stream(&client, "errs", 1).await;
    let arn = stream_arn(&client, "errs").await;
    let reg = client.register_stream_consumer().stream_arn(&arn).consumer_name("slow").send().await.unwrap();
    let creating = reg.consumer().unwrap().consumer_arn().to_string();
    let sub = |consumer: String, shard: &'static str| {
        let client = client.clone();
        async move {
            client
                .subscribe_to_shard()
                .consumer_arn(consumer)
                .shard_id(shard)
                .starting_position(position("LATEST", None))
                .send()
                .await
        }
    };
    let e = sub(creating.clone(), SHARD).await.unwrap_err();
    assert_eq!(code_and_message(&e).0, "ResourceInUseException");
    let e = sub(format!("{arn}/consumer/nobody:1700000000"), SHARD).await.unwrap_err();
    assert_eq!(code_and_message(&e).0, "ResourceNotFoundException");
    let e = sub(format!("{arn}/consumer/slow:1"), SHARD).await.unwrap_err();
    assert_eq!(code_and_message(&e).0, "ResourceNotFoundException", "an old ARN of the name is not the consumer");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let e = sub(creating.clone(), "shardId-000000000007").await.unwrap_err();
    assert_eq!(code_and_message(&e).0, "ResourceNotFoundException");
    let e = client
        .subscribe_to_shard()
        .consumer_arn(&creating)
        .shard_id(SHARD)
        .starting_position(position("AT_SEQUENCE_NUMBER", None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&e).0, "InvalidArgumentException");
}

#[tokio::test]
async fn encrypted_records_reach_subscribers_in_plaintext() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "sealed", 1).await;
    client
        .start_stream_encryption()
        .stream_name("sealed")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    crate::wait_active(&client, "sealed").await;
    client.put_record().stream_name("sealed").partition_key("pk").data(Blob::new("secret")).send().await.unwrap();
    let arn = stream_arn(&client, "sealed").await;
    let consumer = active_consumer(&client, &arn, "app").await;
    let mut events = subscribe(&client, &consumer, position("TRIM_HORIZON", None)).await;
    let ev = next_event(&mut events).await;
    let r = &ev.records()[0];
    assert_eq!(r.data().as_ref(), b"secret");
    assert_eq!(r.partition_key(), Some("pk"));
    assert_eq!(r.encryption_type(), Some(&EncryptionType::Kms));
}

/// A subscriber of a shard that is split drains it, then gets one last event with the children
/// and no continuation, and the stream ends.
#[tokio::test]
async fn a_subscriber_of_a_split_shard_gets_its_child_shards_at_the_end() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "splitsub", 1).await;
    let arn = stream_arn(&client, "splitsub").await;
    let consumer = active_consumer(&client, &arn, "app").await;
    let mut events = subscribe(&client, &consumer, position("TRIM_HORIZON", None)).await;
    let mut put = Vec::new();
    for i in 0..5 {
        let out = client.put_record().stream_name("splitsub").partition_key(format!("k{i}")).data(Blob::new("x"));
        put.push(out.send().await.unwrap().sequence_number().to_string());
    }
    client
        .split_shard()
        .stream_name("splitsub")
        .shard_to_split(SHARD)
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .unwrap();
    crate::wait_active(&client, "splitsub").await;
    // Written after the split: goes to a child, never to this subscription.
    client.put_record().stream_name("splitsub").partition_key("late").data(Blob::new("y")).send().await.unwrap();
    let mut got = Vec::new();
    let last = loop {
        let ev = next_event(&mut events).await;
        got.extend(ev.records().iter().map(|r| r.sequence_number().to_string()));
        if !ev.child_shards().is_empty() {
            break ev;
        }
        assert!(!ev.continuation_sequence_number().is_empty(), "an open shard's events continue");
    };
    assert_eq!(got, put, "every record of the parent, and nothing after its end");
    let mut children: Vec<_> = last.child_shards().iter().map(|c| c.shard_id().to_string()).collect();
    children.sort();
    assert_eq!(children, ["shardId-000000000001", "shardId-000000000002"]);
    for c in last.child_shards() {
        assert_eq!(c.parent_shards(), [SHARD]);
    }
    assert!(last.continuation_sequence_number().is_empty(), "no continuation past the end");
    let end = tokio::time::timeout(Duration::from_secs(10), events.event_stream.recv()).await.expect("the stream ends");
    assert!(matches!(end, Ok(None)), "{end:?}");
}
