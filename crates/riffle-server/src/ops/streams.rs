//! Stream lifecycle and description: CreateStream, DeleteStream, DescribeStream,
//! DescribeStreamSummary, ListStreams, DescribeLimits.

use super::validate_stream_ref;
use crate::catalog::{Stream, StreamMode, StreamStatus};
use crate::state::{App, now_ms};
use riffle_proto::shapes::*;
use riffle_proto::{ApiError, ErrorCode, Timestamp, Violations};
use std::sync::Arc;

/// An on-demand stream starts with this many shards, as on AWS.
const ON_DEMAND_SHARDS: u32 = 4;
/// At most this many streams may be CREATING at once.
const MAX_CREATING: usize = 5;
/// Default and largest DescribeStream page.
const DESCRIBE_PAGE: usize = 100;
/// Default and largest ListStreams page.
const LIST_STREAMS_PAGE: usize = 100;
const NEXT_TOKEN_TTL_MS: i64 = 300_000;

pub async fn create(app: &Arc<App>, input: CreateStreamInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    // The model's order, with the stream name last as AWS lists it.
    v.range(input.shard_count, "shardCount", Some(1), None);
    if let Some(m) = &input.stream_mode_details {
        v.required(&m.stream_mode, "streamModeDetails.streamMode");
        v.one_of(m.stream_mode.as_deref(), "streamModeDetails.streamMode", &["PROVISIONED", "ON_DEMAND"]);
    }
    if let Some(tags) = &input.tags {
        super::tags::validate_tag_map(&mut v, tags, "tags");
    }
    v.range(input.warm_throughput_mi_bps, "warmThroughputMiBps", Some(0), None);
    v.range(input.max_record_size_in_kib, "maxRecordSizeInKiB", Some(1024), Some(10240));
    v.required(&input.stream_name, "streamName");
    v.name(input.stream_name.as_deref(), "streamName");
    v.finish()?;
    let name = input.stream_name.expect("validated");
    let mode = match input.stream_mode_details.and_then(|m| m.stream_mode).as_deref() {
        Some("ON_DEMAND") => StreamMode::OnDemand,
        _ => StreamMode::Provisioned,
    };
    let shard_count = match mode {
        StreamMode::OnDemand => ON_DEMAND_SHARDS,
        StreamMode::Provisioned => match input.shard_count {
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => {
                return Err(ApiError::invalid_argument("ShardCount is required for streams in PROVISIONED mode."));
            }
        },
    };
    if let Some(tags) = &input.tags {
        super::tags::check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
    }
    {
        let mut cat = app.catalog.write();
        if cat.streams.contains_key(&name) {
            return Err(ApiError::in_use(format!("Stream {name} under account {} already exists.", app.account())));
        }
        let creating = cat.streams.values().filter(|s| s.status == StreamStatus::Creating).count();
        if creating >= MAX_CREATING {
            return Err(ApiError::limit_exceeded(format!(
                "The number of streams in CREATING state for account {} exceeds the limit of {MAX_CREATING}.",
                app.account()
            )));
        }
        let open: u32 = cat.streams.values().map(Stream::open_shard_count).sum();
        let limit = app.config.shard_limit;
        if u64::from(open) + u64::from(shard_count) > u64::from(limit) {
            return Err(ApiError::limit_exceeded(format!(
                "This request would exceed the shard limit for the account {} in {}. Current shard count \
                 for the account: {open}. Limit: {limit}. Number of additional shards that would have \
                 resulted from this request: {shard_count}. Refer to the AWS Service Limits page \
                 (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current \
                 limits and how to request higher limits.",
                app.account(),
                app.config.region
            )));
        }
        let uid = cat.allocate_uid();
        let mut stream = Stream::new(uid, name.clone(), mode, shard_count, now_ms());
        if let Some(kib) = input.max_record_size_in_kib {
            stream.max_record_kib = kib as u32;
        }
        stream.tags = input.tags.unwrap_or_default();
        cat.insert(stream);
    }
    app.persist()?;
    super::lifecycle::after(app, app.config.create_delay, name, |s| {
        if s.status == StreamStatus::Creating {
            s.status = StreamStatus::Active;
        }
    });
    Ok(())
}

pub async fn delete(app: &Arc<App>, input: DeleteStreamInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    app.update_stream(&name, |s| {
        if super::registered_consumers(s) > 0 && input.enforce_consumer_deletion != Some(true) {
            return Err(ApiError::in_use(format!(
                "Stream {} under account {} has registered consumers. Deregister them first or set \
                 EnforceConsumerDeletion.",
                s.name,
                app.account()
            )));
        }
        // Consumers go with the stream; their subscriptions notice and end.
        for c in &mut s.consumers {
            c.status = crate::catalog::ConsumerStatus::Deleting;
        }
        s.status = StreamStatus::Deleting;
        Ok(())
    })?;
    super::lifecycle::remove_after(app, app.config.delete_delay, name);
    Ok(())
}

