//! Integration tests of `riffle serve` through the official AWS SDK for Rust.

mod errors;
mod lifecycle;
mod records;
mod restart;
mod retention;

use aws_sdk_kinesis::Client;
use riffle_testkit::TestServer;

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
