//! The console's JSON endpoints (all GET):
//!
//! - `streams` — every stream: status, mode, shards, retention, encryption, consumers;
//! - `streams/{name}` — one stream: its shards (hash ranges, lineage, sequence ranges) and
//!   enhanced fan-out consumers;
//! - `streams/{name}/metrics` — the sampled per-shard rates ([`super::samples`]);
//! - `streams/{name}/records?shard=&from=&n=&seq=&ts=` — the record browser ([`super::records`]);
//! - `leases` — the KCL-style lease tables ([`super::leases`]).
//!
//! Each copies what it needs out of the catalog under its read lock and builds the JSON after.

use super::ApiFailure;
use crate::catalog::{Shard, Stream};
use crate::state::App;
use riffle_types::{SequenceNumber, ShardId, ShardKey};
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn route(app: &Arc<App>, path: &str, query: &str) -> Result<Value, ApiFailure> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["streams"] => Ok(streams(app)),
        ["streams", name] => stream(app, name),
        ["streams", name, "metrics"] => {
            app.with_stream(name, |_| Ok(())).map_err(|_| missing(name))?;
            Ok(json!({ "now": crate::state::now_ms(), "shards": app.console.of_stream(name) }))
        }
        ["streams", name, "records"] => super::records::peek(app, name, query).await,
        ["leases"] => super::leases::tables(app).await,
        _ => Err(ApiFailure::not_found(format!("No console API at /console/api/{path}"))),
    }
}

pub fn missing(name: &str) -> ApiFailure {
    ApiFailure::not_found(format!("Stream {name} not found."))
}

fn streams(app: &App) -> Value {
    let cat = app.catalog.read();
    let list: Vec<Value> = cat
        .streams
        .values()
        .map(|s| {
            json!({
                "name": s.name,
                "arn": app.stream_arn(&s.name),
                "status": s.status.as_str(),
                "mode": s.mode.as_str(),
                "openShards": s.open_shard_count(),
                "totalShards": s.shards.len(),
                "retentionHours": s.retention_hours,
                "encryption": if s.encryption.is_some() { "KMS" } else { "NONE" },
                "consumers": s.consumers.len(),
                "createdMs": s.created_ms,
            })
        })
        .collect();
    json!({ "streams": list })
}

fn stream(app: &App, name: &str) -> Result<Value, ApiFailure> {
    let s: Stream = app.with_stream(name, |s| Ok(s.clone())).map_err(|_| missing(name))?;
    let shards: Vec<Value> = s.shards.iter().map(|sh| shard(app, &s, sh)).collect();
    let consumers: Vec<Value> = s
        .consumers
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "arn": format!("{}/consumer/{}", app.stream_arn(&s.name), c.arn_suffix()),
                "status": c.status.as_str(),
                "createdMs": c.created_ms,
            })
        })
        .collect();
    Ok(json!({
        "name": s.name,
        "arn": app.stream_arn(&s.name),
        "status": s.status.as_str(),
        "mode": s.mode.as_str(),
        "retentionHours": s.retention_hours,
        "encryption": if s.encryption.is_some() { "KMS" } else { "NONE" },
        "keyId": s.encryption.as_ref().map(|e| e.key_id.clone()),
        "openShards": s.open_shard_count(),
        "createdMs": s.created_ms,
        "shards": shards,
        "consumers": consumers,
    }))
}

/// A shard as the page draws it. Hash keys go as decimal strings (JavaScript numbers cannot
/// hold them) and as fractions of 2^128 for the bar.
fn shard(app: &App, s: &Stream, sh: &Shard) -> Value {
    let key = ShardKey::new(s.uid, sh.index);
    let state = app.log.shard_state(key);
    let seq = |counter: u64| SequenceNumber::new(key, counter).to_string();
    let fraction = |k: u128| k as f64 / 2f64.powi(128);
    json!({
        "shardId": ShardId(sh.index).to_string(),
        "parent": sh.parent.map(|p| ShardId(p).to_string()),
        "adjacentParent": sh.adjacent_parent.map(|p| ShardId(p).to_string()),
        "startingHashKey": sh.start.to_string(),
        "endingHashKey": sh.end.to_string(),
        "from": fraction(sh.start),
        "to": fraction(sh.end),
        "open": sh.is_open(),
        "createdMs": sh.created_ms,
        "closedMs": sh.closed.map(|c| c.closed_ms),
        "startingSequenceNumber": seq(0),
        "endingSequenceNumber": sh.closed.map(|c| seq(c.ending_counter)),
        "retainedRecords": state.next_counter.saturating_sub(state.trim_counter),
        "lastArrivalMs": (state.last_arrival_ms > 0).then_some(state.last_arrival_ms),
    })
}