pub async fn describe(app: &Arc<App>, input: DescribeStreamInput) -> Result<DescribeStreamOutput, ApiError> {
    let mut v = Violations::new();
    v.range(input.limit, "limit", Some(1), Some(10000));
    v.name(input.exclusive_start_shard_id.as_deref(), "exclusiveStartShardId");
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let limit = input.limit.map_or(DESCRIBE_PAGE, |l| (l as usize).min(DESCRIBE_PAGE));
    let after = input.exclusive_start_shard_id;
    app.with_stream(&name, |s| {
        let visible: Vec<_> = super::visible_shards(app, s)
            // Our shard ids are fixed-width, so string order is index order, as on AWS.
            .filter(|sh| after.as_ref().is_none_or(|a| sh.shard_id > *a))
            .collect();
        let has_more = visible.len() > limit;
        let (encryption_type, key_id) = super::encryption::described(s);
        Ok(DescribeStreamOutput {
            stream_description: StreamDescriptionOut {
                stream_name: s.name.clone(),
                stream_arn: app.stream_arn(&s.name),
                stream_status: s.status.as_str(),
                stream_mode_details: StreamModeDetailsOut { stream_mode: s.mode.as_str() },
                shards: visible.into_iter().take(limit).collect(),
                has_more_shards: has_more,
                retention_period_hours: s.retention_hours,
                stream_creation_timestamp: Timestamp(s.created_ms),
                enhanced_monitoring: super::monitoring::described(s),
                encryption_type,
                key_id,
            },
        })
    })
}

pub async fn summary(app: &Arc<App>, input: StreamInput) -> Result<DescribeStreamSummaryOutput, ApiError> {
    let mut v = Violations::new();
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    app.with_stream(&name, |s| {
        let (encryption_type, key_id) = super::encryption::described(s);
        Ok(DescribeStreamSummaryOutput {
            stream_description_summary: StreamDescriptionSummaryOut {
                stream_name: s.name.clone(),
                stream_arn: app.stream_arn(&s.name),
                stream_status: s.status.as_str(),
                stream_mode_details: StreamModeDetailsOut { stream_mode: s.mode.as_str() },
                retention_period_hours: s.retention_hours,
                stream_creation_timestamp: Timestamp(s.created_ms),
                enhanced_monitoring: super::monitoring::described(s),
                encryption_type,
                key_id,
                open_shard_count: s.open_shard_count(),
                consumer_count: super::registered_consumers(s) as u32,
                max_record_size_in_kib: s.max_record_kib,
                warm_throughput: super::modes::warm_throughput_out(s),
            },
        })
    })
}

pub async fn list(app: &Arc<App>, input: ListStreamsInput) -> Result<ListStreamsOutput, ApiError> {
    let mut v = Violations::new();
    v.range(input.limit, "limit", Some(1), Some(10000));
    v.name(input.exclusive_start_stream_name.as_deref(), "exclusiveStartStreamName");
    v.length(input.next_token.as_deref(), "nextToken", 1, 1_048_576);
    v.finish()?;
    let limit = input.limit.map_or(LIST_STREAMS_PAGE, |l| (l as usize).min(LIST_STREAMS_PAGE));
    let start_after = match (&input.next_token, &input.exclusive_start_stream_name) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_argument(
                "NextToken and ExclusiveStartStreamName cannot be provided together.",
            ));
        }
        (Some(t), None) => Some(open_list_token(app, t)?),
        (None, s) => s.clone(),
    };
    let cat = app.catalog.read();
    let page: Vec<&Stream> =
        cat.streams.values().filter(|s| start_after.as_ref().is_none_or(|a| s.name > *a)).take(limit + 1).collect();
    let has_more = page.len() > limit;
    let page = &page[..page.len().min(limit)];
    let next_token = has_more.then(|| app.tokens.page(now_ms(), &page[page.len() - 1].name));
    Ok(ListStreamsOutput {
        stream_names: page.iter().map(|s| s.name.clone()).collect(),
        has_more_streams: has_more,
        next_token,
        stream_summaries: page
            .iter()
            .map(|s| StreamSummaryOut {
                stream_name: s.name.clone(),
                stream_arn: app.stream_arn(&s.name),
                stream_status: s.status.as_str(),
                stream_mode_details: StreamModeDetailsOut { stream_mode: s.mode.as_str() },
                stream_creation_timestamp: Timestamp(s.created_ms),
            })
            .collect(),
    })
}

/// Opens a pagination token, answering AWS's errors for forged and expired ones.
pub fn open_list_token(app: &App, token: &str) -> Result<String, ApiError> {
    let (issued, cursor) =
        app.tokens.open_page(token).ok_or_else(|| ApiError::invalid_argument(format!("Invalid NextToken: {token}")))?;
    if now_ms() - issued > NEXT_TOKEN_TTL_MS {
        return Err(ApiError::new(ErrorCode::ExpiredNextToken, format!("The token {token} has expired.")));
    }
    Ok(cursor)
}

pub async fn limits(app: &Arc<App>) -> Result<DescribeLimitsOutput, ApiError> {
    let cat = app.catalog.read();
    Ok(DescribeLimitsOutput {
        shard_limit: app.config.shard_limit,
        open_shard_count: cat.streams.values().map(Stream::open_shard_count).sum(),
        on_demand_stream_count: cat.streams.values().filter(|s| s.mode == StreamMode::OnDemand).count() as u32,
        on_demand_stream_count_limit: 50,
    })
}
