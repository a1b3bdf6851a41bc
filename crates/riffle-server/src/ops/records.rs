//! PutRecord and PutRecords: validate, route by hash key, append durably, answer in order.

use super::validate_stream_ref;
use crate::catalog::{Stream, StreamMode, StreamStatus};
use crate::metrics::ShardTally;
use crate::state::App;
use bytes::Bytes;
use riffle_log::AppendRecord;
use riffle_proto::shapes::{
    PutRecordInput, PutRecordOutput, PutRecordsInput, PutRecordsOutput, PutRecordsResultEntry, SeqOut, ShardIdOut,
};
use riffle_proto::{ApiError, ErrorCode, Violations};
use riffle_types::{HashKey, SequenceNumber, ShardId, limits, partition_key_hash};
use std::sync::Arc;
use std::time::Instant;

/// Largest PutRecords payload (data + partition keys), per current AWS documentation.
const MAX_PUT_RECORDS_BYTES: usize = 10 * 1024 * 1024;
/// The model's largest blob.
const MAX_DATA_BYTES: usize = 10 * 1024 * 1024;

/// How AWS (a Java service) prints a blob in validation messages.
fn shown_blob(len: usize) -> String {
    format!("java.nio.HeapByteBuffer[pos=0 lim={len} cap={len}]")
}

/// Model checks shared by both operations' records. `path` builds the member path prefix; it
/// is called only when something failed, so valid records (the hot path) allocate nothing.
fn validate_entry(
    v: &mut Violations,
    data: Option<usize>,
    pk: &Option<String>,
    ehk: &Option<String>,
    path: impl Fn() -> String,
) {
    let pk_ok = pk.as_deref().is_some_and(|k| !k.is_empty() && (k.len() <= 256 || k.chars().count() <= 256));
    let ok = data.is_some_and(|n| n <= MAX_DATA_BYTES) && pk_ok && ehk.as_deref().is_none_or(hash_key_pattern);
    if ok {
        return;
    }
    // AWS lists partitionKey, explicitHashKey, then data (kinesalite's recordings of PutRecord).
    let path = path();
    v.required(pk, &format!("{path}partitionKey"));
    v.length(pk.as_deref(), &format!("{path}partitionKey"), 1, 256);
    if let Some(k) = ehk.as_deref().filter(|k| !hash_key_pattern(k)) {
        v.pattern_failed(k, &format!("{path}explicitHashKey"), "0|([1-9]\\d{0,38})");
    }
    if data.is_none() {
        v.push(None, &format!("{path}data"), "not be null");
    }
    if let Some(n) = data.filter(|&n| n > MAX_DATA_BYTES) {
        v.push(
            Some(&shown_blob(n)),
            &format!("{path}data"),
            format!("have length less than or equal to {MAX_DATA_BYTES}"),
        );
    }
}

/// `0|([1-9]\d{0,38})`.
fn hash_key_pattern(s: &str) -> bool {
    s == "0" || (!s.is_empty() && s.len() <= 39 && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
}

/// `0|([1-9]\d{0,128})`.
pub(crate) fn sequence_pattern(s: &str) -> bool {
    s == "0" || (!s.is_empty() && s.len() <= 129 && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
}

/// The hash key of a record: its explicit key if it has one, else MD5 of its partition key.
fn hash_key(pk: &str, ehk: Option<&str>) -> Result<HashKey, ApiError> {
    match ehk {
        None => Ok(partition_key_hash(pk)),
        Some(k) => HashKey::parse(k).ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {k}"
            ))
        }),
    }
}

/// Records can be written while a stream is ACTIVE or UPDATING; otherwise it is "not found".
fn writable<'a>(app: &App, cat: &'a crate::catalog::Catalog, name: &str) -> Result<&'a Stream, ApiError> {
    match cat.streams.get(name) {
        Some(s) if matches!(s.status, StreamStatus::Active | StreamStatus::Updating) => Ok(s),
        _ => Err(app.not_found(name)),
    }
}

