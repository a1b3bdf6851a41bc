//! The transport ceiling: a Kinesis server that does everything a real one must do per request
//! on the wire (read the whole body, parse the JSON, base64-decode every Data blob, write a
//! well-formed answer of the right shape) and nothing else: it stores nothing. Whatever a real
//! server scores against the same load is bounded by this, on the same machine.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header::CONTENT_TYPE};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::BenchError;
use crate::report::NullServerReport;
use crate::wire::Op;

/// The one shard the null server claims every stream has.
const SHARD_ID: &str = "shardId-000000000000";

#[derive(Default)]
struct Stats {
    connections: AtomicU64,
    requests: AtomicU64,
    records: AtomicU64,
    bytes: AtomicU64,
    /// Source of fake sequence numbers; also makes request ids unique.
    seq: AtomicU64,
    /// Shard count asked for at CreateStream (default 1), so `get` reads as many shards in
    /// parallel as it would from a real server.
    shards: AtomicU64,
    /// Size of the last record written; reads answer records of that size.
    record_size: AtomicU64,
}

/// A bound, not yet serving, null server.
pub struct NullServer {
    listener: TcpListener,
    addr: SocketAddr,
    stats: Arc<Stats>,
}

impl NullServer {
    /// Binds `addr` (port 0 picks a free port; see [`NullServer::local_addr`]).
    pub async fn bind(addr: &str) -> Result<Self, BenchError> {
        let bind_err = |source| BenchError::Bind { addr: addr.to_owned(), source };
        let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        Ok(NullServer { listener, addr, stats: Arc::default() })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then drops every connection and reports its counters.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> NullServerReport {
        let started = Instant::now();
        let mut conns = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        // Out of descriptors and the like: transient, keep serving.
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    self.stats.connections.fetch_add(1, Relaxed);
                    let stats = self.stats.clone();
                    conns.spawn(async move {
                        let svc = service_fn(move |req| handle(req, stats.clone()));
                        // A client hanging up mid-request is not the server's problem.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        let s = &self.stats;
        NullServerReport {
            addr: self.addr.to_string(),
            elapsed_secs: started.elapsed().as_secs_f64(),
            connections: s.connections.load(Relaxed),
            requests: s.requests.load(Relaxed),
            records: s.records.load(Relaxed),
            bytes: s.bytes.load(Relaxed),
        }
    }
}

/// A rejected request: (HTTP status, bare `__type`, message).
type Reject = (StatusCode, &'static str, String);

fn bad(ty: &'static str, msg: impl Into<String>) -> Reject {
    (StatusCode::BAD_REQUEST, ty, msg.into())
}

async fn handle(req: Request<Incoming>, stats: Arc<Stats>) -> Result<Response<Full<Bytes>>, Infallible> {
    stats.requests.fetch_add(1, Relaxed);
    let target = req.headers().get("x-amz-target").and_then(|v| v.to_str().ok());
    let op = target.and_then(Op::from_target);
    // Only a rejected request pays for keeping the target name around.
    let unknown = if op.is_none() { target.map(str::to_owned) } else { None };
    let answer = match req.into_body().collect().await {
        Err(e) => Err(bad("SerializationException", format!("reading body: {e}"))),
        Ok(body) => match op {
            Some(op) => answer(op, &body.to_bytes(), &stats),
            None => Err(bad(
                "UnknownOperationException",
                format!("unknown target {}", unknown.as_deref().unwrap_or("(none)")),
            )),
        },
    };
    let (status, body) = match answer {
        Ok(body) => (StatusCode::OK, body),
        Err((status, ty, message)) => (status, Bytes::from(json!({ "__type": ty, "message": message }).to_string())),
    };
    let request_id = format!("00000000-0000-4000-8000-{:012x}", stats.seq.fetch_add(1, Relaxed));
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
    h.insert("x-amzn-requestid", HeaderValue::from_str(&request_id).expect("ASCII"));
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordIn<'a> {
    #[serde(borrow)]
    data: Cow<'a, str>,
    #[serde(borrow)]
    partition_key: Cow<'a, str>,
    #[serde(borrow, default)]
    explicit_hash_key: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRecordsIn<'a> {
    #[serde(borrow, default)]
    stream_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "StreamARN")]
    stream_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    records: Vec<RecordIn<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRecordIn<'a> {
    #[serde(borrow, default)]
    stream_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "StreamARN")]
    stream_arn: Option<Cow<'a, str>>,
    #[serde(borrow, flatten)]
    record: RecordIn<'a>,
}

