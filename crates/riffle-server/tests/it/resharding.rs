//! SplitShard, MergeShards and UpdateShardCount through the AWS SDK for Rust: lineage, sequence
//! numbers, reading across a resharding, writes racing it, restarts, retention and errors.

use crate::{code_and_message, setup, wait_active};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::{
    ScalingType, Shard, ShardFilter, ShardFilterType, ShardIteratorType, StreamMode, StreamModeDetails, StreamStatus,
};
use riffle_testkit::{TestServer, create_active_stream, test_config};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

const HALF: u128 = 1 << 127;
const QUARTER: u128 = 1 << 126;

fn id(i: u32) -> String {
    format!("shardId-{i:012}")
}

/// Sequence numbers are fixed-width decimal strings; this orders them numerically anyway.
fn seq_key(s: &str) -> (usize, &str) {
    (s.len(), s)
}

pub(crate) async fn list_shards(client: &Client, stream: &str, filter: Option<ShardFilter>) -> Vec<Shard> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream).set_shard_filter(filter.clone()),
        };
        let page = req.send().await.expect("list_shards");
        out.extend(page.shards().iter().cloned());
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

fn filter(kind: ShardFilterType) -> ShardFilter {
    ShardFilter::builder().r#type(kind).build().unwrap()
}

fn ids(shards: &[Shard]) -> Vec<String> {
    shards.iter().map(|s| s.shard_id().to_string()).collect()
}

fn range(s: &Shard) -> (u128, u128) {
    let r = s.hash_key_range().unwrap();
    (r.starting_hash_key().parse().unwrap(), r.ending_hash_key().parse().unwrap())
}

fn open_ranges(shards: &[Shard]) -> Vec<(u128, u128)> {
    let mut r: Vec<_> = shards
        .iter()
        .filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_none())
        .map(range)
        .collect();
    r.sort_unstable();
    r
}

/// `n` equal-width ranges, as AWS (and CreateStream) lays them out.
pub(crate) fn uniform(n: u32) -> Vec<(u128, u128)> {
    let n = u128::from(n);
    if n == 1 {
        return vec![(0, u128::MAX)];
    }
    let mut w = u128::MAX / n;
    if u128::MAX % n == n - 1 {
        w += 1;
    }
    (0..n).map(|i| (i * w, if i == n - 1 { u128::MAX } else { (i + 1) * w - 1 })).collect()
}

/// A record as a lineage walk read it.
#[derive(Debug, Clone)]
pub(crate) struct ReadRecord {
    pub seq: String,
    pub key: String,
    pub data: Vec<u8>,
}

/// Reads the whole stream as a KCL would: from the roots (ListShards AT_TRIM_HORIZON), each
/// shard from TRIM_HORIZON to its end, a child only once all its parents are done (as their
/// ChildShards name them). Checks on the way that closed shards end with ChildShards and no
/// iterator, open shards never do, and every listed shard is reached.
pub(crate) async fn read_lineage(client: &Client, stream: &str) -> Vec<ReadRecord> {
    let all = list_shards(client, stream, None).await;
    let by_id: HashMap<String, Shard> = all.iter().map(|s| (s.shard_id().to_string(), s.clone())).collect();
    let roots = list_shards(client, stream, Some(filter(ShardFilterType::AtTrimHorizon))).await;
    let mut ready: VecDeque<String> = ids(&roots).into();
    let mut queued: HashSet<String> = ready.iter().cloned().collect();
    let mut done = HashSet::new();
    let mut out = Vec::new();
    while let Some(shard) = ready.pop_front() {
        let closed = by_id[&shard].sequence_number_range().unwrap().ending_sequence_number().map(str::to_string);
        let mut it = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .unwrap()
            .to_string();
        loop {
            let r = client.get_records().shard_iterator(&it).limit(1000).send().await.unwrap();
            for rec in r.records() {
                if let Some(end) = &closed {
                    assert!(seq_key(rec.sequence_number()) <= seq_key(end), "record past the end of {shard}");
                }
                out.push(ReadRecord {
                    seq: rec.sequence_number().to_string(),
                    key: rec.partition_key().unwrap_or_default().to_string(),
                    data: rec.data().as_ref().to_vec(),
                });
            }
            match r.next_shard_iterator() {
                Some(next) => {
                    assert!(r.child_shards().is_empty(), "ChildShards only at the end");
                    if r.records().is_empty() {
                        assert!(closed.is_none(), "closed shard {shard} read to its tip yet not ended");
                        break;
                    }
                    it = next.to_string();
                }
                None => {
                    assert!(closed.is_some(), "open shard {shard} ended");
                    let children = r.child_shards();
                    assert!(!children.is_empty(), "a closed shard names its children");
                    done.insert(shard.clone());
                    for c in children {
                        assert!(c.parent_shards().contains(&shard));
                        let listed = &by_id[c.shard_id()];
                        assert_eq!(
                            c.hash_key_range().map(|h| h.starting_hash_key()),
                            Some(range(listed).0.to_string()).as_deref()
                        );
                        if c.parent_shards().iter().all(|p| done.contains(p) || !by_id.contains_key(p))
                            && queued.insert(c.shard_id().to_string())
                        {
                            ready.push_back(c.shard_id().to_string());
                        }
                    }
                    break;
                }
            }
        }
        done.insert(shard);
    }
    let missed: Vec<_> = by_id.keys().filter(|s| !done.contains(*s)).collect();
    assert!(missed.is_empty(), "shards never reached through the lineage: {missed:?}");
    out
}

