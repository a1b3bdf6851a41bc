//! Graceful lease handoff: a worker stealing a lease from a live peer waits for it to
//! checkpoint and let go, so no record is processed twice while leases move; a thief stolen
//! from while it waits lets go at once.

use crate::common::*;
use riffle_testkit::TestServer;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// Records processed per (shard, sequence number, sub-sequence number).
fn processed_counts(log: &Log) -> HashMap<(String, String, u64), Vec<String>> {
    let mut seen: HashMap<(String, String, u64), Vec<String>> = HashMap::new();
    for e in log.events() {
        if let Event::Record { worker, shard, seq, sub, .. } = e {
            seen.entry((shard, seq, sub)).or_default().push(worker);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stealing_from_a_live_worker_processes_every_record_exactly_once() {
    let server = TestServer::start().await;
    let client = stream(&server, "handoff", 4).await;
    let log = Log::default();
    // Leases can only move by stealing: nothing expires within the test.
    let slow = |w: &str| {
        config("handoff-app", "handoff", w)
            .failover_time(Duration::from_secs(120))
            .graceful_lease_handoff_timeout(Duration::from_secs(60))
    };
    let a = start(&server, slow("a"), &log).await;
    let table = leases(&server, "handoff-app");
    wait_until("a holds all 4 leases", LONG, || async { owners(&table).await.get("a") == Some(&4) }).await;

    // Records keep flowing on every shard while b joins and steals (32 keys cover all four).
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU32::new(0));
    let writer = {
        let (client, stop, written) = (client.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                put(&client, "handoff", &keys(32), i..i + 1).await;
                i += 1;
                written.store(i * 32, Ordering::SeqCst);
            }
        })
    };
    wait_until("a processes records", LONG, || async { log.data().len() >= 40 }).await;
    let b = start(&server, slow("b"), &log).await;
    wait_until("b took two leases and processes on them", LONG, || async {
        let shards: std::collections::HashSet<String> = log
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Record { worker, shard, .. } if worker == "b" => Some(shard),
                _ => None,
            })
            .collect();
        owners(&table).await.get("b") == Some(&2) && shards.len() == 2
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let total = written.load(Ordering::SeqCst) as usize;
    wait_until("every record written is processed", LONG, || async { log.data().len() == total }).await;

    let twice: Vec<_> = processed_counts(&log).into_iter().filter(|(_, w)| w.len() > 1).collect();
    assert!(twice.is_empty(), "records processed more than once: {twice:?}");
    let events = log.events();
    let handed_off = events.iter().filter(|e| matches!(e, Event::Shutdown { worker, .. } if worker == "a")).count();
    assert_eq!(handed_off, 2, "a was asked to shut down the two stolen shards");
    assert!(!events.iter().any(|e| matches!(e, Event::Lost { .. })), "no lease was lost outright");
    for l in table.list().await.unwrap() {
        assert_eq!(l.checkpoint_owner, None, "every handoff finished: {l:?}");
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

/// A thief waiting on a frozen owner: `a` took both leases of a 2-shard stream and froze (its
/// leases far from expiry), then `b` stole one with `handoff_timeout` to wait for a handoff
/// that will not come.
struct Frozen {
    server: TestServer,
    client: aws_sdk_kinesis::Client,
    table: riffle_consumer::LeaseTable,
    log: Log,
    b: riffle_consumer::WorkerHandle,
}

async fn thief_of_a_frozen_owner(name: &str, handoff_timeout: Duration) -> Frozen {
    let server = TestServer::start().await;
    let client = stream(&server, name, 2).await;
    let log = Log::default();
    let app = format!("{name}-app");
    let slow = |w: &str| {
        config(&app, name, w).failover_time(Duration::from_secs(120)).graceful_lease_handoff_timeout(handoff_timeout)
    };
    let a = start(&server, slow("a"), &log).await;
    let table = leases(&server, &app);
    wait_until("a holds both leases", LONG, || async { owners(&table).await.get("a") == Some(&2) }).await;
    // a stops answering (as a frozen process would) but its leases are far from expiry.
    a.abort();
    let b = start(&server, slow("b"), &log).await;
    wait_until("b steals one lease", LONG, || async { owners(&table).await.get("b") == Some(&1) }).await;
    Frozen { server, client, table, log, b }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thief_starts_after_the_handoff_timeout_when_the_owner_is_frozen() {
    let Frozen { server: _server, client, table, log, b } =
        thief_of_a_frozen_owner("frozen", Duration::from_secs(1)).await;
    put(&client, "frozen", &keys(8), 0..5).await;
    wait_until("b processes on the stolen shard after the timeout", LONG, || async {
        log.events().iter().any(|e| matches!(e, Event::Record { worker, .. } if worker == "b"))
    })
    .await;
    let stolen = table.list().await.unwrap().into_iter().find(|l| l.owner.as_deref() == Some("b")).unwrap();
    assert_eq!(stolen.checkpoint_owner, None, "b claimed the checkpoint: {stolen:?}");
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thief_stolen_from_while_it_waits_lets_go_at_once() {
    // No handoff times out within the test.
    let Frozen { server: _server, table, b, .. } = thief_of_a_frozen_owner("relay", Duration::from_secs(300)).await;
    // A third worker steals it from b as workers steal, naming b the checkpointOwner it waits
    // for (retried should b renew in between).
    let mut key = String::new();
    for _ in 0..10 {
        let waiting = table.list().await.unwrap().into_iter().find(|l| l.owner.as_deref() == Some("b")).unwrap();
        assert_eq!(waiting.checkpoint_owner.as_deref(), Some("a"), "b waits for a: {waiting:?}");
        key = waiting.key.clone();
        if table.take_from(&waiting, "c", Some("b")).await.is_ok() {
            break;
        }
    }
    wait_until("b lets go long before its handoff timeout", Duration::from_secs(20), || async {
        let l = table.get(&key).await.unwrap().unwrap();
        l.owner.as_deref() == Some("c") && l.checkpoint_owner.is_none()
    })
    .await;
    b.shutdown().await.unwrap();
}
