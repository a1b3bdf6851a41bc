//! The record browser: peek at up to [`MAX_RECORDS`] records of one shard from TRIM_HORIZON,
//! the last N (LATEST minus N), AT_SEQUENCE_NUMBER or AT_TIMESTAMP. Records are read from the
//! log as GetRecords does, opened if the stream encrypts them, and KPL aggregates are unpacked
//! with `riffle-proto`'s deaggregator so each user record shows with its sub-sequence number.
//!
//! A peek is not a GetRecords: it takes nothing from the shard's read allowance and counts in
//! no metric, so watching a stream does not change what its consumers see.

use super::ApiFailure;
use super::api::missing;
use crate::sse;
use crate::state::App;
use base64::Engine;
use riffle_proto::agg;
use riffle_types::{SequenceNumber, ShardId, ShardKey};
use serde_json::{Value, json};
use std::sync::Arc;

pub const MAX_RECORDS: usize = 100;
const MAX_BYTES: usize = 4 * 1024 * 1024;

pub async fn peek(app: &Arc<App>, name: &str, query: &str) -> Result<Value, ApiFailure> {
    let q = |key: &str| {
        query.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()))
    };
    let n = q("n").and_then(|v| v.parse::<usize>().ok()).unwrap_or(20).clamp(1, MAX_RECORDS);
    let shard_id = q("shard").unwrap_or_else(|| ShardId(0).to_string());
    let from = q("from").unwrap_or_else(|| "TRIM_HORIZON".into());
    let (key, ending) = app
        .with_stream(name, |s| {
            let sh = ShardId::parse(&shard_id).and_then(|id| s.shard(id.0));
            Ok(sh.map(|sh| (s.shard_key(sh.index), sh.closed.map(|c| c.ending_counter))))
        })
        .map_err(|_| missing(name))?
        .ok_or_else(|| ApiFailure::not_found(format!("Shard {shard_id} not found in stream {name}.")))?;
    let state = app.log.shard_state(key);
    let start = match from.as_str() {
        "TRIM_HORIZON" => state.trim_counter,
        "LATEST" => state.next_counter.saturating_sub(n as u64),
        "AT_SEQUENCE_NUMBER" => {
            let raw = q("seq").unwrap_or_default();
            match SequenceNumber::parse(&raw) {
                Ok(seq) if seq.shard_key() == key => seq.counter,
                _ => return Err(ApiFailure::bad_request(format!("{raw:?} is not a sequence number of {shard_id}."))),
            }
        }
        "AT_TIMESTAMP" => {
            let ts = q("ts").and_then(|v| v.parse::<i64>().ok());
            let ts = ts.ok_or_else(|| ApiFailure::bad_request("AT_TIMESTAMP needs ts, in epoch milliseconds."))?;
            crate::ops::data::counter_at_timestamp(app, key, ts)
                .await
                .map_err(|_| ApiFailure::internal("The timestamp lookup failed."))?
        }
        other => return Err(ApiFailure::bad_request(format!("Unknown starting position {other}."))),
    }
    .max(state.trim_counter)
    .max(1);
    let log = app.log.clone();
    let sealed_by = app.sse.for_stream(key.stream_uid());
    let read = tokio::task::spawn_blocking(move || {
        let mut batch = log.read(key, start, n, MAX_BYTES).map_err(|e| e.to_string())?;
        if let Some(end) = ending {
            batch.records.retain(|r| r.counter <= end);
        }
        batch
            .records
            .into_iter()
            .map(|r| {
                let encrypted = sse::is_sealed(&r.partition_key);
                let (pk, data) = if encrypted {
                    sealed_by.open(key, &r.data).map_err(|e| e.to_string())?
                } else {
                    (r.partition_key, r.data)
                };
                Ok(record(key, r.counter, r.arrival_ms, &pk, &data, encrypted))
            })
            .collect::<Result<Vec<Value>, String>>()
    })
    .await
    .map_err(|e| ApiFailure::internal(e.to_string()))?
    .map_err(|e| {
        tracing::error!(error = %e, "console read failed");
        ApiFailure::internal(format!("Reading the shard failed: {e}"))
    })?;
    Ok(json!({
        "shardId": shard_id,
        "from": from,
        "startingSequenceNumber": SequenceNumber::new(key, start).to_string(),
        "records": read,
    }))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One stored record; an aggregate also lists its user records.
fn record(key: ShardKey, counter: u64, arrival_ms: i64, pk: &[u8], data: &[u8], encrypted: bool) -> Value {
    let mut out = json!({
        "sequenceNumber": SequenceNumber::new(key, counter).to_string(),
        "arrivalMs": arrival_ms,
        "partitionKey": String::from_utf8_lossy(pk),
        "data": b64(data),
        "size": data.len(),
        "encrypted": encrypted,
        "aggregated": false,
    });
    if agg::is_aggregated(data) {
        out["aggregated"] = json!(true);
        match agg::deaggregate(data) {
            Ok(users) => {
                out["userRecords"] = users
                    .into_iter()
                    .map(|u| {
                        json!({
                            "subSequenceNumber": u.sub_sequence_number,
                            "partitionKey": u.partition_key,
                            "explicitHashKey": u.explicit_hash_key,
                            "data": b64(&u.data),
                            "size": u.data.len(),
                        })
                    })
                    .collect();
            }
            Err(e) => out["aggregationError"] = json!(e.to_string()),
        }
    }
    out
}