async fn put(client: &Client, stream: &str, ehk: u128, data: &str) -> (String, String) {
    let r = client
        .put_record()
        .stream_name(stream)
        .partition_key("k")
        .explicit_hash_key(ehk.to_string())
        .data(Blob::new(data))
        .send()
        .await
        .unwrap();
    (r.shard_id().to_string(), r.sequence_number().to_string())
}

async fn split(client: &Client, stream: &str, shard: u32, at: u128) {
    client
        .split_shard()
        .stream_name(stream)
        .shard_to_split(id(shard))
        .new_starting_hash_key(at.to_string())
        .send()
        .await
        .unwrap();
}

async fn merge(client: &Client, stream: &str, a: u32, b: u32) {
    client
        .merge_shards()
        .stream_name(stream)
        .shard_to_merge(id(a))
        .adjacent_shard_to_merge(id(b))
        .send()
        .await
        .unwrap();
}

async fn scale(client: &Client, stream: &str, target: i32) -> (i32, i32) {
    let out = client
        .update_shard_count()
        .stream_name(stream)
        .target_shard_count(target)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!(out.stream_name(), Some(stream));
    assert_eq!(out.stream_arn(), Some(format!("arn:aws:kinesis:us-east-1:000000000000:stream/{stream}").as_str()));
    (out.current_shard_count().unwrap(), out.target_shard_count().unwrap())
}

async fn described(client: &Client, stream: &str) -> BTreeMap<String, Shard> {
    let d = client.describe_stream().stream_name(stream).send().await.unwrap();
    d.stream_description().unwrap().shards().iter().map(|s| (s.shard_id().to_string(), s.clone())).collect()
}

fn seqs(s: &Shard) -> (String, Option<String>) {
    let r = s.sequence_number_range().unwrap();
    (r.starting_sequence_number().to_string(), r.ending_sequence_number().map(str::to_string))
}