/// Runs `route` on the writable stream `name` under the catalog read lock, holding the stream's
/// write gate shared, and hands the gate back: the caller keeps it until its append has
/// returned, so a resharding (which takes the gate exclusively before it reads the parents'
/// last counters) never closes a shard under a write already routed to it. Uncontended, this
/// is one `try_read` under the lock the routing takes anyway.
async fn routed<T>(
    app: &App,
    name: &str,
    route: impl FnOnce(&Stream) -> Result<T, ApiError>,
) -> Result<(tokio::sync::OwnedRwLockReadGuard<()>, T), ApiError> {
    let mut route = Some(route);
    loop {
        let gate = {
            let cat = app.catalog.read();
            let s = writable(app, &cat, name)?;
            match Arc::clone(&s.write_gate).try_read_owned() {
                Ok(g) => return Ok((g, route.take().expect("routes once")(s)?)),
                Err(_) => Arc::clone(&s.write_gate),
            }
        };
        // A resharding holds or awaits the gate: wait for it, then route by the new shards.
        let g = Arc::clone(&gate).read_owned().await;
        {
            let cat = app.catalog.read();
            let s = writable(app, &cat, name)?;
            if Arc::ptr_eq(&s.write_gate, &gate) {
                return Ok((g, route.take().expect("routes once")(s)?));
            }
        }
        // The stream was deleted and recreated meanwhile: start again under the new one's gate.
    }
}

fn too_large(s: &Stream, data: usize, pk: usize, path: impl FnOnce() -> String) -> Option<ApiError> {
    let max = s.max_record_bytes();
    (data + pk > max).then(|| {
        let mut v = Violations::new();
        v.push(Some(&shown_blob(data)), &format!("{}data", path()), format!("have length less than or equal to {max}"));
        v.finish().unwrap_err()
    })
}

pub async fn put_record(app: &Arc<App>, input: PutRecordInput) -> Result<PutRecordOutput, ApiError> {
    let started = Instant::now();
    let mut v = Violations::new();
    // AWS's order: sequenceNumberForOrdering, the record's members, then the stream.
    if let Some(s) = input.sequence_number_for_ordering.as_deref().filter(|s| !sequence_pattern(s)) {
        v.pattern_failed(s, "sequenceNumberForOrdering", "0|([1-9]\\d{0,128})");
    }
    let data_len = input.data.as_ref().map(|d| d.0.len());
    validate_entry(&mut v, data_len, &input.partition_key, &input.explicit_hash_key, String::new);
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let (data, pk) = (input.data.expect("validated").0, input.partition_key.expect("validated"));
    let key = hash_key(&pk, input.explicit_hash_key.as_deref())?;
    // `_gate` is held until the append has returned: see `routed`.
    let (_gate, (record, metrics)) = routed(app, &name, |s| {
        if let Some(e) = too_large(s, data.len(), pk.len(), String::new) {
            return Err(e);
        }
        if let Some(o) = input.sequence_number_for_ordering.as_deref() {
            // Our numbers already increase per shard in write order; we only refuse foreign ones.
            match SequenceNumber::parse(o) {
                Ok(seq) if seq.stream_uid == s.uid => {}
                _ if o == "0" => {}
                _ => {
                    return Err(ApiError::invalid_argument(format!(
                        "ExclusiveMinimumSequenceNumber {o} used in PutRecord on stream {name} under account {} is invalid.",
                        app.account()
                    )));
                }
            }
        }
        let shard = s.shard_key(s.route(key));
        if s.mode == StreamMode::OnDemand {
            app.demand.offer(&[(shard, key.0, data.len() + pk.len())]);
        }
        let metrics = app.metrics.stream(s);
        if !app.limits.admit_write(shard, data.len() + pk.len()) {
            metrics.shard(shard.shard()).write_exceeded.increment(1);
            let (_, message) = throttled(app, s, shard);
            return Err(ApiError::new(ErrorCode::ProvisionedThroughputExceeded, message));
        }
        Ok((AppendRecord { shard, partition_key: Bytes::from(pk), data }, metrics))
    })
    .await?;
    let shard = record.shard;
    let size = (record.data.len() + record.partition_key.len()) as u64;
    let mut records = vec![record];
    let encryption_type = super::encryption::seal_batch(app, &name, &mut records);
    let appended = app.log.append(records).await.map_err(log_failure)?;
    metrics.put_record_answered(started, shard.shard(), size);
    Ok(PutRecordOutput {
        shard_id: ShardId(shard.shard()).to_string(),
        sequence_number: SequenceNumber::new(shard, appended[0].counter).to_string(),
        encryption_type,
    })
}

