//! Event handling on single frames, and renewal against a fake peer whose every stream ends
//! after one event (as a 5-minute subscription ends).

use super::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Mutex;

fn handled(frame: bytes::Bytes) -> (Option<Outcome>, Position, SubStats, Vec<Arrival>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut stats = SubStats::default();
    let mut pos = Position::Latest;
    let (msg, _) = eventstream::decode(&frame).unwrap();
    let end = handle(3, msg, Instant::now(), &mut pos, &tx, &mut stats);
    drop(tx);
    let mut got = Vec::new();
    while let Ok(a) = rx.try_recv() {
        got.push(a);
    }
    (end, pos, stats, got)
}

#[test]
fn events_move_the_position_and_report_records() {
    let payload = br#"{"Records":[{"Data":"aGk=","SequenceNumber":"7"}],"ContinuationSequenceNumber":"7","MillisBehindLatest":0}"#;
    let (end, pos, stats, got) =
        handled(eventstream::event("SubscribeToShardEvent", "application/x-amz-json-1.1", payload));
    assert!(end.is_none());
    assert_eq!(pos, Position::After("7".into()));
    assert_eq!((stats.events, stats.records), (1, 1));
    assert_eq!((got.len(), got[0].shard, got[0].bytes), (1, 3, 2));

    let (end, _, stats, _) = handled(eventstream::event("initial-response", "application/x-amz-json-1.1", b"{}"));
    assert!(end.is_none());
    assert_eq!(stats.initial_responses, 1);
}

#[test]
fn exceptions_end_the_subscription_and_are_counted() {
    let frame =
        eventstream::exception("ResourceInUseException", "application/x-amz-json-1.1", br#"{"message":"replaced"}"#);
    let (end, pos, stats, _) = handled(frame);
    assert!(matches!(end, Some(Outcome::Failed)));
    assert_eq!(pos, Position::Latest);
    assert_eq!(stats.errors.get("ResourceInUseException"), Some(&1));
    assert!(stats.samples["ResourceInUseException"].contains("replaced"));
}

/// Answers the n-th SubscribeToShard (from 1) with one event of one record and continuation
/// `n`, then ends the stream; notes each request's StartingPosition.
async fn fake_peer(positions: Arc<Mutex<Vec<serde_json::Value>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let positions = positions.clone();
            let service = service_fn(move |req: hyper::Request<Incoming>| {
                let positions = positions.clone();
                async move {
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let req: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let n = {
                        let mut p = positions.lock().unwrap();
                        p.push(req["StartingPosition"].clone());
                        p.len()
                    };
                    let ev = serde_json::json!({
                        "Records": [{ "Data": "aGk=", "SequenceNumber": n.to_string() }],
                        "ContinuationSequenceNumber": n.to_string(), "MillisBehindLatest": 0,
                    });
                    let ct = "application/x-amz-json-1.1";
                    let mut frames = eventstream::event("initial-response", ct, b"{}").to_vec();
                    frames.extend_from_slice(&eventstream::event(
                        "SubscribeToShardEvent",
                        ct,
                        ev.to_string().as_bytes(),
                    ));
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(frames))))
                }
            });
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(tcp), service));
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn ended_streams_are_renewed_from_their_continuation() {
    let positions = Arc::new(Mutex::new(Vec::new()));
    let endpoint = crate::config::parse_endpoint(&fake_peer(positions.clone()).await).unwrap();
    let client = KinesisClient::new(&endpoint, 1);
    let (mut fleet, mut rx) = Fleet::start(&client, "arn:c", &["shardId-0".into()], &Position::Latest);
    assert_eq!(fleet.wait_ready(tokio::time::Instant::now() + Duration::from_secs(10)).await, 0);
    let mut records = 0;
    while records < 3 {
        records += rx.recv().await.unwrap().records;
    }
    let stats = fleet.stop().await;
    assert!(stats.subscribes >= 3 && stats.initial_responses == stats.subscribes, "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
    let positions = positions.lock().unwrap().clone();
    assert_eq!(positions[0], serde_json::json!({ "Type": "LATEST" }));
    assert_eq!(positions[1], serde_json::json!({ "Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "1" }));
    assert_eq!(positions[2], serde_json::json!({ "Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "2" }));
}