#[tokio::test]
async fn split_merge_and_update_shard_count_build_the_lineage() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "rs", 2).await;
    let (s0, last0) = put(&client, "rs", 5, "a").await;
    assert_eq!(s0, id(0));
    let before_split = DateTime::from_millis(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    );
    tokio::time::sleep(Duration::from_millis(5)).await;

    split(&client, "rs", 0, QUARTER).await;
    wait_active(&client, "rs").await;
    let d = described(&client, "rs").await;
    assert_eq!(d.keys().cloned().collect::<Vec<_>>(), [id(0), id(1), id(2), id(3)]);
    let (_, parent_end) = seqs(&d[&id(0)]);
    assert_eq!(parent_end.as_deref(), Some(last0.as_str()), "a parent ends at its last record");
    assert_eq!(seqs(&d[&id(1)]).1, None);
    for (child, r) in [(2, (0, QUARTER - 1)), (3, (QUARTER, HALF - 1))] {
        let c = &d[&id(child)];
        assert_eq!(c.parent_shard_id(), Some(id(0).as_str()));
        assert_eq!(c.adjacent_parent_shard_id(), None);
        assert_eq!(range(c), r);
        assert!(seq_key(&seqs(c).0) > seq_key(parent_end.as_deref().unwrap()), "children start after the parent");
    }
    // Writes go to the children at once, and sort after everything in the parent.
    let (s, seq) = put(&client, "rs", 5, "b").await;
    assert_eq!(s, id(2));
    assert!(seq_key(&seq) > seq_key(&last0));
    assert_eq!(put(&client, "rs", QUARTER, "c").await.0, id(3));

    merge(&client, "rs", 2, 3).await;
    wait_active(&client, "rs").await;
    let d = described(&client, "rs").await;
    let m = &d[&id(4)];
    assert_eq!((m.parent_shard_id(), m.adjacent_parent_shard_id()), (Some(id(2).as_str()), Some(id(3).as_str())));
    assert_eq!(range(m), (0, HALF - 1));
    assert!(seqs(&d[&id(2)]).1.is_some() && seqs(&d[&id(3)]).1.is_some());
    assert_eq!(put(&client, "rs", 5, "d").await.0, id(4));

    // 2 -> 4: one split of each open shard, into equal quarters.
    assert_eq!(scale(&client, "rs", 4).await, (2, 4));
    wait_active(&client, "rs").await;
    let all = list_shards(&client, "rs", None).await;
    assert_eq!(open_ranges(&all), uniform(4));
    assert_eq!(all.len(), 9);
    // 4 -> 3: through transient shards to three equal thirds.
    assert_eq!(scale(&client, "rs", 3).await, (4, 3));
    wait_active(&client, "rs").await;
    let all = list_shards(&client, "rs", None).await;
    assert_eq!(open_ranges(&all), uniform(3));
    let summary = client.describe_stream_summary().stream_name("rs").send().await.unwrap();
    assert_eq!(summary.stream_description_summary().unwrap().open_shard_count(), 3);
    let limits = client.describe_limits().send().await.unwrap();
    assert_eq!(limits.open_shard_count(), 3);
    // Every child names parents that exist, starts after their ends, and children sort after parents.
    let by_id: HashMap<_, _> = all.iter().map(|s| (s.shard_id().to_string(), s.clone())).collect();
    for s in &all {
        for p in [s.parent_shard_id(), s.adjacent_parent_shard_id()].into_iter().flatten() {
            let p = &by_id[p];
            assert!(p.shard_id() < s.shard_id());
            let end = seqs(p).1.expect("a parent is closed");
            assert!(seq_key(&seqs(s).0) > seq_key(&end));
        }
    }
    let open: Vec<String> = all.iter().filter(|s| seqs(s).1.is_none()).map(|s| s.shard_id().to_string()).collect();

    // ListShards filters.
    assert_eq!(ids(&list_shards(&client, "rs", Some(filter(ShardFilterType::AtLatest))).await), open);
    assert_eq!(ids(&list_shards(&client, "rs", Some(filter(ShardFilterType::AtTrimHorizon))).await), [id(0), id(1)]);
    assert_eq!(ids(&list_shards(&client, "rs", Some(filter(ShardFilterType::FromTrimHorizon))).await), ids(&all));
    let after = ShardFilter::builder().r#type(ShardFilterType::AfterShardId).shard_id(id(4)).build().unwrap();
    let listed = ids(&list_shards(&client, "rs", Some(after)).await);
    assert_eq!(listed, ids(&all).into_iter().filter(|s| *s > id(4)).collect::<Vec<_>>());
    let at = ShardFilter::builder().r#type(ShardFilterType::AtTimestamp).timestamp(before_split).build().unwrap();
    assert_eq!(ids(&list_shards(&client, "rs", Some(at)).await), [id(0), id(1)]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let later = DateTime::from_millis(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    );
    let from = ShardFilter::builder().r#type(ShardFilterType::FromTimestamp).timestamp(later).build().unwrap();
    assert_eq!(ids(&list_shards(&client, "rs", Some(from)).await), open);
    // Paged: the same shards, in order.
    let page = client.list_shards().stream_name("rs").max_results(5).send().await.unwrap();
    assert_eq!(ids(page.shards()), ids(&all)[..5]);
    assert!(page.next_token().is_some());
    // DescribeStream shows the same lineage.
    let d = described(&client, "rs").await;
    assert_eq!(d.len(), all.len());
    for s in &all {
        assert_eq!(d[s.shard_id()].parent_shard_id(), s.parent_shard_id());
        assert_eq!(d[s.shard_id()].adjacent_parent_shard_id(), s.adjacent_parent_shard_id());
    }

    // Everything written is read once, walking the lineage, each partition key in write order.
    let read = read_lineage(&client, "rs").await;
    let data: Vec<_> = read.iter().map(|r| String::from_utf8(r.data.clone()).unwrap()).collect();
    assert_eq!(data.len(), 4);
    let pos = |d: &str| data.iter().position(|x| x == d).unwrap();
    assert!(pos("a") < pos("b") && pos("b") < pos("d"));
}

