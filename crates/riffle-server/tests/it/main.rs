//! Integration tests of `riffle serve` through the official AWS SDK for Rust.

mod auth;
mod autoscale;
mod console;
mod dynamo;
mod dynamo_batch;
mod encryption;
mod errors;
mod fanout;
mod lifecycle;
mod limits;
mod metrics;
mod policies_tags;
mod records;
mod refused;
mod resharding;
mod resharding_model;
mod restart;
mod retention;
mod stream_settings;

use aws_sdk_kinesis::Client;
use riffle_testkit::TestServer;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server and a client for one test.
pub async fn setup() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let client = server.client().await;
    (server, client)
}

/// The `__type` code and message of an SDK error.
pub fn code_and_message<E, R>(err: &aws_sdk_kinesis::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let meta = err.as_service_error().map(|e| (e.code().map(str::to_string), e.message().map(str::to_string)));
    match meta {
        Some((c, m)) => (c.unwrap_or_default(), m.unwrap_or_default()),
        None => (format!("not a service error: {err:?}"), String::new()),
    }
}

/// Waits until a stream is ACTIVE again (after an UPDATING change).
pub async fn wait_active(client: &aws_sdk_kinesis::Client, name: &str) {
    for _ in 0..500 {
        let s = client.describe_stream_summary().stream_name(name).send().await.expect("describe");
        if s.stream_description_summary().map(|d| d.stream_status())
            == Some(&aws_sdk_kinesis::types::StreamStatus::Active)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("stream {name} never became ACTIVE again");
}

/// A plain HTTP/1.1 request with extra header lines; the head and the body.
pub async fn http(addr: SocketAddr, method: &str, path: &str, headers: &str) -> (String, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}
