//! End-to-end: `put` and `get` against the in-process null server on 127.0.0.1:0. Asserts that
//! the counts agree between client and server; no timing assertions (shared 2-core machines).

use riffle_bench::{BenchCommand, BenchReport, GetArgs, NullServer, PutArgs};
use tokio::sync::oneshot;

async fn start() -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<riffle_bench::NullServerReport>) {
    let server = NullServer::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(server.serve_until(async {
        let _ = stopped.await;
    }));
    (endpoint, stop, handle)
}

fn put_args(endpoint: &str) -> PutArgs {
    PutArgs {
        endpoint: endpoint.to_owned(),
        stream: "bench".into(),
        shards: Some(4),
        record_size: 100,
        batch: 500,
        concurrency: 4,
        duration: 1.0,
        records: None,
        json: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_get_against_null_server() {
    let (endpoint, stop, server) = start().await;

    let BenchReport::Put(put) = riffle_bench::run(BenchCommand::Put(put_args(&endpoint))).await.unwrap() else {
        panic!("put returns a put report");
    };
    assert!(put.requests_ok > 0, "{put:?}");
    assert_eq!(put.requests_failed, 0, "{put:?}");
    assert_eq!(put.requests, put.requests_ok);
    assert_eq!(put.records_ok, put.requests_ok * 500);
    assert_eq!((put.records_failed, put.records_in_failed_requests), (0, 0));
    assert_eq!(put.failed_record_count_reported, 0);
    assert_eq!(put.latency.count, put.requests);
    assert!(put.request_errors.is_empty() && put.record_errors.is_empty());
    assert!(put.error_samples.is_empty());
    assert!(put.records_per_sec > 0.0 && put.mb_per_sec > 0.0);

    // An exact record budget: a partial last batch, and PutRecord for batch 1.
    let exact = PutArgs { records: Some(1234), shards: None, ..put_args(&endpoint) };
    let BenchReport::Put(exact) = riffle_bench::run(BenchCommand::Put(exact)).await.unwrap() else {
        panic!("put returns a put report");
    };
    assert_eq!((exact.records_ok, exact.requests_ok), (1234, 3));
    let single = PutArgs { records: Some(10), batch: 1, shards: None, ..put_args(&endpoint) };
    let BenchReport::Put(single) = riffle_bench::run(BenchCommand::Put(single)).await.unwrap() else {
        panic!("put returns a put report");
    };
    assert_eq!((single.records_ok, single.requests_ok), (10, 10));

    let get = GetArgs {
        endpoint: endpoint.clone(),
        stream: "bench".into(),
        concurrency: 4,
        limit: 10_000,
        max_secs: 30.0,
        json: false,
    };
    let BenchReport::Get(get) = riffle_bench::run(BenchCommand::Get(get)).await.unwrap() else {
        panic!("get returns a get report");
    };
    // The null server stores nothing but answers reads with as many synthetic records as were
    // written, spread over the shards the stream was created with.
    let written = put.records_ok + 1234 + 10;
    assert_eq!((get.shards, get.shards_completed, get.shards_failed), (4, 4, 0));
    assert_eq!((get.records, get.truncated), (written, false));
    assert!(get.calls >= 4 + written / 10_000, "{get:?}");
    assert!(get.errors.is_empty());

    stop.send(()).unwrap();
    let served = server.await.unwrap();
    assert_eq!(served.records, put.records_ok + 1234 + 10);
    assert_eq!(served.bytes, served.records * 100);
    // Every put request plus the setup and read calls reached the server.
    assert!(served.requests >= put.requests + exact.requests + single.requests + get.calls);
    // Keep-alive: about one connection per worker per run (the pooled client may open one
    // extra when a worker races its own connection back into the pool), never one per request.
    assert!(served.connections < 30, "{served:?}");
}

#[tokio::test]
async fn unreachable_endpoint_counts_transport_errors() {
    // Bind then drop, so the port is (very likely) closed.
    let addr = NullServer::bind("127.0.0.1:0").await.unwrap().local_addr();
    let args = PutArgs {
        endpoint: format!("http://{addr}"),
        shards: None,
        records: Some(3),
        batch: 1,
        concurrency: 1,
        ..put_args("")
    };
    let BenchReport::Put(r) = riffle_bench::run(BenchCommand::Put(args)).await.unwrap() else {
        panic!("put returns a put report");
    };
    assert_eq!((r.records_ok, r.requests_failed, r.records_in_failed_requests), (0, 3, 3));
    assert_eq!(r.request_errors.get("TransportError"), Some(&3));
    // The report keeps the root cause, several sources deep.
    assert!(r.error_samples["TransportError"].contains("refused"), "{:?}", r.error_samples);
}