#[tokio::test]
async fn a_reader_drains_a_closed_parent_then_gets_its_children() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "drain", 1).await;
    let mut written = Vec::new();
    for i in 0..5 {
        written.push(put(&client, "drain", 1000 + i, &format!("r{i}")).await.1);
    }
    let iterator = |kind: ShardIteratorType, seq: Option<&str>| {
        let client = client.clone();
        let seq = seq.map(str::to_string);
        async move {
            client
                .get_shard_iterator()
                .stream_name("drain")
                .shard_id(id(0))
                .shard_iterator_type(kind)
                .set_starting_sequence_number(seq)
                .send()
                .await
                .unwrap()
                .shard_iterator()
                .unwrap()
                .to_string()
        }
    };
    let before = iterator(ShardIteratorType::TrimHorizon, None).await;
    split(&client, "drain", 0, HALF).await;
    // Writes after the split land in the children.
    let (child, _) = put(&client, "drain", 1000, "after").await;
    assert_eq!(child, id(1));

    // An iterator taken before the split reads the parent to its end, then gets the children.
    let mut it = before;
    let mut got = Vec::new();
    let end = loop {
        let r = client.get_records().shard_iterator(&it).limit(2).send().await.unwrap();
        got.extend(r.records().iter().map(|r| r.sequence_number().to_string()));
        match r.next_shard_iterator() {
            Some(next) => {
                assert!(r.child_shards().is_empty());
                it = next.to_string();
            }
            None => break r,
        }
    };
    assert_eq!(got, written, "every record of the parent, in order, once");
    let children = end.child_shards();
    assert_eq!(children.len(), 2);
    let expect = [(id(1), 0, HALF - 1), (id(2), HALF, u128::MAX)];
    for (c, (cid, start, stop)) in children.iter().zip(expect) {
        assert_eq!(c.shard_id(), cid);
        assert_eq!(c.parent_shards(), [id(0)]);
        let h = c.hash_key_range().unwrap();
        assert_eq!(
            (h.starting_hash_key(), h.ending_hash_key()),
            (start.to_string().as_str(), stop.to_string().as_str())
        );
    }
    // LATEST on a closed shard is its end at once; AT_SEQUENCE_NUMBER of its last record reads it, then ends.
    let r = client.get_records().shard_iterator(iterator(ShardIteratorType::Latest, None).await).send().await.unwrap();
    assert!(r.records().is_empty() && r.next_shard_iterator().is_none() && r.child_shards().len() == 2);
    let last = iterator(ShardIteratorType::AtSequenceNumber, Some(&written[4])).await;
    let r = client.get_records().shard_iterator(last).send().await.unwrap();
    assert_eq!(r.records().len(), 1);
    assert!(r.next_shard_iterator().is_none());
    assert_eq!(r.millis_behind_latest(), Some(0));
}

