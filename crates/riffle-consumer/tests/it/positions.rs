//! Where a worker starts on a shard with no checkpoint (LATEST, AT_TIMESTAMP), and two-phase
//! checkpoints (prepare, then commit) as they land in the lease table and survive a fail-over.

use crate::common::*;
use parking_lot::Mutex;
use riffle_consumer::{
    Checkpoint, Checkpointer, InitialPosition, InitializeInput, LeaseTable, ProcessError, ProcessRecordsInput,
    RecordProcessor,
};
use riffle_testkit::TestServer;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn tagged(log: &Log, tag: &str) -> usize {
    log.data().iter().filter(|d| d.starts_with(tag)).count()
}

async fn put_tagged(client: &aws_sdk_kinesis::Client, stream: &str, tag: &str, n: u32) {
    let keys: Vec<String> = (0..8).map(|i| format!("{tag}-{i}")).collect();
    put(client, stream, &keys, 0..n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_skips_what_was_written_before_the_worker_started() {
    let server = TestServer::start().await;
    let client = stream(&server, "latest", 2).await;
    put_tagged(&client, "latest", "old", 5).await;
    let log = Log::default();
    let w = start(&server, config("latest-app", "latest", "w").initial_position(InitialPosition::Latest), &log).await;
    // LATEST is taken when each shard's reader starts; keep writing until new records show up.
    wait_until("records written after the start are processed", LONG, || async {
        put_tagged(&client, "latest", "new", 1).await;
        tagged(&log, "new") > 0
    })
    .await;
    assert_eq!(tagged(&log, "old"), 0, "records from before the start were processed");
    w.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_timestamp_starts_at_the_first_record_written_since() {
    let server = TestServer::start().await;
    let client = stream(&server, "ts", 2).await;
    put_tagged(&client, "ts", "before", 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let since = SystemTime::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    put_tagged(&client, "ts", "after", 5).await;
    let log = Log::default();
    let cfg = config("ts-app", "ts", "w").initial_position(InitialPosition::AtTimestamp(since));
    let w = start(&server, cfg, &log).await;
    wait_until("every record written since the timestamp", LONG, || async { tagged(&log, "after") == 40 }).await;
    assert_eq!(tagged(&log, "before"), 0);
    w.shutdown().await.unwrap();
}

/// Prepares a checkpoint at the end of every batch, looks at the lease table, and commits only
/// when told to.
type Seen = Arc<Mutex<Vec<(Checkpoint, Option<(Checkpoint, Option<Vec<u8>>)>)>>>;
type Inits = Arc<Mutex<Vec<InitializeInput>>>;

struct TwoPhase {
    table: LeaseTable,
    log: Log,
    commit: bool,
    seen_pending: Seen,
    init: Inits,
}

impl RecordProcessor for TwoPhase {
    async fn initialize(&mut self, input: InitializeInput) {
        self.init.lock().push(input);
    }

    async fn process_records(
        &mut self,
        input: ProcessRecordsInput<'_>,
        cp: &mut Checkpointer,
    ) -> Result<(), ProcessError> {
        for r in input.records {
            self.log.push(Event::Record {
                worker: String::new(),
                shard: input.shard_id.to_string(),
                key: r.partition_key.clone(),
                data: String::from_utf8_lossy(&r.data).to_string(),
                seq: r.sequence_number.clone(),
                sub: r.sub_sequence_number,
            });
        }
        let prepared = cp.prepare_checkpoint(Some(b"app-state".to_vec())).await.expect("prepare");
        let lease = self.table.get(input.shard_id).await.unwrap().unwrap();
        self.seen_pending.lock().push((prepared.checkpoint().clone(), lease.pending_checkpoint.clone()));
        if self.commit {
            prepared.commit(cp).await.expect("commit");
        }
        Ok(())
    }

    async fn shard_ended(&mut self, cp: &mut Checkpointer) {
        let _ = cp.checkpoint().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_checkpoints_are_stored_committed_and_handed_to_the_next_owner() {
    let server = TestServer::start().await;
    let client = stream(&server, "twophase", 1).await;
    let table = leases(&server, "twophase-app");
    let log = Log::default();
    let seen: Seen = Arc::default();
    let init: Inits = Arc::default();
    let processor = |commit: bool, seen: &Seen, init: &Inits| {
        let (table, log, seen, init) = (table.clone(), log.clone(), Arc::clone(seen), Arc::clone(init));
        move |_: &str| TwoPhase {
            table: table.clone(),
            log: log.clone(),
            commit,
            seen_pending: seen.clone(),
            init: init.clone(),
        }
    };
    // First worker: prepare + commit.
    let a = start_with(&server, config("twophase-app", "twophase", "a"), processor(true, &seen, &init)).await;
    put_tagged(&client, "twophase", "one", 2).await;
    wait_until("the first batch processed and committed", LONG, || async {
        tagged(&log, "one") == 16 && matches!(table.list().await.unwrap()[0].checkpoint, Checkpoint::At(_))
    })
    .await;
    let lease = table.list().await.unwrap().remove(0);
    let (prepared, pending) = seen.lock().last().cloned().unwrap();
    assert_eq!(pending, Some((prepared.clone(), Some(b"app-state".to_vec()))), "prepared state stored");
    assert_eq!(lease.checkpoint, prepared, "committed");
    assert_eq!(lease.pending_checkpoint, None, "commit clears the pending checkpoint");
    a.abort();

    // Second worker prepares without committing, then dies: the next owner is told.
    let seen2: Seen = Arc::default();
    let init2: Inits = Arc::default();
    let b = start_with(&server, config("twophase-app", "twophase", "b"), processor(false, &seen2, &init2)).await;
    put_tagged(&client, "twophase", "two", 1).await;
    wait_until("b prepared", LONG, || async { !seen2.lock().is_empty() }).await;
    let (prepared_by_b, _) = seen2.lock().last().cloned().unwrap();
    b.abort();
    let init3: Inits = Arc::default();
    let c =
        start_with(&server, config("twophase-app", "twophase", "c"), processor(true, &Seen::default(), &init3)).await;
    wait_until("c initializes the shard after fail-over", LONG, || async { !init3.lock().is_empty() }).await;
    let first: InitializeInput = init3.lock()[0].clone();
    assert_eq!(first.checkpoint, prepared, "resumes from the last committed checkpoint");
    assert_eq!(
        first.pending_checkpoint,
        Some((prepared_by_b, Some(b"app-state".to_vec()))),
        "and sees the pending one"
    );
    c.shutdown().await.unwrap();
}