pub async fn put_records(app: &Arc<App>, input: PutRecordsInput) -> Result<PutRecordsOutput, ApiError> {
    let started = Instant::now();
    let mut v = Violations::new();
    v.required(&input.records, "records");
    if let Some(records) = &input.records {
        if records.is_empty() {
            v.push(Some(&"[]"), "records", "have length greater than or equal to 1");
        } else if records.len() > limits::MAX_PUT_RECORDS {
            v.push(Some(&"[...]"), "records", format!("have length less than or equal to {}", limits::MAX_PUT_RECORDS));
        }
        for (i, r) in records.iter().enumerate() {
            let path = || format!("records.{}.member.", i + 1);
            validate_entry(&mut v, r.data.as_ref().map(|d| d.0.len()), &r.partition_key, &r.explicit_hash_key, path);
        }
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let entries = input.records.expect("validated");
    let total: usize = entries
        .iter()
        .map(|r| r.data.as_ref().map_or(0, |d| d.0.len()) + r.partition_key.as_ref().map_or(0, String::len))
        .sum();
    if total > MAX_PUT_RECORDS_BYTES {
        return Err(ApiError::invalid_argument("Records size exceeds 10 MB limit"));
    }
    let mut keys = Vec::with_capacity(entries.len());
    for r in &entries {
        keys.push(hash_key(r.partition_key.as_deref().unwrap_or_default(), r.explicit_hash_key.as_deref())?);
    }
    // Each record either goes to the log or fails on its own (throttled or an injected fault),
    // as AWS's PutRecords does; `slots` remembers which, in request order.
    // `_gate` is held until the append has returned: see `routed`.
    let (_gate, (mut batch, slots, metrics, tally)) = routed(app, &name, |s| {
        let mut tally = ShardTally::default();
        let mut batch = Vec::with_capacity(entries.len());
        let mut slots = Vec::with_capacity(entries.len());
        let mut offered = Vec::new();
        let on_demand = s.mode == StreamMode::OnDemand;
        for (i, (r, key)) in entries.into_iter().zip(keys).enumerate() {
            let (data, pk) = (r.data.expect("validated").0, r.partition_key.expect("validated"));
            if let Some(e) = too_large(s, data.len(), pk.len(), || format!("records.{}.member.", i + 1)) {
                return Err(e);
            }
            let shard = s.shard_key(s.route(key));
            if on_demand {
                offered.push((shard, key.0, data.len() + pk.len()));
            }
            let refused = match app.config.faults.record_fault() {
                Some(true) => Some(throttled(app, s, shard)),
                Some(false) => Some(("InternalFailure", "Internal service failure.".to_string())),
                None if !app.limits.admit_write(shard, data.len() + pk.len()) => Some(throttled(app, s, shard)),
                None => None,
            };
            match refused {
                Some((code, message)) => {
                    if code != "InternalFailure" {
                        tally.throttled(shard.shard());
                    }
                    slots.push(Err((code, message)));
                }
                None => {
                    tally.written(shard.shard(), data.len() + pk.len());
                    slots.push(Ok(shard));
                    batch.push(AppendRecord { shard, partition_key: Bytes::from(pk), data });
                }
            }
        }
        if on_demand {
            app.demand.offer(&offered);
        }
        Ok((batch, slots, app.metrics.stream(s), tally))
    })
    .await?;
    let encryption_type = super::encryption::seal_batch(app, &name, &mut batch);
    let mut appended = if batch.is_empty() {
        Vec::new().into_iter()
    } else {
        app.log.append(batch).await.map_err(log_failure)?.into_iter()
    };
    let mut failed = 0;
    let total = slots.len() as u64;
    let records = slots
        .into_iter()
        .map(|slot| match slot {
            Ok(shard) => {
                let a = appended.next().expect("one result per appended record");
                PutRecordsResultEntry {
                    sequence_number: Some(SeqOut(SequenceNumber::new(shard, a.counter))),
                    shard_id: Some(ShardIdOut(ShardId(shard.shard()))),
                    error_code: None,
                    error_message: None,
                }
            }
            Err((code, message)) => {
                failed += 1;
                PutRecordsResultEntry {
                    sequence_number: None,
                    shard_id: None,
                    error_code: Some(code.to_string()),
                    error_message: Some(message),
                }
            }
        })
        .collect();
    metrics.put_records_answered(started, &tally, total, u64::from(failed));
    Ok(PutRecordsOutput { failed_record_count: failed, records, encryption_type })
}

/// The per-record (and PutRecord) throttling answer AWS gives.
fn throttled(app: &App, s: &Stream, shard: riffle_types::ShardKey) -> (&'static str, String) {
    (
        "ProvisionedThroughputExceededException",
        format!(
            "Rate exceeded for shard {} in stream {} under account {}.",
            ShardId(shard.shard()),
            s.name,
            app.account()
        ),
    )
}

/// A write the log could not make durable is an internal failure: the client retries.
fn log_failure(e: riffle_log::LogError) -> ApiError {
    tracing::error!(error = %e, "append failed");
    ApiError::internal()
}
