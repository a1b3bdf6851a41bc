//! PutRecords' encoding: CBOR by default, JSON when told, and JSON from the first refusal on
//! against an endpoint that speaks only JSON (as moto does). A counting proxy in front of
//! `riffle serve` sees which encoding each call used; in its refusing mode it stands in for a
//! JSON-only endpoint, answering CBOR calls with a JSON SerializationException.

use crate::common::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use riffle_testkit::TestServer;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
struct Calls {
    cbor: AtomicUsize,
    json: AtomicUsize,
}

/// Starts the proxy in front of `server`; answers its URL and the PutRecords calls it saw.
async fn proxy(server: &TestServer, refuse_cbor: bool) -> (String, Arc<Calls>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Calls::default());
    let upstream = server.endpoint();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let seen = calls.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (client, upstream, seen) = (client.clone(), upstream.clone(), seen.clone());
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (client, upstream, seen) = (client.clone(), upstream.clone(), seen.clone());
                async move { relay(req, &client, &upstream, &seen, refuse_cbor).await }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service));
        }
    });
    (url, calls)
}

async fn relay(
    req: Request<Incoming>,
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    upstream: &str,
    seen: &Calls,
    refuse_cbor: bool,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let cbor = header("content-type").starts_with("application/x-amz-cbor");
    if header("x-amz-target").ends_with(".PutRecords") {
        let count = if cbor { &seen.cbor } else { &seen.json };
        count.fetch_add(1, Ordering::SeqCst);
    }
    if cbor && refuse_cbor {
        let body = r#"{"__type":"SerializationException","message":"JSON only here"}"#;
        let answer = Response::builder()
            .status(400)
            .header("content-type", "application/x-amz-json-1.1")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap();
        return Ok(answer);
    }
    let (mut head, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    head.uri = format!("{upstream}{}", head.uri.path_and_query().map_or("/", |p| p.as_str())).parse().unwrap();
    let answer = client.request(Request::from_parts(head, Full::new(body))).await.expect("upstream answers");
    let (head, body) = answer.into_parts();
    Ok(Response::from_parts(head, Full::new(body.collect().await?.to_bytes())))
}

/// A server with a 4-shard stream "s", and the proxy in front of it.
async fn behind_proxy(refuse_cbor: bool) -> (TestServer, String, Arc<Calls>) {
    let server = server_with(|_| {}).await;
    stream(&server, "s", 4).await;
    let (url, calls) = proxy(&server, refuse_cbor).await;
    (server, url, calls)
}

/// Puts `n` records through a producer sent to `url`, and checks each was written and can be
/// read back.
async fn deliver_through(server: &TestServer, url: &str, config: riffle_producer::ProducerConfig, n: usize) {
    let p = producer(server, config.endpoint_url(url)).await;
    let results = outcomes(put_many(&p, "s", n, "payload").await).await;
    assert!(results.iter().all(Result::is_ok), "{:?}", results.iter().find(|r| r.is_err()));
    p.shutdown().await;
    let read = read_all(server, "s").await;
    assert_eq!(read.len(), n);
    assert!(read.iter().all(|r| r.data == b"payload"));
}

#[tokio::test]
async fn put_records_goes_in_cbor_by_default() {
    let (server, url, calls) = behind_proxy(false).await;
    deliver_through(&server, &url, quick(), 300).await;
    assert!(calls.cbor.load(Ordering::SeqCst) > 0);
    assert_eq!(calls.json.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn put_records_goes_in_json_when_cbor_is_off() {
    let (server, url, calls) = behind_proxy(false).await;
    deliver_through(&server, &url, quick().cbor_enabled(false), 300).await;
    assert_eq!(calls.cbor.load(Ordering::SeqCst), 0);
    assert!(calls.json.load(Ordering::SeqCst) > 0);
}

#[tokio::test]
async fn an_endpoint_that_refuses_cbor_gets_json_and_every_record() {
    let (server, url, calls) = behind_proxy(true).await;
    deliver_through(&server, &url, quick(), 300).await;
    let refused = calls.cbor.load(Ordering::SeqCst);
    // Calls already on their way when the first refusal came back may be refused too: at most
    // the calls in flight at once (MaxConnections, 24).
    assert!((1..=24).contains(&refused), "{refused} CBOR calls");
    assert!(calls.json.load(Ordering::SeqCst) > 0);
}
