//! GetShardIterator and GetRecords: positions in a shard, and reading from them.

use super::encryption::Opened;
use super::records::sequence_pattern;
use super::validate_stream_ref;
use crate::catalog::{Stream, StreamStatus};
use crate::state::{App, now_ms};
use crate::token::IteratorState;
use riffle_proto::shapes::*;
use riffle_proto::{ApiError, Blob, ErrorCode, Timestamp, Violations};
use riffle_types::{SequenceNumber, ShardId, ShardKey, limits};
use std::sync::Arc;

const ITERATOR_TYPES: &[&str] =
    &["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"];

pub async fn get_shard_iterator(
    app: &Arc<App>,
    input: GetShardIteratorInput,
) -> Result<GetShardIteratorOutput, ApiError> {
    let mut v = Violations::new();
    v.required(&input.shard_id, "shardId");
    v.name(input.shard_id.as_deref(), "shardId");
    v.required(&input.shard_iterator_type, "shardIteratorType");
    v.one_of(input.shard_iterator_type.as_deref(), "shardIteratorType", ITERATOR_TYPES);
    if let Some(s) = input.starting_sequence_number.as_deref().filter(|s| !sequence_pattern(s)) {
        v.pattern_failed(s, "startingSequenceNumber", "0|([1-9]\\d{0,128})");
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let kind = input.shard_iterator_type.as_deref().expect("validated");
    let by_sequence = matches!(kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER");
    if by_sequence != input.starting_sequence_number.is_some() {
        return Err(ApiError::invalid_argument(format!(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or \
             (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {kind} and {} \
             StartingSequenceNumber.",
            if input.starting_sequence_number.is_some() { "also a" } else { "no" }
        )));
    }
    let name = app.resolve_name(input.stream())?;
    let shard_id = input.shard_id.expect("validated");
    let (uid, shard) = app.with_stream(&name, |s| {
        let missing = || {
            ApiError::not_found(format!(
                "Shard {shard_id} in stream {name} under account {} does not exist",
                app.account()
            ))
        };
        let idx = ShardId::parse(&shard_id).ok_or_else(missing)?.0;
        if s.status == StreamStatus::Creating || s.shard(idx).is_none() {
            return Err(missing());
        }
        Ok((s.uid, idx))
    })?;
    let key = riffle_types::ShardKey::new(uid, shard);
    if !app.limits.admit_iterator(key) {
        return Err(rate_exceeded(app, key, &name));
    }
    let state = app.log.shard_state(key);
    let counter = match kind {
        "TRIM_HORIZON" => state.trim_counter,
        "LATEST" => state.next_counter,
        "AT_TIMESTAMP" => {
            let ts = input.timestamp.ok_or_else(|| {
                ApiError::invalid_argument(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request \
                     has no timestamp parameter.",
                )
            })?;
            let now = now_ms();
            if ts.0 > now {
                return Err(ApiError::invalid_argument(format!(
                    "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. \
                     timestampInMillis: {}, currentTimestampInMillis: {now}",
                    ts.0
                )));
            }
            counter_at_timestamp(app, key, ts.0).await?
        }
        _ => {
            let raw = input.starting_sequence_number.as_deref().expect("checked above");
            let seq = match SequenceNumber::parse(raw) {
                Ok(seq) if seq.stream_uid == uid => seq,
                _ => {
                    return Err(ApiError::invalid_argument(format!(
                        "StartingSequenceNumber {raw} used in GetShardIterator on shard {shard_id} in stream {name} \
                         under account {} is invalid because it did not come from this stream.",
                        app.account()
                    )));
                }
            };
            if seq.shard != shard {
                return Err(ApiError::invalid_argument(format!(
                    "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {}",
                    ShardId(seq.shard),
                    ShardId(shard)
                )));
            }
            let at = if kind == "AFTER_SEQUENCE_NUMBER" { seq.counter.saturating_add(1) } else { seq.counter };
            at.max(state.trim_counter)
        }
    };
    let st = IteratorState { stream_uid: uid, shard, counter: counter.max(1), issued_ms: now_ms() };
    Ok(GetShardIteratorOutput { shard_iterator: app.tokens.iterator(st) })
}

pub async fn get_records(app: &Arc<App>, input: GetRecordsInput) -> Result<GetRecordsOutput, ApiError> {
    let started = std::time::Instant::now();
    let mut v = Violations::new();
    v.required(&input.shard_iterator, "shardIterator");
    v.length(input.shard_iterator.as_deref(), "shardIterator", 1, 512);
    v.range(input.limit, "limit", Some(1), Some(limits::MAX_GET_RECORDS as i64));
    validate_stream_ref(&mut v, StreamRef { stream_name: None, stream_arn: input.stream_arn.as_deref() });
    v.finish()?;
    let token = input.shard_iterator.expect("validated");
    let it = app.tokens.open_iterator(&token).ok_or_else(|| ApiError::invalid_argument("Invalid ShardIterator."))?;
    let now = now_ms();
    let ttl_ms = app.config.iterator_ttl.as_millis() as i64;
    if now - it.issued_ms > ttl_ms {
        return Err(ApiError::new(
            ErrorCode::ExpiredIterator,
            format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further \
                 in the future than the tolerated delay of {} milliseconds.",
                java_date(it.issued_ms),
                java_date(now),
                ttl_ms
            ),
        ));
    }
    let (key, ending, children, name, metrics) = {
        let cat = app.catalog.read();
        let s = cat.by_uid(it.stream_uid).ok_or_else(|| {
            ApiError::not_found(format!("Shard {} of a deleted stream does not exist", ShardId(it.shard)))
        })?;
        let sh = s.shard(it.shard).ok_or_else(|| ApiError::not_found("Invalid ShardIterator."))?;
        let metrics = app.metrics.stream(s);
        (s.shard_key(it.shard), sh.closed.map(|c| c.ending_counter), child_shards(s, it.shard), s.name.clone(), metrics)
    };
    if !app.limits.admit_read(key) {
        metrics.shard(key.shard()).read_exceeded.increment(1);
        return Err(rate_exceeded(app, key, &name));
    }
    let state = app.log.shard_state(key);
    let from = it.counter.max(state.trim_counter);
    let limit = input.limit.map_or(limits::MAX_GET_RECORDS, |l| l as usize);
    // Reads are positional file reads: keep them off the async workers.
    let log = app.log.clone();
    let batch = tokio::task::spawn_blocking(move || log.read(key, from, limit, limits::MAX_GET_RECORDS_BYTES))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "read task failed");
            ApiError::internal()
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "read failed");
            ApiError::internal()
        })?;
    let mut batch = batch;
    if let Some(end) = ending
        && batch.records.last().is_some_and(|r| r.counter > end)
    {
        // Nothing after its end belongs to a closed shard. (Only a write whose request was
        // dropped mid-append can land there — never acknowledged; see `ops/resharding.rs`.)
        batch.records.retain(|r| r.counter <= end);
        batch.next_counter = end + 1;
    }
    let bytes: usize = batch.records.iter().map(|r| r.data.len() + r.partition_key.len()).sum();
    app.limits.charge_read(key, bytes);
    let (batch, opened) = super::encryption::open_batch(app, key, batch).await?;
    let next = batch.next_counter.max(from);
    let behind = match batch.records.last() {
        _ if next >= state.next_counter => 0,
        Some(r) => (state.last_arrival_ms - r.arrival_ms).max(0),
        None => (state.last_arrival_ms - now).max(0),
    };
    // A reader past the end of a closed shard gets no iterator, and the children instead.
    // A closed shard takes no more writes, so having read up to its tip is its end too (after
    // a crash with a lax --fsync its last records, never durable, may be missing).
    let at_end = ending.is_some_and(|end| next > end || next >= state.next_counter);
    let age = batch.records.last().map_or(behind, |r| (now - r.arrival_ms).max(0));
    metrics.get_records_answered(started, key.shard(), batch.records.len() as u64, bytes as u64, age);
    Ok(GetRecordsOutput {
        records: records_out(key, batch.records, &opened),
        next_shard_iterator: (!at_end)
            .then(|| app.tokens.iterator(IteratorState { counter: next, issued_ms: now, ..it })),
        millis_behind_latest: behind,
        child_shards: at_end.then_some(children),
    })
}