#[tokio::test]
async fn every_acknowledged_write_racing_reshardings_is_read_once_in_order() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "race", 2).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, stop) = (client.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let entries: Vec<_> = (0..20)
                    .map(|j| {
                        n += 1;
                        aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                            .partition_key(format!("w{w}-k{}", (n + j) % 7))
                            .data(Blob::new(format!("w{w}-{n:08}")))
                            .build()
                            .unwrap()
                    })
                    .collect();
                let datas: Vec<_> = entries.iter().map(|e| e.data().as_ref().to_vec()).collect();
                let out = client.put_records().stream_name("race").set_records(Some(entries)).send().await.unwrap();
                assert_eq!(out.failed_record_count(), Some(0));
                for (r, d) in out.records().iter().zip(datas) {
                    acked.push((r.sequence_number().unwrap().to_string(), d));
                }
            }
            acked
        }));
    }
    let pause = || tokio::time::sleep(Duration::from_millis(30));
    pause().await;
    split(&client, "race", 0, QUARTER).await;
    wait_active(&client, "race").await;
    pause().await;
    merge(&client, "race", 2, 3).await;
    wait_active(&client, "race").await;
    pause().await;
    scale(&client, "race", 4).await;
    wait_active(&client, "race").await;
    pause().await;
    scale(&client, "race", 3).await;
    wait_active(&client, "race").await;
    pause().await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acked: HashMap<String, Vec<u8>> = HashMap::new();
    for w in writers {
        for (seq, data) in w.await.unwrap() {
            assert!(acked.insert(seq, data).is_none(), "sequence numbers are unique");
        }
    }
    assert!(acked.len() > 100, "the writers wrote ({} records)", acked.len());
    let read = read_lineage(&client, "race").await;
    let mut seen = HashSet::new();
    let mut last_per_key: HashMap<String, Vec<u8>> = HashMap::new();
    for r in &read {
        assert!(seen.insert(r.seq.clone()), "{} read twice", r.seq);
        assert_eq!(acked.get(&r.seq), Some(&r.data), "{} read as acknowledged", r.seq);
        // Data is "w<writer>-<n>", n rising per writer, so per key it must rise too.
        if let Some(prev) = last_per_key.insert(r.key.clone(), r.data.clone()) {
            assert!(prev < r.data, "key {} out of order: {:?} then {:?}", r.key, prev, r.data);
        }
    }
    assert_eq!(seen.len(), acked.len(), "every acknowledged record is read");
}

#[tokio::test]
async fn the_lineage_survives_a_restart() {
    let mut server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "keep", 1).await;
    put(&client, "keep", 1, "before").await;
    split(&client, "keep", 0, HALF).await;
    put(&client, "keep", 1, "after").await;
    let before = described(&client, "keep").await;

    server.restart().await;
    let client = server.client().await;
    let summary = client.describe_stream_summary().stream_name("keep").send().await.unwrap();
    assert_eq!(summary.stream_description_summary().unwrap().stream_status(), &StreamStatus::Active);
    let after = described(&client, "keep").await;
    assert_eq!(format!("{before:?}"), format!("{after:?}"));
    assert_eq!(put(&client, "keep", HALF, "later").await.0, id(2));
    let read: Vec<_> = read_lineage(&client, "keep").await.into_iter().map(|r| r.data).collect();
    assert_eq!(read, [b"before".to_vec(), b"after".to_vec(), b"later".to_vec()]);
}

#[tokio::test]
async fn closed_shards_disappear_once_their_data_has_expired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut server = TestServer::start_with(dir, test_config(&path)).await;
    let client = server.client().await;
    create_active_stream(&client, "old", 1).await;
    put(&client, "old", 1, "x").await;
    split(&client, "old", 0, HALF).await;
    wait_active(&client, "old").await;
    assert_eq!(described(&client, "old").await.len(), 3);

    server.restart_with(|c| c.retention_clock_offset_ms = 25 * 3_600_000).await;
    let client = server.client().await;
    assert_eq!(described(&client, "old").await.keys().cloned().collect::<Vec<_>>(), [id(1), id(2)]);
    assert_eq!(ids(&list_shards(&client, "old", None).await), [id(1), id(2)]);
    // With their parent gone, the children are where the trim horizon starts.
    let roots = list_shards(&client, "old", Some(filter(ShardFilterType::AtTrimHorizon))).await;
    assert_eq!(ids(&roots), [id(1), id(2)]);
    assert_eq!(roots[0].parent_shard_id(), Some(id(0).as_str()), "the lineage is still named");
}

