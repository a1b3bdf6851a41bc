//! One module per group of operations, and the one exhaustive dispatch over them.

mod account;
mod arns;
mod consumers;
pub(crate) mod data;
mod encryption;
mod lifecycle;
mod modes;
mod monitoring;
mod policies;
mod records;
pub(crate) mod resharding;
mod resource_tags;
mod retention;
mod shards;
mod streams;
mod tags;

pub(crate) use arns::consumer_not_found;
pub(crate) use consumers::registered as registered_consumers;
pub(crate) use data::child_shards;
pub(crate) use encryption::open_batch;
pub use lifecycle::enforce_retention;

use crate::catalog::{Shard, Stream};
use crate::state::{App, now_ms};
use bytes::Bytes;
use riffle_proto::shapes::{HashKeyRangeOut, SequenceNumberRangeOut, ShardOut, StreamRef};
use riffle_proto::{ApiError, Operation, Protocol, Violations};
use riffle_types::{SequenceNumber, ShardId};
use serde::Serialize;
use std::sync::Arc;

/// An encoded answer body; empty for operations without output.
pub type Answer = Vec<u8>;

fn encode<T: Serialize>(proto: Protocol, out: T) -> Answer {
    proto.encode(&out)
}

/// Runs one operation: decode, validate, act, encode.
pub async fn dispatch(app: &Arc<App>, op: Operation, proto: Protocol, body: &Bytes) -> Result<Answer, ApiError> {
    use Operation::*;
    if let Some(fault) = app.config.faults.request_fault(op) {
        return Err(fault);
    }
    if !app.limits.admit_control(op, None) {
        return Err(ApiError::limit_exceeded(format!("Rate exceeded for account {}.", app.account())));
    }
    let none = |()| Vec::new();
    Ok(match op {
        CreateStream => streams::create(app, proto.decode(body)?).await.map(none)?,
        DeleteStream => streams::delete(app, proto.decode(body)?).await.map(none)?,
        DescribeStream => encode(proto, streams::describe(app, proto.decode(body)?).await?),
        DescribeStreamSummary => encode(proto, streams::summary(app, proto.decode(body)?).await?),
        ListStreams => encode(proto, streams::list(app, proto.decode(body)?).await?),
        DescribeLimits => encode(proto, streams::limits(app).await?),
        ListShards => encode(proto, shards::list(app, proto.decode(body)?).await?),
        IncreaseStreamRetentionPeriod => retention::increase(app, proto.decode(body)?).await.map(none)?,
        DecreaseStreamRetentionPeriod => retention::decrease(app, proto.decode(body)?).await.map(none)?,
        AddTagsToStream => tags::add(app, proto.decode(body)?).await.map(none)?,
        RemoveTagsFromStream => tags::remove(app, proto.decode(body)?).await.map(none)?,
        ListTagsForStream => encode(proto, tags::list(app, proto.decode(body)?).await?),
        PutRecord => encode(proto, records::put_record(app, proto.decode(body)?).await?),
        PutRecords => {
            // The common form decodes in one pass (CBOR's data as slices of the body); anything
            // else (and every error) via serde.
            let fast = match proto {
                Protocol::Json => riffle_proto::put_records_json::decode(body),
                Protocol::Cbor => riffle_proto::put_records_cbor::decode(body),
            };
            let input = match fast {
                Some(input) => input,
                None => proto.decode(body)?,
            };
            let out = records::put_records(app, input).await?;
            match proto {
                Protocol::Json => out.to_json(),
                Protocol::Cbor => encode(proto, out),
            }
        }
        GetShardIterator => encode(proto, data::get_shard_iterator(app, proto.decode(body)?).await?),
        GetRecords => {
            let out = data::get_records(app, proto.decode(body)?).await?;
            match proto {
                Protocol::Json => out.to_json(),
                Protocol::Cbor => encode(proto, out),
            }
        }
        StartStreamEncryption => encryption::start(app, proto.decode(body)?).await.map(none)?,
        StopStreamEncryption => encryption::stop(app, proto.decode(body)?).await.map(none)?,
        EnableEnhancedMonitoring => encode(proto, monitoring::enable(app, proto.decode(body)?).await?),
        DisableEnhancedMonitoring => encode(proto, monitoring::disable(app, proto.decode(body)?).await?),
        UpdateStreamMode => modes::update_mode(app, proto.decode(body)?).await.map(none)?,
        UpdateStreamWarmThroughput => encode(proto, modes::update_warm_throughput(app, proto.decode(body)?).await?),
        UpdateMaxRecordSize => modes::update_max_record_size(app, proto.decode(body)?).await.map(none)?,
        DescribeAccountSettings => encode(proto, account::describe(app).await?),
        UpdateAccountSettings => encode(proto, account::update(app, proto.decode(body)?).await?),
        PutResourcePolicy => policies::put(app, proto.decode(body)?).await.map(none)?,
        GetResourcePolicy => encode(proto, policies::get(app, proto.decode(body)?).await?),
        DeleteResourcePolicy => policies::delete(app, proto.decode(body)?).await.map(none)?,
        TagResource => resource_tags::tag(app, proto.decode(body)?).await.map(none)?,
        UntagResource => resource_tags::untag(app, proto.decode(body)?).await.map(none)?,
        ListTagsForResource => encode(proto, resource_tags::list(app, proto.decode(body)?).await?),
        SplitShard => resharding::split(app, proto.decode(body)?).await.map(none)?,
        MergeShards => resharding::merge(app, proto.decode(body)?).await.map(none)?,
        UpdateShardCount => encode(proto, resharding::update_shard_count(app, proto.decode(body)?).await?),
        RegisterStreamConsumer => encode(proto, consumers::register(app, proto.decode(body)?).await?),
        DescribeStreamConsumer => encode(proto, consumers::describe(app, proto.decode(body)?).await?),
        DeregisterStreamConsumer => consumers::deregister(app, proto.decode(body)?).await.map(none)?,
        ListStreamConsumers => encode(proto, consumers::list(app, proto.decode(body)?).await?),
        // Answered with an event stream, so the HTTP front calls `subscribe` instead.
        SubscribeToShard => {
            tracing::error!("SubscribeToShard reached the plain dispatch");
            return Err(riffle_proto::ApiError::internal());
        }
    })
}

