//! Partial failures and throttling are retried; records past their TTL go to the dead-letter
//! sink; the memory cap holds `put` back or refuses it.

use crate::common::*;
use riffle_producer::{DeadLetter, DeadLetterSink, FailureKind, PutError, WhenFull};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

const PTE: &str = "ProvisionedThroughputExceededException";

#[tokio::test]
async fn partial_failures_retry_only_the_failed_entries() {
    let server = flaky_server(0.3).await;
    stream(&server, "partial", 2).await;
    let p = producer(&server, quick().aggregation_enabled(false)).await;
    let results = outcomes(put_many(&p, "partial", 400, "data").await).await;
    p.shutdown().await;
    let retried = results.iter().filter(|r| r.as_ref().unwrap().attempt_count() > 1).count();
    assert!(retried > 0, "a 30% failure rate fails some entries");
    for r in &results {
        let o = r.as_ref().unwrap();
        let attempts = o.attempts();
        let (last, earlier) = attempts.split_last().unwrap();
        assert!(last.success && earlier.iter().all(|a| !a.success && a.error_code.is_some()));
    }
    // Entries that failed were not written, and written ones were not sent again.
    assert_eq!(read_all(&server, "partial").await.len(), 400);
}

#[tokio::test]
async fn throttling_from_enforced_limits_is_retried() {
    let server = server_with(|c| c.enforce_limits = true).await;
    stream(&server, "throttled", 1).await;
    // 300% of the shard's 1000 records/s: the server must push back.
    let p = producer(&server, quick().aggregation_enabled(false).rate_limit(300)).await;
    let results = outcomes(put_many(&p, "throttled", 2500, "x").await).await;
    p.shutdown().await;
    let throttled = results
        .iter()
        .map(|r| r.as_ref().expect("written after retries"))
        .filter(|o| o.attempts().iter().any(|a| a.error_code.as_deref() == Some(PTE)))
        .count();
    assert!(throttled > 0, "some records were throttled and retried");
    assert_eq!(read_all(&server, "throttled").await.len(), 2500);
}

#[tokio::test]
async fn fail_if_throttled_fails_at_the_first_throttle() {
    let server = server_with(|c| c.enforce_limits = true).await;
    stream(&server, "nothrottle", 1).await;
    let p = producer(&server, quick().aggregation_enabled(false).rate_limit(300).fail_if_throttled(true)).await;
    let results = outcomes(put_many(&p, "nothrottle", 2500, "x").await).await;
    p.shutdown().await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(!failed.is_empty());
    for e in failed {
        assert!(matches!(e.kind, FailureKind::Throttled { .. }), "{e}");
        assert_eq!(e.attempt_count(), 1);
    }
}

#[tokio::test]
async fn records_past_their_ttl_go_to_the_dead_letter_sink() {
    let server = flaky_server(1.0).await;
    stream(&server, "doomed", 1).await;
    let letters: Arc<Mutex<Vec<DeadLetter>>> = Arc::default();
    let sink = letters.clone();
    let p = riffle_producer::Producer::builder()
        .client(server.client().await)
        .config(quick().record_ttl(Duration::from_millis(300)))
        .dead_letter(DeadLetterSink::callback(move |l| sink.lock().unwrap().push(l.clone())))
        .build()
        .await
        .unwrap();
    let futures = vec![p.put("doomed", "a", "one").await.unwrap(), p.put("doomed", "b", "two").await.unwrap()];
    for r in outcomes(futures).await {
        let e = r.unwrap_err();
        let FailureKind::Expired { ttl, last_error } = &e.kind else { panic!("expected expiry, got {e}") };
        assert_eq!(*ttl, Duration::from_millis(300));
        let last = last_error.as_deref().expect("the last error is kept");
        assert!(
            last.starts_with("ProvisionedThroughputExceededException") || last.starts_with("InternalFailure"),
            "{last}"
        );
        assert!(!e.attempts().is_empty() && e.attempts().iter().all(|a| !a.success));
        assert!(e.to_string().contains("expired"), "{e}");
    }
    p.shutdown().await;
    let letters = letters.lock().unwrap();
    let mut data: Vec<_> = letters.iter().map(|l| l.data.to_vec()).collect();
    data.sort();
    assert_eq!(data, [b"one".to_vec(), b"two".to_vec()]);
    assert!(letters.iter().all(|l| &*l.stream == "doomed" && matches!(l.error.kind, FailureKind::Expired { .. })));
}

#[tokio::test]
async fn dead_letters_can_go_to_a_file() {
    let server = flaky_server(1.0).await;
    stream(&server, "doomed-file", 1).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let p = riffle_producer::Producer::builder()
        .client(server.client().await)
        .config(quick().record_ttl(Duration::from_millis(200)))
        .dead_letter(DeadLetterSink::file(&path))
        .build()
        .await
        .unwrap();
    let _dropped = p.put("doomed-file", "pk", "payload").await.unwrap();
    p.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["stream"], "doomed-file");
    assert_eq!(line["partition_key"], "pk");
    assert_eq!(line["data"], "cGF5bG9hZA==");
    assert!(line["error"].as_str().unwrap().starts_with("expired"));
}

#[tokio::test]
async fn a_full_buffer_fails_fast_when_asked_to() {
    let server = flaky_server(1.0).await;
    stream(&server, "full", 1).await;
    let cap = 4 * 1024;
    let config = quick().max_user_record_size(1024).max_buffered_bytes(cap).when_full(WhenFull::FailFast);
    let p = producer(&server, config.record_ttl(Duration::from_millis(300))).await;
    let mut kept = Vec::new();
    let refused = loop {
        match p.put("full", "k", vec![7u8; 1000]).await {
            Ok(f) => kept.push(f),
            Err(e) => break e,
        }
        assert!(p.buffered_bytes() <= cap);
    };
    assert_eq!(refused, PutError::BufferFull { limit: cap });
    assert_eq!(kept.len(), 4, "four records of 1001 bytes fit in 4 KiB");
    // Once they expire, their room is free again.
    outcomes(kept).await;
    assert_eq!(p.buffered_bytes(), 0);
    assert!(p.try_put("full", "k", vec![7u8; 1000]).is_ok());
    p.shutdown().await;
}

#[tokio::test]
async fn a_full_buffer_makes_put_wait() {
    let server = flaky_server(1.0).await;
    stream(&server, "wait", 1).await;
    let cap = 4 * 1024;
    let config = quick().max_user_record_size(1024).max_buffered_bytes(cap).record_ttl(Duration::from_millis(300));
    let p = producer(&server, config).await;
    let mut kept = Vec::new();
    for _ in 0..4 {
        kept.push(p.put("wait", "k", vec![1u8; 1000]).await.unwrap());
    }
    let mut blocked = Box::pin(p.put("wait", "k", vec![2u8; 1000]));
    let first_poll = std::future::poll_fn(|cx| Poll::Ready(blocked.as_mut().poll(cx).is_pending())).await;
    assert!(first_poll, "put waits while the buffer is full");
    assert!(matches!(p.try_put("wait", "k", vec![3u8; 1000]), Err(PutError::BufferFull { .. })));
    assert!(p.buffered_bytes() <= cap);
    // The four expire, which makes room: the waiting put goes through.
    let fifth = blocked.await.unwrap();
    assert!(outcomes(kept).await.iter().all(|r| r.is_err()));
    assert!(fifth.await.is_err(), "and expires in its turn (every entry fails here)");
    p.shutdown().await;
}