#[tokio::test]
async fn resharding_errors_as_aws_answers_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.update_delay = Duration::from_millis(600);
    let server = TestServer::start_with(dir, config).await;
    let client = server.client().await;
    create_active_stream(&client, "rs", 2).await;
    let split_req = |shard: u32, key: &str| {
        client.split_shard().stream_name("rs").shard_to_split(id(shard)).new_starting_hash_key(key).send()
    };
    let merge_req = |a: u32, b: u32| {
        client.merge_shards().stream_name("rs").shard_to_merge(id(a)).adjacent_shard_to_merge(id(b)).send()
    };
    let scale_req = |n: i32| {
        client
            .update_shard_count()
            .stream_name("rs")
            .target_shard_count(n)
            .scaling_type(ScalingType::UniformScaling)
            .send()
    };
    let err = split_req(9, "5").await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ResourceNotFoundException".into(),
            "Could not find shard shardId-000000000009 in stream rs under account 000000000000.".into()
        )
    );
    let err = split_req(0, "1").await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "InvalidArgumentException".into(),
            "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream rs under account \
             000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's \
             EndingHashKey 170141183460469231731687303715884105727."
                .into()
        )
    );
    let err = split_req(0, &HALF.to_string()).await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidArgumentException");

    // While UPDATING: writes work, structural changes are ResourceInUse.
    split_req(0, &QUARTER.to_string()).await.unwrap();
    let status = client.describe_stream_summary().stream_name("rs").send().await.unwrap();
    assert_eq!(status.stream_description_summary().unwrap().stream_status(), &StreamStatus::Updating);
    let in_use = (
        "ResourceInUseException".to_string(),
        "Stream rs under account 000000000000 not ACTIVE, instead in state UPDATING".to_string(),
    );
    assert_eq!(code_and_message(&split_req(1, &(HALF + 5).to_string()).await.unwrap_err()), in_use);
    assert_eq!(code_and_message(&merge_req(2, 3).await.unwrap_err()), in_use);
    assert_eq!(code_and_message(&scale_req(3).await.unwrap_err()), in_use);
    assert_eq!(put(&client, "rs", 1, "during").await.0, id(2));
    wait_active(&client, "rs").await;

    // A closed shard cannot be split or merged again.
    let err = split_req(0, "100").await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "InvalidArgumentException".into(),
            "Shard shardId-000000000000 in stream rs under account 000000000000 has already been merged or split, \
             and thus is not eligible for merging or splitting."
                .into()
        )
    );
    // Shards 2 [0, Q-1] and 1 [H, max] are not adjacent.
    let err = merge_req(2, 1).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "InvalidArgumentException".into(),
            "Shards shardId-000000000002 and shardId-000000000001 in stream rs under account 000000000000 are not \
             an adjacent pair of shards eligible for merging"
                .into()
        )
    );
    // Three open shards: at most 6, at least 2.
    let err = scale_req(7).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "LimitExceededException".into(),
            "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: \
             3, Target shard count: 7"
                .into()
        )
    );
    let err = scale_req(1).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "LimitExceededException".into(),
            "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: \
             3, Target shard count: 1"
                .into()
        )
    );
    assert_eq!(code_and_message(&scale_req(0).await.unwrap_err()).0, "ValidationException");
    assert_eq!(list_shards(&client, "rs", None).await.len(), 4, "refusals change nothing");

    // On-demand streams cannot be resharded.
    client
        .update_stream_mode()
        .stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/rs")
        .stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap())
        .send()
        .await
        .unwrap();
    wait_active(&client, "rs").await;
    let on_demand = (
        "ValidationException".to_string(),
        "Request is invalid. Stream rs under account 000000000000 is in On-Demand mode.".to_string(),
    );
    assert_eq!(code_and_message(&scale_req(3).await.unwrap_err()), on_demand);
    assert_eq!(code_and_message(&split_req(1, &(HALF + 5).to_string()).await.unwrap_err()), on_demand);
    assert_eq!(code_and_message(&merge_req(2, 3).await.unwrap_err()), on_demand);
}

#[tokio::test]
async fn update_shard_count_runs_at_most_ten_times_a_day() {
    let mut server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "busy", 1).await;
    for i in 0..10 {
        let target = if i % 2 == 0 { 2 } else { 1 };
        scale(&client, "busy", target).await;
        wait_active(&client, "busy").await;
    }
    let limited = (
        "LimitExceededException".to_string(),
        "Cannot run UpdateShardCount more than 10 times in a 24 hour period".to_string(),
    );
    let again = || {
        client
            .update_shard_count()
            .stream_name("busy")
            .target_shard_count(2)
            .scaling_type(ScalingType::UniformScaling)
            .send()
    };
    assert_eq!(code_and_message(&again().await.unwrap_err()), limited);
    // Splits and merges are not scalings.
    split(&client, "busy", 15, HALF).await;
    // The count survives a restart.
    server.restart().await;
    let client = server.client().await;
    let err = client
        .update_shard_count()
        .stream_name("busy")
        .target_shard_count(3)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&err), limited);
}
