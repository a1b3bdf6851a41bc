use crate::setup;
use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use riffle_testkit::create_active_stream;
use std::collections::HashMap;

fn entry(pk: &str, data: &[u8]) -> PutRecordsRequestEntry {
    PutRecordsRequestEntry::builder().partition_key(pk).data(Blob::new(data)).build().unwrap()
}

async fn iterator(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    shard: &str,
    kind: ShardIteratorType,
    seq: Option<&str>,
) -> String {
    client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_starting_sequence_number(seq.map(str::to_string))
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_string()
}

/// Reads a shard from `it` until caught up.
async fn drain(client: &aws_sdk_kinesis::Client, mut it: String) -> Vec<aws_sdk_kinesis::types::Record> {
    let mut out = Vec::new();
    loop {
        let r = client.get_records().shard_iterator(&it).send().await.unwrap();
        let n = r.records().len();
        out.extend(r.records().iter().cloned());
        it = r.next_shard_iterator().unwrap().to_string();
        if n == 0 && r.millis_behind_latest() == Some(0) {
            return out;
        }
    }
}

#[tokio::test]
async fn put_records_round_trip_in_order_per_shard() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "rt", 4).await;
    let mut sent: HashMap<String, Vec<(String, Vec<u8>, String)>> = HashMap::new();
    for batch in 0..4 {
        let entries: Vec<_> = (0..250)
            .map(|i| {
                let data: Vec<u8> = format!("rec-{batch}-{i}").into_bytes().into_iter().chain([0u8, 255, 7]).collect();
                entry(&format!("pk-{}", i % 37), &data)
            })
            .collect();
        let out = client.put_records().stream_name("rt").set_records(Some(entries.clone())).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
        assert_eq!(out.records().len(), entries.len());
        for (e, r) in entries.iter().zip(out.records()) {
            let shard = r.shard_id().unwrap().to_string();
            sent.entry(shard).or_default().push((
                r.sequence_number().unwrap().to_string(),
                e.data().as_ref().to_vec(),
                e.partition_key().unwrap_or_default().to_string(),
            ));
        }
    }
    let mut total = 0;
    for (shard, expected) in &sent {
        let it = iterator(&client, "rt", shard, ShardIteratorType::TrimHorizon, None).await;
        let got = drain(&client, it).await;
        let got: Vec<(String, Vec<u8>, String)> = got
            .iter()
            .map(|r| {
                (
                    r.sequence_number().to_string(),
                    r.data().as_ref().to_vec(),
                    r.partition_key().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(&got, expected, "shard {shard} returns what was written, in order");
        // Sequence numbers increase numerically (decimal without leading zeros: by length, then text).
        let nums: Vec<(usize, &str)> = got.iter().map(|(s, _, _)| (s.len(), s.as_str())).collect();
        assert!(nums.windows(2).all(|w| w[0] < w[1]));
        total += got.len();
    }
    assert_eq!(total, 1000);
}

#[tokio::test]
async fn put_record_routes_by_explicit_hash_key_and_iterators_position() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "pos", 2).await;
    let high = client
        .put_record()
        .stream_name("pos")
        .partition_key("x")
        .explicit_hash_key(u128::MAX.to_string())
        .data(Blob::new("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(high.shard_id(), "shardId-000000000001");
    let mut seqs = vec![high.sequence_number().to_string()];
    for d in ["b", "c"] {
        let r = client
            .put_record()
            .stream_name("pos")
            .partition_key("x")
            .explicit_hash_key("340282366920938463463374607431768211455")
            .data(Blob::new(d))
            .send()
            .await
            .unwrap();
        seqs.push(r.sequence_number().to_string());
    }
    let shard = "shardId-000000000001";
    let at = iterator(&client, "pos", shard, ShardIteratorType::AtSequenceNumber, Some(&seqs[1])).await;
    let r = client.get_records().shard_iterator(at).send().await.unwrap();
    assert_eq!(
        r.records().iter().map(|r| r.data().as_ref().to_vec()).collect::<Vec<_>>(),
        [b"b".to_vec(), b"c".to_vec()]
    );
    let after = iterator(&client, "pos", shard, ShardIteratorType::AfterSequenceNumber, Some(&seqs[1])).await;
    let r = client.get_records().shard_iterator(after).limit(5).send().await.unwrap();
    assert_eq!(r.records().len(), 1);
    assert_eq!(r.records()[0].data().as_ref(), b"c");
    assert!(r.records()[0].approximate_arrival_timestamp().is_some());

    let latest = iterator(&client, "pos", shard, ShardIteratorType::Latest, None).await;
    let r = client.get_records().shard_iterator(&latest).send().await.unwrap();
    assert!(r.records().is_empty());
    assert_eq!(r.millis_behind_latest(), Some(0));
    client
        .put_record()
        .stream_name("pos")
        .partition_key("x")
        .explicit_hash_key(u128::MAX.to_string())
        .data(Blob::new("d"))
        .send()
        .await
        .unwrap();
    let r = client.get_records().shard_iterator(r.next_shard_iterator().unwrap()).send().await.unwrap();
    assert_eq!(r.records().len(), 1);
    assert_eq!(r.records()[0].data().as_ref(), b"d");

    let limited = iterator(&client, "pos", shard, ShardIteratorType::TrimHorizon, None).await;
    let r = client.get_records().shard_iterator(limited).limit(2).send().await.unwrap();
    assert_eq!(r.records().len(), 2);
    assert!(r.millis_behind_latest().is_some());

    let ts = client
        .get_shard_iterator()
        .stream_name("pos")
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AtTimestamp)
        .timestamp(DateTime::from_secs(0))
        .send()
        .await
        .unwrap();
    let r = client.get_records().shard_iterator(ts.shard_iterator().unwrap()).send().await.unwrap();
    assert_eq!(r.records().len(), 4, "AT_TIMESTAMP before everything reads everything");
}
