//! SplitShard, MergeShards and UpdateShardCount — validated and checked against the stream as
//! AWS checks them, then refused: resharding itself arrives with its own issue. Every request
//! AWS would reject gets AWS's rejection; one AWS would carry out gets a clear
//! InvalidArgumentException (not LimitExceeded, which SDKs retry).

use super::validate_stream_ref;
use crate::catalog::{Shard, Stream, StreamMode};
use crate::state::App;
use riffle_proto::shapes_more::{MergeShardsInput, SplitShardInput, UpdateShardCountInput};
use riffle_proto::{ApiError, ErrorCode, Violations};
use riffle_types::{HashKey, ShardId};
use std::sync::Arc;

const HASH_KEY_PATTERN: &str = "0|([1-9]\\d{0,38})";
/// The most open shards UpdateShardCount may leave on one stream.
const MAX_SHARDS_PER_STREAM: i64 = 10_000;

fn refused(op: &str) -> ApiError {
    ApiError::invalid_argument(format!(
        "{op} is not supported by this version of Riffle: resharding is not implemented yet. The stream is unchanged."
    ))
}

/// `0|([1-9]\d{0,38})`.
fn hash_key_pattern(s: &str) -> bool {
    s == "0" || (!s.is_empty() && s.len() <= 39 && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
}

/// AWS refuses to reshard on-demand streams (message as moto's StreamCannotBeUpdatedError).
fn reject_on_demand(app: &App, s: &Stream) -> Result<(), ApiError> {
    if s.mode == StreamMode::OnDemand {
        return Err(ApiError::new(
            ErrorCode::Validation,
            format!("Request is invalid. Stream {} under account {} is in On-Demand mode.", s.name, app.account()),
        ));
    }
    Ok(())
}

/// The shard named `id`, or AWS's ResourceNotFound for it.
fn find_shard<'a>(app: &App, s: &'a Stream, id: &str) -> Result<&'a Shard, ApiError> {
    ShardId::parse(id).and_then(|i| s.shard(i.0)).ok_or_else(|| {
        ApiError::not_found(format!("Could not find shard {id} in stream {} under account {}.", s.name, app.account()))
    })
}

fn require_open(app: &App, s: &Stream, sh: &Shard) -> Result<(), ApiError> {
    if sh.is_open() {
        return Ok(());
    }
    Err(ApiError::invalid_argument(format!(
        "Shard {} in stream {} under account {} has already been merged or split, and thus is not eligible for \
         merging or splitting.",
        ShardId(sh.index),
        s.name,
        app.account()
    )))
}

/// LimitExceeded when `extra` more open shards would pass the account's quota.
fn check_quota(app: &App, open_total: u32, extra: u32) -> Result<(), ApiError> {
    let limit = app.config.shard_limit;
    if u64::from(open_total) + u64::from(extra) <= u64::from(limit) {
        return Ok(());
    }
    Err(ApiError::limit_exceeded(format!(
        "This request would exceed the shard limit for the account {} in {}. Current shard count for the account: \
         {open_total}. Limit: {limit}. Number of additional shards that would have resulted from this request: \
         {extra}. Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) \
         for current limits and how to request higher limits.",
        app.account(),
        app.config.region
    )))
}

fn open_total(app: &App) -> u32 {
    app.catalog.read().streams.values().map(Stream::open_shard_count).sum()
}

pub async fn split(app: &Arc<App>, input: SplitShardInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.shard_to_split, "shardToSplit");
    v.name(input.shard_to_split.as_deref(), "shardToSplit");
    v.required(&input.new_starting_hash_key, "newStartingHashKey");
    if let Some(k) = input.new_starting_hash_key.as_deref().filter(|k| !hash_key_pattern(k)) {
        v.pattern_failed(k, "newStartingHashKey", HASH_KEY_PATTERN);
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let (id, key) = (input.shard_to_split.expect("validated"), input.new_starting_hash_key.expect("validated"));
    let total = open_total(app);
    app.with_stream(&name, |s| {
        let sh = find_shard(app, s, &id)?;
        reject_on_demand(app, s)?;
        app.require_active(s)?;
        require_open(app, s, sh)?;
        check_quota(app, total, 1)?;
        let inside = HashKey::parse(&key).is_some_and(|k| k.0 > sh.start.saturating_add(1) && k.0 < sh.end);
        if !inside {
            return Err(ApiError::invalid_argument(format!(
                "NewStartingHashKey {key} used in SplitShard() on shard {id} in stream {name} under account {} is \
                 not both greater than one plus the shard's StartingHashKey {} and less than the shard's \
                 EndingHashKey {}.",
                app.account(),
                sh.start,
                sh.end
            )));
        }
        Err(refused("SplitShard"))
    })
}

pub async fn merge(app: &Arc<App>, input: MergeShardsInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.shard_to_merge, "shardToMerge");
    v.name(input.shard_to_merge.as_deref(), "shardToMerge");
    v.required(&input.adjacent_shard_to_merge, "adjacentShardToMerge");
    v.name(input.adjacent_shard_to_merge.as_deref(), "adjacentShardToMerge");
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let (a, b) = (input.shard_to_merge.expect("validated"), input.adjacent_shard_to_merge.expect("validated"));
    app.with_stream(&name, |s| {
        let (first, second) = (find_shard(app, s, &a)?, find_shard(app, s, &b)?);
        reject_on_demand(app, s)?;
        app.require_active(s)?;
        require_open(app, s, first)?;
        require_open(app, s, second)?;
        let adjacent = first.end.checked_add(1) == Some(second.start) || second.end.checked_add(1) == Some(first.start);
        if !adjacent {
            return Err(ApiError::invalid_argument(format!(
                "Shards {a} and {b} in stream {name} under account {} are not an adjacent pair of shards eligible \
                 for merging",
                app.account()
            )));
        }
        Err(refused("MergeShards"))
    })
}

pub async fn update_shard_count(app: &Arc<App>, input: UpdateShardCountInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.target_shard_count, "targetShardCount");
    v.range(input.target_shard_count, "targetShardCount", Some(1), None);
    v.required(&input.scaling_type, "scalingType");
    v.one_of(input.scaling_type.as_deref(), "scalingType", &["UNIFORM_SCALING"]);
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let target = input.target_shard_count.expect("validated");
    let total = open_total(app);
    app.with_stream(&name, |s| {
        reject_on_demand(app, s)?;
        app.require_active(s)?;
        let open = i64::from(s.open_shard_count());
        // Wording as kinesalite's updateShardCount.
        let counts = format!("Current open shard count: {open}, Target shard count: {target}");
        if target > MAX_SHARDS_PER_STREAM {
            return Err(ApiError::limit_exceeded(format!(
                "Target shard count or number of open shards cannot be greater than {MAX_SHARDS_PER_STREAM}. {counts}"
            )));
        }
        if target > open * 2 {
            return Err(ApiError::limit_exceeded(format!(
                "UpdateShardCount cannot scale up over double your current open shard count. {counts}"
            )));
        }
        if target * 2 < open {
            return Err(ApiError::limit_exceeded(format!(
                "UpdateShardCount cannot scale down below half your current open shard count. {counts}"
            )));
        }
        check_quota(app, total, u32::try_from((target - open).max(0)).unwrap_or(u32::MAX))?;
        Err(refused("UpdateShardCount"))
    })
}