/// SubscribeToShard: the same admission as [`dispatch`], then the subscription's event stream.
pub async fn subscribe(app: &Arc<App>, proto: Protocol, body: &[u8]) -> Result<crate::fanout::EventBody, ApiError> {
    if let Some(fault) = app.config.faults.request_fault(Operation::SubscribeToShard) {
        return Err(fault);
    }
    if !app.limits.admit_control(Operation::SubscribeToShard, None) {
        return Err(ApiError::limit_exceeded(format!("Rate exceeded for account {}.", app.account())));
    }
    consumers::subscribe(app, proto, proto.decode(body)?).await
}

/// Model constraints of the StreamName / StreamARN pair.
pub(crate) fn validate_stream_ref(v: &mut Violations, r: StreamRef<'_>) {
    v.name(r.stream_name, "streamName");
    if let Some(arn) = r.stream_arn {
        if !arn_pattern_ok(arn) {
            v.pattern_failed(arn, "streamARN", "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
        }
        v.length(Some(arn), "streamARN", 1, 2048);
    }
}

/// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+` (a full match), checked without a regex engine.
fn arn_pattern_ok(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws") else { return false };
    let Some(k) = rest.find(":kinesis:") else { return false };
    let rest = &rest[k + ":kinesis:".len()..];
    rest.match_indices(":stream/").any(|(i, m)| {
        let before = &rest[..i];
        let name = &rest[i + m.len()..];
        let n = before.len();
        n >= 12
            && before[n - 12..].bytes().all(|b| b.is_ascii_digit())
            && (n == 12 || before[..n - 12].ends_with(':'))
            && !name.is_empty()
            && !name.chars().any(char::is_whitespace)
    })
}

pub(crate) fn shard_out(s: &Stream, sh: &Shard) -> ShardOut {
    let key = s.shard_key(sh.index);
    ShardOut {
        shard_id: ShardId(sh.index).to_string(),
        parent_shard_id: sh.parent.map(|p| ShardId(p).to_string()),
        adjacent_parent_shard_id: sh.adjacent_parent.map(|p| ShardId(p).to_string()),
        hash_key_range: HashKeyRangeOut {
            starting_hash_key: sh.start.to_string(),
            ending_hash_key: sh.end.to_string(),
        },
        sequence_number_range: SequenceNumberRangeOut {
            starting_sequence_number: SequenceNumber::new(key, 0).to_string(),
            ending_sequence_number: sh.closed.map(|c| SequenceNumber::new(key, c.ending_counter).to_string()),
        },
    }
}

/// Arrival time before which a stream's records have expired (on the retention clock, which
/// tests move forward).
pub(crate) fn retention_horizon(app: &App, s: &Stream) -> i64 {
    now_ms() + app.config.retention_clock_offset_ms - s.retention_ms()
}

/// Shards a client may still see: open ones, and closed ones whose data is within retention.
pub(crate) fn visible_shards<'a>(app: &App, s: &'a Stream) -> impl Iterator<Item = ShardOut> + 'a {
    let horizon = retention_horizon(app, s);
    s.shards.iter().filter(move |sh| sh.closed.is_none_or(|c| c.closed_ms >= horizon)).map(move |sh| shard_out(s, sh))
}

#[cfg(test)]
mod tests {
    #[test]
    fn arn_pattern() {
        use super::arn_pattern_ok as ok;
        assert!(ok("arn:aws:kinesis:us-east-1:000000000000:stream/s"));
        assert!(ok("arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b"));
        assert!(!ok("arn:aws:kinesis:us-east-1:00000000000:stream/s"));
        assert!(!ok("arn:aws:kinesis:us-east-1:000000000000:stream/"));
        assert!(!ok("arn:aws:s3:us-east-1:000000000000:stream/s"));
        assert!(!ok("arn:aws:kinesis:us-east-1:000000000000:stream/a b"));
    }
}
