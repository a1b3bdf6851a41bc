//! `shutdown` answers every record and returns, whatever the server does: answers, vanishes, or
//! accepts connections and never replies.

use crate::common::*;
use riffle_producer::{FailureKind, Producer};
use std::time::Duration;

/// A hang guard for the test harness, not a timing assertion: shutdown is bounded by the
/// records' TTL (a few hundred ms here), so minutes mean it hung.
const HANG: Duration = Duration::from_secs(120);

#[tokio::test]
async fn shutdown_delivers_what_is_buffered() {
    let server = server_with(|_| {}).await;
    stream(&server, "drain", 2).await;
    // Records would wait a minute for company; shutdown sends them at once.
    let p = producer(&server, quick().record_max_buffered_time(Duration::from_secs(60))).await;
    let futures = put_many(&p, "drain", 500, "x").await;
    tokio::time::timeout(HANG, p.shutdown()).await.expect("shutdown returns");
    assert_eq!(p.outstanding_records(), 0);
    assert!(outcomes(futures).await.iter().all(|r| r.is_ok()));
    assert_eq!(read_all(&server, "drain").await.len(), 500);
}

#[tokio::test]
async fn flush_and_wait_answers_everything_put_before_it() {
    let server = server_with(|_| {}).await;
    stream(&server, "flush", 1).await;
    let p = producer(&server, quick().record_max_buffered_time(Duration::from_secs(60))).await;
    let futures = put_many(&p, "flush", 100, "x").await;
    tokio::time::timeout(HANG, p.flush_and_wait()).await.expect("flush_and_wait returns");
    assert_eq!(p.outstanding_records(), 0);
    assert!(outcomes(futures).await.iter().all(|r| r.is_ok()));
    p.shutdown().await;
}

#[tokio::test]
async fn shutdown_returns_when_the_server_is_gone() {
    let mut server = server_with(|_| {}).await;
    stream(&server, "gone", 1).await;
    let config = quick().record_ttl(std::time::Duration::from_millis(500)).request_timeout(Duration::from_millis(300));
    let p = producer(&server, config).await;
    assert!(p.put("gone", "k", "before").await.unwrap().await.is_ok());
    server.stop().await;
    let futures = put_many(&p, "gone", 50, "after").await;
    tokio::time::timeout(HANG, p.shutdown()).await.expect("shutdown returns");
    for r in outcomes(futures).await {
        let e = r.unwrap_err();
        assert!(matches!(e.kind, FailureKind::Expired { .. } | FailureKind::ShutDown { .. }), "{e}");
    }
}

#[tokio::test]
async fn shutdown_returns_when_the_server_never_answers() {
    // Accepts connections and reads nothing: every call runs into RequestTimeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = riffle_testkit::kinesis_client(&endpoint).await;
    let config = quick().record_ttl(Duration::from_millis(400)).request_timeout(Duration::from_millis(200));
    let p = Producer::builder().client(client).config(config).build().await.unwrap();
    let futures = put_many(&p, "silent", 20, "x").await;
    tokio::time::timeout(HANG, p.shutdown()).await.expect("shutdown returns");
    for r in outcomes(futures).await {
        assert!(r.is_err());
    }
    silent.abort();
}
