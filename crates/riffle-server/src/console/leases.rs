//! Lease tables in the console: every DynamoDB table on this server whose hash key is
//! `leaseKey` is taken for a KCL-style lease table (the KCL's, kcl-rs's, riffle-consumer's) and
//! shown row by row: owner, counter, checkpoint and, where the checkpoint is a sequence number
//! of this server, how many records the owner is behind the shard's tip.
//!
//! The tables are read through `riffle-dynamo`'s own operations (ListTables, DescribeTable,
//! Scan), on a blocking thread, so the console needs nothing from the crate beyond its API.

use super::ApiFailure;
use crate::state::App;
use riffle_types::{SequenceNumber, ShardId};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Rows shown per table; a lease table has one per shard, so this is plenty.
const MAX_ROWS: usize = 1000;

pub async fn tables(app: &Arc<App>) -> Result<Value, ApiFailure> {
    let app2 = Arc::clone(app);
    let raw = tokio::task::spawn_blocking(move || read_tables(&app2))
        .await
        .map_err(|e| ApiFailure::internal(e.to_string()))?
        .map_err(|e| ApiFailure::internal(format!("Reading the lease tables failed: {e}")))?;
    let tables: Vec<Value> = raw
        .into_iter()
        .map(|(name, items)| {
            let rows: Vec<Value> = items.iter().map(|item| row(app, item)).collect();
            json!({ "name": name, "rows": rows })
        })
        .collect();
    Ok(json!({ "tables": tables }))
}

fn call(app: &App, op: &str, body: Value) -> Result<Value, String> {
    let out = app.dynamo.call(op, body.to_string().as_bytes()).map_err(|e| format!("{op}: {e:?}"))?;
    serde_json::from_slice(&out).map_err(|e| e.to_string())
}

/// The lease tables and their items, as DynamoDB JSON.
fn read_tables(app: &App) -> Result<Vec<(String, Vec<Value>)>, String> {
    let listed = call(app, "ListTables", json!({}))?;
    let names: Vec<String> = listed["TableNames"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for name in names {
        let described = call(app, "DescribeTable", json!({ "TableName": name }))?;
        let is_lease_table = described["Table"]["KeySchema"]
            .as_array()
            .is_some_and(|keys| keys.iter().any(|k| k["KeyType"] == "HASH" && k["AttributeName"] == "leaseKey"));
        if !is_lease_table {
            continue;
        }
        let scanned = call(app, "Scan", json!({ "TableName": name, "Limit": MAX_ROWS }))?;
        let mut items = scanned["Items"].as_array().cloned().unwrap_or_default();
        items.sort_by(|a, b| plain(&a["leaseKey"]).to_string().cmp(&plain(&b["leaseKey"]).to_string()));
        out.push((name, items));
    }
    Ok(out)
}

/// A DynamoDB attribute value as plain JSON: strings and numbers as strings, sets as arrays.
fn plain(v: &Value) -> Value {
    let Some(obj) = v.as_object() else { return Value::Null };
    let Some((kind, inner)) = obj.iter().next() else { return Value::Null };
    match kind.as_str() {
        "S" | "N" | "BOOL" | "SS" | "NS" => inner.clone(),
        "NULL" => Value::Null,
        "L" => Value::Array(inner.as_array().map(|a| a.iter().map(plain).collect()).unwrap_or_default()),
        "M" => Value::Object(
            inner.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), plain(v))).collect()).unwrap_or_default(),
        ),
        _ => inner.clone(),
    }
}

/// One lease row: the common KCL attributes by name, the rest under `other`, and the lag.
fn row(app: &App, item: &Value) -> Value {
    let attrs: Map<String, Value> =
        item.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), plain(v))).collect()).unwrap_or_default();
    let get = |k: &str| attrs.get(k).cloned().unwrap_or(Value::Null);
    let checkpoint = get("checkpoint");
    let (stream, lag) =
        position(app, get("leaseKey").as_str().unwrap_or_default(), checkpoint.as_str().unwrap_or_default());
    let known = [
        "leaseKey",
        "leaseOwner",
        "leaseCounter",
        "checkpoint",
        "checkpointSubSequenceNumber",
        "ownerSwitchesSinceCheckpoint",
        "parentShardId",
    ];
    let other: Map<String, Value> =
        attrs.iter().filter(|(k, _)| !known.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    json!({
        "leaseKey": get("leaseKey"),
        "leaseOwner": get("leaseOwner"),
        "leaseCounter": get("leaseCounter"),
        "checkpoint": checkpoint,
        "checkpointSubSequenceNumber": get("checkpointSubSequenceNumber"),
        "ownerSwitchesSinceCheckpoint": get("ownerSwitchesSinceCheckpoint"),
        "parentShardIds": get("parentShardId"),
        "lagRecords": lag,
        "stream": stream,
        "other": other,
    })
}

/// The stream a lease is for and how many records its owner is behind the shard's tip: from a
/// sequence-number checkpoint (which names stream and shard), or from a multi-stream lease key
/// (`account:stream:creationEpoch:shardId`, KCL 2.3+) at TRIM_HORIZON (everything retained) or
/// SHARD_END (nothing). A single-stream table's key names only the shard, and LATEST is no stored
/// position, so those lags are unknown.
fn position(app: &App, lease_key: &str, checkpoint: &str) -> (Option<String>, Option<u64>) {
    let cat = app.catalog.read();
    if let Ok(seq) = SequenceNumber::parse(checkpoint) {
        let Some(s) = cat.by_uid(seq.stream_uid) else { return (None, None) };
        let tip = app.log.shard_state(seq.shard_key()).next_counter;
        return (Some(s.name.clone()), Some(tip.saturating_sub(seq.counter + 1)));
    }
    let parts: Vec<&str> = lease_key.split(':').collect();
    let (Some(name), Some(shard)) = (parts.get(1), parts.get(3).and_then(|id| ShardId::parse(id))) else {
        return (None, None);
    };
    let Some(s) = cat.streams.get(*name).filter(|s| parts.len() == 4 && s.shard(shard.0).is_some()) else {
        return (None, None);
    };
    let state = app.log.shard_state(s.shard_key(shard.0));
    let lag = match checkpoint {
        "TRIM_HORIZON" => Some(state.next_counter.saturating_sub(state.trim_counter)),
        "SHARD_END" => Some(0),
        _ => None,
    };
    (Some(s.name.clone()), lag)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn attribute_values_become_plain_json() {
        assert_eq!(super::plain(&json!({"S": "x"})), json!("x"));
        assert_eq!(super::plain(&json!({"N": "12"})), json!("12"));
        assert_eq!(super::plain(&json!({"SS": ["a", "b"]})), json!(["a", "b"]));
        assert_eq!(super::plain(&json!({"NULL": true})), json!(null));
        assert_eq!(super::plain(&json!({"M": {"a": {"N": "1"}}})), json!({"a": "1"}));
    }
}
