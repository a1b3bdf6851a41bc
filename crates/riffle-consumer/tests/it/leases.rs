//! Lease balancing, graceful hand-over and checkpoint fencing.

use crate::common::*;
use riffle_consumer::Checkpoint;
use riffle_testkit::TestServer;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_balance_to_within_one_lease_of_even() {
    let server = TestServer::start().await;
    stream(&server, "balance", 8).await;
    let log = Log::default();
    let mut workers = Vec::new();
    for w in ["w1", "w2", "w3"] {
        workers.push(start(&server, config("balance-app", "balance", w), &log).await);
    }
    let table = leases(&server, "balance-app");
    wait_until("8 leases spread 3/3/2 over three workers", LONG, || async {
        let counts = owners(&table).await;
        let n: Vec<usize> = counts.values().copied().collect();
        !counts.contains_key("<none>")
            && n.len() == 3
            && n.iter().sum::<usize>() == 8
            && n.iter().max().unwrap() - n.iter().min().unwrap() <= 1
    })
    .await;
    for w in workers {
        w.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_checkpoints_and_hands_over_before_failover() {
    let server = TestServer::start().await;
    let client = stream(&server, "handover", 4).await;
    let log = Log::default();
    // A failover time far beyond the deadline: only a released lease can move in time.
    let slow = |w: &str| config("handover-app", "handover", w).failover_time(Duration::from_secs(120));
    let a = start(&server, slow("a"), &log).await;
    let table = leases(&server, "handover-app");
    wait_until("a holds all 4 leases", LONG, || async { owners(&table).await.get("a") == Some(&4) }).await;
    let b = start(&server, slow("b"), &log).await;
    wait_until("b steals two", LONG, || async { owners(&table).await.get("b") == Some(&2) }).await;
    put(&client, "handover", &keys(8), 0..10).await;
    wait_until("80 records processed", LONG, || async { log.data().len() == 80 }).await;

    a.shutdown().await.unwrap();
    let events = log.events();
    assert!(events.iter().any(|e| matches!(e, Event::Shutdown { worker, .. } if worker == "a")));
    wait_until("b holds all 4 leases, long before failover", Duration::from_secs(30), || async {
        owners(&table).await.get("b") == Some(&4)
    })
    .await;
    // b resumed a's shards from a's checkpoints, not from the start.
    put(&client, "handover", &keys(8), 10..12).await;
    wait_until("the new records processed", LONG, || async { log.data().len() == 96 }).await;
    let resumed_from: Vec<Checkpoint> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Init { worker, checkpoint, .. } if worker == "b" => Some(checkpoint),
            _ => None,
        })
        .collect();
    assert_eq!(resumed_from.len(), 4, "b initialized each shard once: {resumed_from:?}");
    b.shutdown().await.unwrap();
    for l in table.list().await.unwrap() {
        assert_eq!(l.owner, None, "released: {l:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_lost_its_lease_cannot_checkpoint() {
    let server = TestServer::start().await;
    let client = stream(&server, "fence", 1).await;
    let log = Log::default();
    let w = start(&server, config("fence-app", "fence", "w").failover_time(Duration::from_secs(120)), &log).await;
    let table = leases(&server, "fence-app");
    put(&client, "fence", &keys(1), 0..1).await;
    wait_until("first record checkpointed", LONG, || async {
        // The worker may not have created the table yet.
        table.list().await.unwrap_or_default().iter().any(|l| matches!(l.checkpoint, Checkpoint::At(_)))
    })
    .await;
    let before = table.list().await.unwrap().remove(0);
    // Another worker takes the lease behind w's back (as after a long pause of w).
    table.take(&before, "intruder").await.unwrap();
    put(&client, "fence", &keys(1), 1..3).await;
    wait_until("w learns it lost the lease", LONG, || async {
        log.events().iter().any(|e| matches!(e, Event::Lost { .. }))
    })
    .await;
    for e in log.events() {
        if let Event::Checkpointed { result: Err(msg), .. } = &e {
            assert!(msg.contains("no longer held"), "{msg}");
        }
    }
    let after = table.list().await.unwrap().remove(0);
    assert_eq!(after.owner.as_deref(), Some("intruder"));
    assert_eq!(after.checkpoint, before.checkpoint, "w's checkpoint was fenced off");
    w.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_of_a_shard_gone_from_the_stream_is_deleted() {
    let server = TestServer::start().await;
    stream(&server, "vanish", 2).await;
    let log = Log::default();
    let w = start(&server, config("vanish-app", "vanish", "w"), &log).await;
    let table = leases(&server, "vanish-app");
    wait_until("both real shards leased", LONG, || async { owners(&table).await.get("w") == Some(&2) }).await;
    // A shard past retention no longer listed by the stream, its lease left behind.
    let ghost = riffle_consumer::Lease::new("shardId-000000000099", Checkpoint::TrimHorizon);
    assert!(table.create_if_absent(&ghost).await.unwrap());
    wait_until("the ghost lease is deleted", LONG, || async {
        let keys: Vec<String> = table.list().await.unwrap().into_iter().map(|l| l.key).collect();
        !keys.contains(&ghost.key) && keys.len() == 2
    })
    .await;
    w.shutdown().await.unwrap();
}
