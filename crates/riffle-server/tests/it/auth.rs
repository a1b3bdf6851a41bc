//! `--auth`: the AWS SDK for Rust's signatures are accepted; wrong secrets, unknown keys, bad
//! session tokens, skewed clocks and unsigned or half-signed requests get AWS's answers, with
//! HTTP 400, in the request's encoding.

use crate::code_and_message;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use riffle_server::{AuthConfig, KeyStore, ServerConfig};
use riffle_testkit::{TestServer, create_active_stream};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AKID: &str = "AKIDRIFFLEAUTH";
const SECRET: &str = "auth/test+secret";
const TEMP_AKID: &str = "ASIARIFFLETEMP";
const TEMP_SECRET: &str = "temp-secret";
const TOKEN: &str = "FwoGZXIvYXdzEBYaDH+token==";
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your \
                        AWS Secret Access Key and signing method. Consult the service documentation for details.";

async fn auth_server() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let keys: KeyStore = [format!("{AKID}:{SECRET}"), format!("{TEMP_AKID}:{TEMP_SECRET}:{TOKEN}")]
        .iter()
        .map(|k| k.parse().unwrap())
        .collect();
    let config = ServerConfig { auth: Some(AuthConfig { keys }), ..riffle_testkit::test_config(dir.path()) };
    TestServer::start_with(dir, config).await
}

/// The SDK with given credentials, region and clock; no retries.
fn sdk(server: &TestServer, akid: &str, secret: &str, token: Option<&str>) -> aws_sdk_kinesis::config::Builder {
    aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(akid, secret, token.map(str::to_string), None, "auth-test"))
        .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
}

fn build(b: aws_sdk_kinesis::config::Builder) -> Client {
    Client::from_conf(b.build())
}

/// The error's `__type`, message and HTTP status.
async fn list_streams_error(client: &Client) -> (String, String, u16) {
    let err = client.list_streams().send().await.unwrap_err();
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or_default();
    let (code, msg) = code_and_message(&err);
    (code, msg, status)
}

#[tokio::test]
async fn sdk_signatures_are_accepted() {
    let server = auth_server().await;
    let client = build(sdk(&server, AKID, SECRET, None));
    create_active_stream(&client, "signed", 1).await;
    let names = client.list_streams().send().await.unwrap().stream_names().to_vec();
    assert_eq!(names, ["signed"]);
    // A temporary key with its session token.
    let temp = build(sdk(&server, TEMP_AKID, TEMP_SECRET, Some(TOKEN)));
    temp.describe_stream_summary().stream_name("signed").send().await.unwrap();
}

#[tokio::test]
async fn auth_is_off_by_default() {
    let server = TestServer::start().await;
    let anyone = build(sdk(&server, "whoever", "whatever", None));
    anyone.list_streams().send().await.unwrap();
}

#[tokio::test]
async fn wrong_secret_is_an_invalid_signature() {
    let server = auth_server().await;
    let client = build(sdk(&server, AKID, "not-the-secret", None));
    assert_eq!(list_streams_error(&client).await, ("InvalidSignatureException".into(), MISMATCH.into(), 400));
}

#[tokio::test]
async fn unknown_key_is_an_unrecognized_client() {
    let server = auth_server().await;
    let client = build(sdk(&server, "AKIDNOBODY", SECRET, None));
    assert_eq!(
        list_streams_error(&client).await,
        ("UnrecognizedClientException".into(), "The security token included in the request is invalid.".into(), 400)
    );
}

#[tokio::test]
async fn session_tokens_must_match() {
    let server = auth_server().await;
    let without = build(sdk(&server, TEMP_AKID, TEMP_SECRET, None));
    assert_eq!(
        list_streams_error(&without).await,
        ("UnrecognizedClientException".into(), "The security token included in the request is invalid.".into(), 400)
    );
    let wrong = build(sdk(&server, TEMP_AKID, TEMP_SECRET, Some("another-token")));
    assert_eq!(
        list_streams_error(&wrong).await,
        ("UnrecognizedClientException".into(), "The security token included in the request is invalid".into(), 400)
    );
}

#[tokio::test]
async fn skewed_clocks_are_refused() {
    let server = auth_server().await;
    let now = SystemTime::now();
    let late = sdk(&server, AKID, SECRET, None)
        .time_source(aws_smithy_async::time::StaticTimeSource::new(now - Duration::from_secs(600)));
    let (code, msg, status) = list_streams_error(&build(late)).await;
    assert_eq!((code.as_str(), status), ("InvalidSignatureException", 400));
    assert!(msg.starts_with("Signature expired: ") && msg.ends_with(" - 5 min.)"), "{msg}");
    let early = sdk(&server, AKID, SECRET, None)
        .time_source(aws_smithy_async::time::StaticTimeSource::new(now + Duration::from_secs(600)));
    let (code, msg, _) = list_streams_error(&build(early)).await;
    assert_eq!(code, "InvalidSignatureException");
    assert!(msg.starts_with("Signature not yet current: ") && msg.ends_with(" + 5 min.)"), "{msg}");
}

#[tokio::test]
async fn other_regions_are_refused() {
    let server = auth_server().await;
    let elsewhere = sdk(&server, AKID, SECRET, None).region(Region::new("eu-west-1"));
    assert_eq!(
        list_streams_error(&build(elsewhere)).await,
        (
            "InvalidSignatureException".into(),
            "Credential should be scoped to a valid region, not 'eu-west-1'. ".into(),
            400
        )
    );
}

/// A raw HTTP/1.1 POST; returns the status, the content type and the body.
async fn raw_post(server: &TestServer, content_type: &str, extra_headers: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n\
         {extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_string))
        .unwrap_or_default();
    (status, content_type, response[split + 4..].to_vec())
}

#[tokio::test]
async fn unsigned_requests_are_refused_in_their_encoding() {
    let server = auth_server().await;
    let (status, content_type, body) = raw_post(&server, "application/x-amz-json-1.1", "", b"{}").await;
    assert_eq!((status, content_type.as_str()), (400, "application/x-amz-json-1.1"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}"#
    );

    // CBOR in, CBOR out: an indefinite or definite map holding both strings.
    let (status, content_type, body) = raw_post(&server, "application/x-amz-cbor-1.1", "", &[0xa0]).await;
    assert_eq!((status, content_type.as_str()), (400, "application/x-amz-cbor-1.1"));
    let find = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    assert!(find(b"MissingAuthenticationTokenException") && find(b"Missing Authentication Token"), "{body:?}");
}

#[tokio::test]
async fn half_signed_requests_are_incomplete() {
    let server = auth_server().await;
    let (status, _, body) = raw_post(&server, "application/x-amz-json-1.1", "Authorization: X\r\n", b"{}").await;
    assert_eq!(status, 400);
    let expected = "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
                    parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires \
                    existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=X";
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!(r#"{{"__type":"IncompleteSignatureException","message":"{expected}"}}"#)
    );
}

#[tokio::test]
async fn unknown_targets_are_answered_before_the_signature() {
    // Kinesis checks the operation before the signature (kinesalite's record).
    let server = auth_server().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.Nope\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        server.addr()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.contains("UnknownOperationException"), "{response}");
}
