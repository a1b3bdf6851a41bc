//! A worker that stops without releasing anything: its shards resume elsewhere after the
//! failover time, from its last checkpoints, and no record is lost.

use crate::common::*;
use riffle_consumer::Checkpoint;
use riffle_testkit::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_workers_shards_resume_elsewhere_from_its_checkpoints() {
    let server = TestServer::start().await;
    let client = stream(&server, "crash", 4).await;
    let log = Log::default();
    let a = start(&server, config("crash-app", "crash", "a"), &log).await;
    let table = leases(&server, "crash-app");
    wait_until("a holds all 4 leases", LONG, || async { owners(&table).await.get("a") == Some(&4) }).await;
    let b = start(&server, config("crash-app", "crash", "b"), &log).await;
    wait_until("two each", LONG, || async {
        let o = owners(&table).await;
        o.get("a") == Some(&2) && o.get("b") == Some(&2)
    })
    .await;
    // 32 keys: every shard gets records, so every shard has a checkpoint to resume from.
    put(&client, "crash", &keys(32), 0..10).await;
    wait_until("320 records processed", LONG, || async { log.data().len() == 320 }).await;
    let a_shards: Vec<String> =
        table.list().await.unwrap().into_iter().filter(|l| l.owner.as_deref() == Some("a")).map(|l| l.key).collect();

    let at_abort = log.events().len();
    a.abort();
    put(&client, "crash", &keys(32), 10..20).await;
    wait_until("b holds all 4 leases after failover", LONG, || async { owners(&table).await.get("b") == Some(&4) })
        .await;
    wait_until("every record processed", LONG, || async { log.data().len() == 640 }).await;
    for shard in a_shards {
        let init = log.events().into_iter().skip(at_abort).find_map(|e| match e {
            Event::Init { worker, shard: s, checkpoint } if worker == "b" && s == shard => Some(checkpoint),
            _ => None,
        });
        assert!(matches!(init, Some(Checkpoint::At(_))), "b resumed {shard} from a's checkpoint: {init:?}");
    }
    b.shutdown().await.unwrap();
}
