//! End-to-end: `bench fanout` against a Riffle server in this process. Asserts that every
//! acknowledged record was delivered in both phases; no timing assertions (shared 2-core
//! machines).

use riffle_bench::{BenchCommand, BenchReport, FanoutArgs};
use riffle_server::{ServerConfig, Storage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_delivers_every_acknowledged_record() {
    let config =
        ServerConfig { addr: ([127, 0, 0, 1], 0).into(), storage: Storage::InMemory, ..ServerConfig::default() };
    let server = riffle_server::start(config).await.unwrap();
    let args = FanoutArgs {
        endpoint: format!("http://{}", server.local_addr()),
        stream: "fanout".into(),
        shards: 2,
        record_size: 100,
        rate: 500.0,
        batch: 10,
        duration: 1.0,
        backlog: 3000,
        max_secs: 60.0,
        json: true,
    };
    let report = riffle_bench::run(BenchCommand::Fanout(args)).await.unwrap();
    let BenchReport::Fanout(r) = &report else {
        panic!("fanout returns a fanout report");
    };

    let l = &r.latency;
    assert_eq!(r.shards, 2);
    assert_eq!((l.sent, l.acked, l.put_failed), (500, 500, 0), "{report}");
    assert_eq!((l.delivered, l.missing, l.delivered_unacked), (500, 0, 0), "{report}");
    assert_eq!((l.duplicates, l.other_records), (0, 0), "{report}");
    assert_eq!(l.latency.count, 500);
    assert!(l.put_errors.is_empty() && l.subscriptions.errors.is_empty(), "{report}");
    // Riffle opens every stream with initial-response, one per subscription.
    assert_eq!(l.subscriptions.initial_responses, l.subscriptions.subscribe_calls, "{report}");
    assert!(l.subscriptions.subscribe_calls >= 2);

    let t = r.throughput.as_ref().expect("--backlog > 0 runs the throughput phase");
    assert!(t.complete, "{report}");
    assert_eq!((t.backlog_acked, t.backlog_delivered), (3000, 3000), "{report}");
    // From TRIM_HORIZON the second consumer also reads the latency phase's records.
    assert_eq!(t.records, 3500, "{report}");
    assert_eq!(t.bytes, 3500 * 100);
    assert_eq!(t.per_subscription.len(), 2);
    assert!(t.per_subscription.iter().all(|s| s.complete && s.records_per_sec > 0.0), "{report}");
    assert_eq!(t.per_subscription.iter().map(|s| s.backlog_records).sum::<u64>(), 3000);

    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(v["kind"], "fanout");
    assert_eq!(v["latency"]["delivered"], 500);
    assert!(report.to_string().contains("per sub"));
    server.shutdown().await;
}
