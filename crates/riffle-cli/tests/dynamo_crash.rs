//! Crash test of the lease-table endpoint: writers race on leases with conditional updates (the
//! KCL's compare-and-set on leaseCounter) and create new leases while the server is killed with
//! SIGKILL, again and again. After every restart each acknowledged write must be there: every
//! acknowledged lease exists, and no lease's counter is below the highest one acknowledged for it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use rand::Rng;
use riffle_testkit::{ChildServer, dynamodb_client};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TABLE: &str = "crash-leases";
const LEASES: usize = 12;
const WRITERS: usize = 6;
const ROUNDS: usize = 6;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_riffle"))
}

/// What the server acknowledged: lease key to the highest counter it confirmed.
type Acked = Arc<Mutex<HashMap<String, i64>>>;

fn ack(acked: &Acked, key: &str, counter: i64) {
    let mut a = acked.lock().unwrap();
    let e = a.entry(key.to_string()).or_insert(counter);
    *e = (*e).max(counter);
}

async fn counter(c: &Client, key: &str) -> Option<i64> {
    let out = c
        .get_item()
        .table_name(TABLE)
        .key("leaseKey", AttributeValue::S(key.into()))
        .consistent_read(true)
        .send()
        .await
        .ok()?;
    out.item()?.get("leaseCounter")?.as_n().ok()?.parse().ok()
}

/// Renews random leases and creates new ones until the server stops answering.
async fn writer(c: Client, id: usize, round: usize, acked: Acked) {
    for n in 0.. {
        if n % 5 == 0 {
            let key = format!("new-r{round}-w{id}-{n}");
            let put = c
                .put_item()
                .table_name(TABLE)
                .item("leaseKey", AttributeValue::S(key.clone()))
                .item("leaseCounter", AttributeValue::N("0".into()))
                .condition_expression("attribute_not_exists(leaseKey)")
                .send()
                .await;
            match put {
                Ok(_) => ack(&acked, &key, 0),
                Err(e) if e.raw_response().is_some() => {}
                Err(_) => return,
            }
            continue;
        }
        let key = format!("lease-{}", rand::rng().random_range(0..LEASES));
        let Some(seen) = counter(&c, &key).await else { return };
        let renew = c
            .update_item()
            .table_name(TABLE)
            .key("leaseKey", AttributeValue::S(key.clone()))
            .update_expression("SET leaseCounter = leaseCounter + :one, leaseOwner = :me")
            .condition_expression("leaseCounter = :seen")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":me", AttributeValue::S(format!("worker-{id}")))
            .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
            .send()
            .await;
        match renew {
            Ok(_) => ack(&acked, &key, seen + 1),
            // Lost the race to another writer: a refusal, not a failure.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 400) => {}
            Err(_) => return,
        }
    }
}

async fn verify(c: &Client, acked: &Acked) {
    let acked = acked.lock().unwrap().clone();
    for (key, want) in acked {
        let got = counter(c, &key).await;
        assert!(got.is_some_and(|g| g >= want), "lease {key}: acknowledged counter {want}, found {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_lease_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ChildServer::spawn(bin(), dir.path(), &[]);
    let c = dynamodb_client(&server.endpoint());
    riffle_testkit::create_lease_table(&c, TABLE).await;
    let acked: Acked = Arc::default();
    for i in 0..LEASES {
        let key = format!("lease-{i}");
        c.put_item()
            .table_name(TABLE)
            .item("leaseKey", AttributeValue::S(key.clone()))
            .item("leaseCounter", AttributeValue::N("0".into()))
            .send()
            .await
            .unwrap();
        ack(&acked, &key, 0);
    }
    for round in 0..ROUNDS {
        let c = dynamodb_client(&server.endpoint());
        let tasks: Vec<_> =
            (0..WRITERS).map(|w| tokio::spawn(writer(c.clone(), w, round, Arc::clone(&acked)))).collect();
        tokio::time::sleep(Duration::from_millis(rand::rng().random_range(150..600))).await;
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        server.restart();
        verify(&dynamodb_client(&server.endpoint()), &acked).await;
    }
    let total: i64 = acked.lock().unwrap().values().sum();
    assert!(total > 0, "some renewals were acknowledged");
}
