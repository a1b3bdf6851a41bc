//! Control-plane steps before a workload: create the stream and wait for ACTIVE, list its
//! shards. Each prefers the modern operation and falls back for peers that lack it
//! (DescribeStreamSummary -> DescribeStream, ListShards -> DescribeStream paging).

use std::time::{Duration, Instant};

use crate::client::KinesisClient;
use crate::wire::{self, Op, Operation};
use crate::{BenchError, CallError};

/// Long enough for emulators creating hundreds of shards; AWS itself takes well under a minute.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(180);
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Control-plane calls are rate-limited on AWS and some emulators; retry throttles this often.
const THROTTLE_RETRIES: u32 = 20;

pub(crate) fn setup_err<'a>(op: &'static str, stream: &'a str) -> impl FnOnce(CallError) -> BenchError + 'a {
    move |source| BenchError::Setup { op, stream: stream.to_owned(), source }
}

/// One control-plane call, retrying throttling answers with a short backoff.
pub(crate) async fn call_retrying(
    client: &KinesisClient,
    op: impl Operation,
    body: bytes::Bytes,
) -> Result<bytes::Bytes, CallError> {
    let mut attempt = 0;
    loop {
        match client.call(op, body.clone()).await {
            Err(e) if e.is_throttle() && attempt < THROTTLE_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(10)))).await;
            }
            other => return other,
        }
    }
}

/// Current StreamStatus, via DescribeStreamSummary or, where unsupported, DescribeStream.
async fn stream_status(client: &KinesisClient, stream: &str) -> Result<String, CallError> {
    let body = wire::stream_name_body(stream);
    match call_retrying(client, Op::DescribeStreamSummary, body.clone()).await {
        Ok(b) => wire::stream_status(Op::DescribeStreamSummary, &b),
        Err(e) if e.is_unsupported_operation() => {
            let b = call_retrying(client, Op::DescribeStream, body).await?;
            wire::stream_status(Op::DescribeStream, &b)
        }
        Err(e) => Err(e),
    }
}

/// Creates `stream` with `shards` shards unless it exists (whatever its shard count), then waits
/// until it is ACTIVE. Returns true if this call created it.
pub(crate) async fn ensure_stream(client: &KinesisClient, stream: &str, shards: u32) -> Result<bool, BenchError> {
    let mut created = false;
    match stream_status(client, stream).await {
        Ok(_) => {}
        Err(e) if e.is_type("ResourceNotFoundException") => {
            let body = wire::create_stream_body(stream, shards);
            match call_retrying(client, Op::CreateStream, body).await {
                Ok(_) => created = true,
                // Someone else created it in between: fine, we only need it to exist.
                Err(e) if e.is_type("ResourceInUseException") => {}
                Err(e) => return Err(setup_err("CreateStream", stream)(e)),
            }
        }
        Err(e) => return Err(setup_err("DescribeStreamSummary", stream)(e)),
    }
    let start = Instant::now();
    loop {
        let status = match stream_status(client, stream).await {
            Ok(s) => s,
            // Some emulators answer RNF until an async create has registered the stream.
            Err(e) if e.is_type("ResourceNotFoundException") && created => "CREATING".into(),
            Err(e) => return Err(setup_err("DescribeStreamSummary", stream)(e)),
        };
        if status == "ACTIVE" {
            return Ok(created);
        }
        if start.elapsed() >= ACTIVE_TIMEOUT {
            return Err(BenchError::StreamNotActive {
                stream: stream.to_owned(),
                waited_secs: start.elapsed().as_secs(),
                status,
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// All shard ids of `stream` (open and closed), via ListShards or, where unsupported,
/// DescribeStream paging.
pub(crate) async fn list_shards(client: &KinesisClient, stream: &str) -> Result<Vec<String>, BenchError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut use_describe = false;
    loop {
        let page = if use_describe {
            let body = wire::describe_stream_body(stream, token.as_deref());
            let b =
                call_retrying(client, Op::DescribeStream, body).await.map_err(setup_err("DescribeStream", stream))?;
            wire::describe_stream_page(&b).map_err(setup_err("DescribeStream", stream))?
        } else {
            let body = wire::list_shards_body(stream, token.as_deref());
            match call_retrying(client, Op::ListShards, body).await {
                Ok(b) => wire::list_shards_page(&b).map_err(setup_err("ListShards", stream))?,
                Err(e) if e.is_unsupported_operation() && ids.is_empty() => {
                    use_describe = true;
                    continue;
                }
                Err(e) => return Err(setup_err("ListShards", stream)(e)),
            }
        };
        let empty_page = page.shard_ids.is_empty();
        ids.extend(page.shard_ids);
        match page.next {
            // An empty page with a token would loop forever on a confused peer; stop instead.
            Some(next) if !empty_page => token = Some(next),
            _ => break,
        }
    }
    if ids.is_empty() {
        return Err(BenchError::NoShards(stream.to_owned()));
    }
    Ok(ids)
}
