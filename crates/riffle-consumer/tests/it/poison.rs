//! Poison records: retried, then dead-lettered (and processing goes on) or the shard stops —
//! never skipped silently. Also checkpoints inside a KPL aggregate.

use crate::common::*;
use parking_lot::Mutex;
use riffle_consumer::{
    Checkpointer, DeadLetterSink, InitializeInput, PoisonAction, PoisonPolicy, ProcessError, ProcessRecordsInput,
    RecordProcessor,
};
use riffle_testkit::TestServer;
use std::sync::Arc;
use std::time::Duration;

fn policy(action: PoisonAction) -> PoisonPolicy {
    PoisonPolicy { max_attempts: 3, retry_backoff: Duration::from_millis(10), action }
}

async fn put_raw(client: &aws_sdk_kinesis::Client, stream: &str, data: &[u8]) {
    client
        .put_record()
        .stream_name(stream)
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new(data.to_vec()))
        .send()
        .await
        .unwrap();
}

fn attempts_at_poison(log: &Log) -> usize {
    log.events().iter().filter(|e| matches!(e, Event::Record { data, .. } if data == "poison")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_is_retried_then_dead_lettered_and_processing_goes_on() {
    let server = TestServer::start().await;
    let client = stream(&server, "poison", 1).await;
    let log = Log::default();
    let dead = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let dead = dead.clone();
        DeadLetterSink::new(move |d| dead.lock().push(d))
    };
    let cfg =
        config("poison-app", "poison", "w").poison_policy(policy(PoisonAction::DeadLetter)).dead_letter_sink(sink);
    let w = start(&server, cfg, &log).await;
    for d in ["before", "poison", "after"] {
        put_raw(&client, "poison", d.as_bytes()).await;
    }
    wait_until("the record after the poison processed", LONG, || async { log.data().contains("after") }).await;
    assert_eq!(attempts_at_poison(&log), 3);
    let dead = dead.lock().clone();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].record.data, b"poison");
    assert_eq!(dead[0].attempts, 3);
    w.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_can_stop_its_shard_instead() {
    let server = TestServer::start().await;
    let client = stream(&server, "stop", 1).await;
    let log = Log::default();
    let cfg = config("stop-app", "stop", "w").poison_policy(policy(PoisonAction::StopShard));
    let w = start(&server, cfg, &log).await;
    for d in ["before", "poison", "after"] {
        put_raw(&client, "stop", d.as_bytes()).await;
    }
    wait_until("three attempts at the poison record", LONG, || async { attempts_at_poison(&log) == 3 }).await;
    // Give a wrongly continuing worker ample chance to show itself.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(attempts_at_poison(&log), 3);
    assert!(!log.data().contains("after"), "the shard must stop at the poison record");
    // The stopped shard's lease stays held (renewed), so no peer repeats the failure.
    assert_eq!(owners(&leases(&server, "stop-app")).await.get("w"), Some(&1));
    w.abort();
}

/// Checkpoints after the second user record of every aggregate it sees, and never otherwise.
struct MidAggregate {
    log: Log,
}

impl RecordProcessor for MidAggregate {
    async fn initialize(&mut self, _: InitializeInput) {}

    async fn process_records(
        &mut self,
        input: ProcessRecordsInput<'_>,
        cp: &mut Checkpointer,
    ) -> Result<(), ProcessError> {
        for r in input.records {
            let data = String::from_utf8_lossy(&r.data).to_string();
            self.log.push(Event::Record {
                worker: String::new(),
                shard: input.shard_id.into(),
                key: r.partition_key.clone(),
                data,
                seq: r.sequence_number.clone(),
                sub: r.sub_sequence_number,
            });
        }
        if let Some(r) = input.records.iter().find(|r| r.aggregated && r.sub_sequence_number == 1) {
            cp.checkpoint_at(&r.sequence_number, 1).await.unwrap();
        }
        Ok(())
    }

    async fn shard_ended(&mut self, cp: &mut Checkpointer) {
        cp.checkpoint().await.unwrap();
    }

    async fn shutdown_requested(&mut self, _: &mut Checkpointer) {}
}

fn mid_aggregate(log: &Log) -> impl Fn(&str) -> MidAggregate + Send + Sync + 'static {
    let log = log.clone();
    move |_: &str| MidAggregate { log: log.clone() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_inside_an_aggregate_resumes_after_that_user_record() {
    let server = TestServer::start().await;
    let client = stream(&server, "agg", 1).await;
    let aggregate = riffle_proto::agg::aggregate([
        ("a", None, &b"u0"[..]),
        ("b", None, &b"u1"[..]),
        ("c", None, &b"u2"[..]),
        ("d", None, &b"u3"[..]),
    ]);
    put_raw(&client, "agg", &aggregate).await;
    let first = Log::default();
    let w = start_with(&server, config("agg-app", "agg", "w1"), mid_aggregate(&first)).await;
    wait_until("the aggregate's four user records", LONG, || async { first.data().len() == 4 }).await;
    w.shutdown().await.unwrap();

    let second = Log::default();
    let w = start_with(&server, config("agg-app", "agg", "w2"), mid_aggregate(&second)).await;
    wait_until("the records after the checkpoint", LONG, || async { second.data().len() == 2 }).await;
    let subs: Vec<u64> = second
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Record { sub, .. } => Some(sub),
            _ => None,
        })
        .collect();
    assert_eq!(subs, [2, 3], "resumed right after (seq, 1)");
    w.shutdown().await.unwrap();
}