/// The throttling answer for a shard's read allowance.
fn rate_exceeded(app: &App, key: riffle_types::ShardKey, stream: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ProvisionedThroughputExceeded,
        format!("Rate exceeded for shard {} in stream {stream} under account {}.", ShardId(key.shard()), app.account()),
    )
}

pub(crate) fn child_shards(s: &Stream, parent: u32) -> Vec<ChildShardOut> {
    s.shards
        .iter()
        .filter(|c| c.parent == Some(parent) || c.adjacent_parent == Some(parent))
        .map(|c| ChildShardOut {
            shard_id: ShardId(c.index).to_string(),
            parent_shards: [c.parent, c.adjacent_parent]
                .into_iter()
                .flatten()
                .map(|p| ShardId(p).to_string())
                .collect(),
            hash_key_range: HashKeyRangeOut {
                starting_hash_key: c.start.to_string(),
                ending_hash_key: c.end.to_string(),
            },
        })
        .collect()
}

/// Formats epoch milliseconds as Java's `Date.toString()` in UTC (`Thu Jan 22 01:22:02 UTC 2015`),
/// the form AWS uses in ExpiredIteratorException messages.
fn java_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = riffle_types::civil_from_days(days);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {year}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The first counter of shard `key` at or after `timestamp_ms`, looked up off the async workers.
pub(crate) async fn counter_at_timestamp(app: &App, key: ShardKey, timestamp_ms: i64) -> Result<u64, ApiError> {
    let log = app.log.clone();
    tokio::task::spawn_blocking(move || log.try_counter_at_timestamp(key, timestamp_ms))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "timestamp lookup failed");
            ApiError::internal()
        })
}

/// Records read from shard `key` as GetRecords and SubscribeToShard events carry them.
pub(crate) fn records_out(key: ShardKey, records: Vec<riffle_log::StoredRecord>, opened: &Opened) -> Vec<RecordOut> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| RecordOut {
            sequence_number: SeqOut(SequenceNumber::new(key, r.counter)),
            approximate_arrival_timestamp: Timestamp(r.arrival_ms),
            data: Blob(r.data),
            partition_key: TextOut(r.partition_key),
            encryption_type: opened.encryption_type(i),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn java_dates() {
        assert_eq!(super::java_date(1_421_889_722_000), "Thu Jan 22 01:22:02 UTC 2015");
        assert_eq!(super::java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(super::java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
    }
}