fn serialization(e: serde_json::Error) -> Reject {
    bad("SerializationException", e.to_string())
}

/// Validates one record as a real server must and returns its decoded size. `buf` is reused so
/// decoding allocates once per request, not per record.
fn decode_record(r: &RecordIn<'_>, buf: &mut Vec<u8>) -> Result<u64, Reject> {
    if r.partition_key.is_empty() || r.partition_key.chars().count() > 256 {
        return Err(bad("ValidationException", "PartitionKey must be 1-256 characters"));
    }
    if r.explicit_hash_key.as_ref().is_some_and(|k| k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("ValidationException", "ExplicitHashKey must be a decimal number"));
    }
    buf.clear();
    STANDARD
        .decode_vec(r.data.as_bytes(), buf)
        .map_err(|e| bad("SerializationException", format!("Data is not valid base64: {e}")))?;
    Ok(buf.len() as u64)
}

fn require_stream(name: &Option<Cow<'_, str>>, arn: &Option<Cow<'_, str>>) -> Result<(), Reject> {
    if name.is_some() || arn.is_some() {
        Ok(())
    } else {
        Err(bad("InvalidArgumentException", "Neither StreamARN nor StreamName was provided"))
    }
}

fn sequence_number(out: &mut String, seq: u64) {
    // 56 digits like AWS's; the leading 49 keeps it a plausible value.
    let _ = write!(out, "49{seq:054}");
}

/// A successful answer body for `op`, or the error a real server would give.
fn answer(op: Op, body: &[u8], stats: &Stats) -> Result<Bytes, Reject> {
    match op {
        Op::PutRecords => {
            let req: PutRecordsIn<'_> = serde_json::from_slice(body).map_err(serialization)?;
            require_stream(&req.stream_name, &req.stream_arn)?;
            let n = req.records.len();
            if !(1..=500).contains(&n) {
                return Err(bad("ValidationException", format!("{n} records; must be 1-500")));
            }
            let mut buf = Vec::new();
            let mut bytes = 0;
            for r in &req.records {
                bytes += decode_record(r, &mut buf)?;
            }
            stats.records.fetch_add(n as u64, Relaxed);
            stats.bytes.fetch_add(bytes, Relaxed);
            stats.record_size.store(bytes / n as u64, Relaxed);
            let first = stats.seq.fetch_add(n as u64, Relaxed);
            let mut out = String::with_capacity(48 + n * 96);
            out.push_str(r#"{"FailedRecordCount":0,"Records":["#);
            for i in 0..n {
                out.push_str(if i == 0 { "{" } else { ",{" });
                out.push_str(r#""SequenceNumber":""#);
                sequence_number(&mut out, first + i as u64);
                let _ = write!(out, r#"","ShardId":"{SHARD_ID}"}}"#);
            }
            out.push_str("]}");
            Ok(Bytes::from(out))
        }
        Op::PutRecord => {
            let req: PutRecordIn<'_> = serde_json::from_slice(body).map_err(serialization)?;
            require_stream(&req.stream_name, &req.stream_arn)?;
            let bytes = decode_record(&req.record, &mut Vec::new())?;
            stats.records.fetch_add(1, Relaxed);
            stats.bytes.fetch_add(bytes, Relaxed);
            let mut out = String::from(r#"{"SequenceNumber":""#);
            sequence_number(&mut out, stats.seq.fetch_add(1, Relaxed));
            let _ = write!(out, r#"","ShardId":"{SHARD_ID}"}}"#);
            Ok(Bytes::from(out))
        }
        Op::GetRecords => get_records(body, stats),
        _ => control_plane(op, body, stats),
    }
}

/// GetRecords as a real server answers it — every record written, base64-encoded into the
/// answer — without storing any: each shard holds an equal share of the records put so far, all
/// `record_size` bytes long. The iterator is just `shard:position`.
fn get_records(body: &[u8], stats: &Stats) -> Result<Bytes, Reject> {
    let req: Value = serde_json::from_slice(body).map_err(serialization)?;
    let it =
        req["ShardIterator"].as_str().ok_or_else(|| bad("ValidationException", "ShardIterator must not be null"))?;
    let (shard, pos) = it
        .split_once(':')
        .and_then(|(s, p)| Some((s.parse::<u64>().ok()?, p.parse::<u64>().ok()?)))
        .ok_or_else(|| bad("InvalidArgumentException", "Invalid ShardIterator."))?;
    let limit = req["Limit"].as_u64().unwrap_or(10_000).min(10_000);
    let shards = stats.shards.load(Relaxed).max(1);
    let total = stats.records.load(Relaxed);
    let held = total / shards + u64::from(shard < total % shards);
    let size = stats.record_size.load(Relaxed) as usize;
    let by_bytes = (10 * 1024 * 1024 / size.max(1)) as u64;
    let n = held.saturating_sub(pos).min(limit).min(by_bytes.max(1));
    let data = vec![0x5a_u8; size];
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let mut out = String::with_capacity(64 + n as usize * (size * 4 / 3 + 120));
    out.push_str(r#"{"Records":["#);
    for i in 0..n {
        out.push_str(if i == 0 { "{" } else { ",{" });
        out.push_str(r#""SequenceNumber":""#);
        sequence_number(&mut out, pos + i);
        let _ = write!(out, r#"","ApproximateArrivalTimestamp":{}.{:03},"Data":""#, now / 1000, now % 1000);
        STANDARD.encode_string(&data, &mut out);
        out.push_str(r#"","PartitionKey":"k"}"#);
    }
    let behind = if pos + n < held { 1000 } else { 0 };
    let _ = write!(out, r#"],"NextShardIterator":"{shard}:{}","MillisBehindLatest":{behind}}}"#, pos + n);
    Ok(Bytes::from(out))
}

/// Minimal valid answers so `put --shards` and `get` can run: every stream exists, is ACTIVE,
/// has one shard, and that shard is always empty.
fn control_plane(op: Op, body: &[u8], stats: &Stats) -> Result<Bytes, Reject> {
    let req: Value = serde_json::from_slice(body).map_err(serialization)?;
    if !req.is_object() {
        return Err(bad("SerializationException", "request body must be a JSON object"));
    }
    let name = req["StreamName"].as_str().unwrap_or("null-stream");
    let arn = format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let shard_count = stats.shards.load(Relaxed).max(1);
    // The shards split the key space as a real stream's would; their data is synthetic.
    let width = u128::MAX / u128::from(shard_count);
    let shards: Vec<Value> = (0..shard_count)
        .map(|i| {
            let end = if i + 1 == shard_count { u128::MAX } else { width * u128::from(i + 1) - 1 };
            json!({
                "ShardId": format!("shardId-{i:012}"),
                "HashKeyRange": { "StartingHashKey": (width * u128::from(i)).to_string(), "EndingHashKey": end.to_string() },
                "SequenceNumberRange": { "StartingSequenceNumber": format!("49{:054}", 0) },
            })
        })
        .collect();
    // Until a stream is created the null server has none, so `put --shards N` creates it and
    // reads see N shards.
    if stats.shards.load(Relaxed) == 0 && !matches!(op, Op::CreateStream) {
        let msg = format!("Stream {name} under account 000000000000 not found.");
        return Err(bad("ResourceNotFoundException", msg));
    }
    let out = match op {
        Op::CreateStream => {
            stats.shards.store(req["ShardCount"].as_u64().unwrap_or(1).max(1), Relaxed);
            return Ok(Bytes::new());
        }
        Op::DescribeStreamSummary => json!({ "StreamDescriptionSummary": {
            "StreamName": name, "StreamARN": arn, "StreamStatus": "ACTIVE",
            "StreamModeDetails": { "StreamMode": "PROVISIONED" },
            "RetentionPeriodHours": 24, "StreamCreationTimestamp": now,
            "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }],
            "EncryptionType": "NONE", "OpenShardCount": shard_count, "ConsumerCount": 0,
        }}),
        Op::DescribeStream => json!({ "StreamDescription": {
            "StreamName": name, "StreamARN": arn, "StreamStatus": "ACTIVE",
            "StreamModeDetails": { "StreamMode": "PROVISIONED" },
            "Shards": shards, "HasMoreShards": false,
            "RetentionPeriodHours": 24, "StreamCreationTimestamp": now,
            "EnhancedMonitoring": [{ "ShardLevelMetrics": [] }], "EncryptionType": "NONE",
        }}),
        Op::ListShards => json!({ "Shards": shards }),
        Op::GetShardIterator => {
            let shard = req["ShardId"].as_str().and_then(|s| s.strip_prefix("shardId-")).unwrap_or("0");
            let shard = shard.parse::<u64>().unwrap_or(0);
            // TRIM_HORIZON reads everything; any other position starts at the tip (empty).
            let pos = if req["ShardIteratorType"] == "TRIM_HORIZON" { 0 } else { u64::MAX / 2 };
            json!({ "ShardIterator": format!("{shard}:{pos}") })
        }
        Op::PutRecord | Op::PutRecords | Op::GetRecords => unreachable!("data plane is answered above"),
    };
    Ok(Bytes::from(out.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;

    #[test]
    fn put_records_answer_matches_request() {
        let stats = Stats::default();
        let recs: Vec<_> =
            (0..3).map(|i| wire::RecordSpec { partition_key: format!("k{i}"), data: vec![i; 10] }).collect();
        let body = wire::put_records_body("s", &recs);
        let out = answer(Op::PutRecords, &body, &stats).unwrap();
        let t = wire::tally_put_records(&out, 3).unwrap();
        assert_eq!((t.ok, t.failed), (3, 0));
        assert_eq!(stats.bytes.load(Relaxed), 30);
        let single = wire::put_record_body("s", &recs[0]);
        wire::check_put_record(&answer(Op::PutRecord, &single, &stats).unwrap()).unwrap();
    }

    #[test]
    fn bad_requests_are_rejected_like_a_server() {
        let stats = Stats::default();
        let e = answer(Op::PutRecords, br#"{"StreamName":"s","Records":[{"Data":"!!","PartitionKey":"a"}]}"#, &stats);
        assert_eq!(e.unwrap_err().1, "SerializationException");
        let e = answer(Op::PutRecords, br#"{"StreamName":"s","Records":[]}"#, &stats);
        assert_eq!(e.unwrap_err().1, "ValidationException");
        let e = answer(Op::PutRecords, br#"{"Records":[{"Data":"","PartitionKey":"a"}]}"#, &stats);
        assert_eq!(e.unwrap_err().1, "InvalidArgumentException");
        assert_eq!(answer(Op::ListShards, b"[1]", &stats).unwrap_err().1, "SerializationException");
    }

    #[test]
    fn control_plane_answers_parse_with_the_client_parsers() {
        let stats = Stats::default();
        let missing = answer(Op::DescribeStreamSummary, br#"{"StreamName":"s"}"#, &stats).unwrap_err();
        assert_eq!(missing.1, "ResourceNotFoundException", "no stream before CreateStream");
        answer(Op::CreateStream, br#"{"StreamName":"s","ShardCount":1}"#, &stats).unwrap();
        let s = answer(Op::DescribeStreamSummary, br#"{"StreamName":"s"}"#, &stats).unwrap();
        assert_eq!(wire::stream_status(Op::DescribeStreamSummary, &s).unwrap(), "ACTIVE");
        let l = answer(Op::ListShards, br#"{"StreamName":"s"}"#, &stats).unwrap();
        assert_eq!(wire::list_shards_page(&l).unwrap().shard_ids, [SHARD_ID]);
        let d = answer(Op::DescribeStream, br#"{"StreamName":"s"}"#, &stats).unwrap();
        assert_eq!(wire::describe_stream_page(&d).unwrap().next, None);
        let put = br#"{"StreamName":"s","Records":[{"Data":"aGVsbG8=","PartitionKey":"a"},{"Data":"aGVsbG8=","PartitionKey":"b"}]}"#;
        answer(Op::PutRecords, put, &stats).unwrap();
        let it = br#"{"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}"#;
        let it = wire::shard_iterator(&answer(Op::GetShardIterator, it, &stats).unwrap()).unwrap();
        let first =
            wire::records_page(&answer(Op::GetRecords, &wire::get_records_body(&it, 1), &stats).unwrap()).unwrap();
        assert_eq!((first.records, first.bytes, first.millis_behind), (1, 5, 1000), "{first:?}");
        let rest = wire::get_records_body(first.next_iterator.as_deref().unwrap(), 10);
        let rest = wire::records_page(&answer(Op::GetRecords, &rest, &stats).unwrap()).unwrap();
        assert_eq!((rest.records, rest.millis_behind), (1, 0), "the second of two records, then caught up");
    }
}
