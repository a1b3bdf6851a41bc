//! ListShards, with pagination and shard filters.

use super::{streams::open_list_token, validate_stream_ref};
use crate::catalog::{Shard, Stream, StreamStatus};
use crate::state::{App, now_ms};
use riffle_proto::shapes::{ListShardsInput, ListShardsOutput};
use riffle_proto::{ApiError, Operation, Violations};
use riffle_types::ShardId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest ListShards page (and the default).
const PAGE: usize = 1000;

const FILTERS: &[&str] =
    &["AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"];

/// What a NextToken remembers: the query and where the last page ended.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    stream: String,
    uid: u32,
    after: Option<u32>,
    filter: Filter,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Filter {
    AfterShard(u32),
    AtTrimHorizon,
    FromTrimHorizon,
    AtLatest,
    AtTimestamp(i64),
    FromTimestamp(i64),
}

pub async fn list(app: &Arc<App>, input: ListShardsInput) -> Result<ListShardsOutput, ApiError> {
    let mut v = Violations::new();
    v.length(input.next_token.as_deref(), "nextToken", 1, 1_048_576);
    v.name(input.exclusive_start_shard_id.as_deref(), "exclusiveStartShardId");
    v.range(input.max_results, "maxResults", Some(1), Some(10000));
    if let Some(f) = &input.shard_filter {
        v.required(&f.kind, "shardFilter.type");
        v.one_of(f.kind.as_deref(), "shardFilter.type", FILTERS);
        v.name(f.shard_id.as_deref(), "shardFilter.shardId");
    }
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let limit = input.max_results.map_or(PAGE, |m| (m as usize).min(PAGE));
    let has_query = input.stream_name.is_some() || input.stream_arn.is_some();
    let cursor = match &input.next_token {
        Some(token) => {
            if has_query
                || input.exclusive_start_shard_id.is_some()
                || input.stream_creation_timestamp.is_some()
                || input.shard_filter.is_some()
            {
                return Err(ApiError::invalid_argument("NextToken and StreamName cannot be provided together."));
            }
            let raw = open_list_token(app, token)?;
            serde_json::from_str::<Cursor>(&raw)
                .map_err(|_| ApiError::invalid_argument(format!("Invalid NextToken: {token}")))?
        }
        None if !has_query => {
            return Err(ApiError::invalid_argument("Either NextToken or StreamName should be provided."));
        }
        None => {
            let name = app.resolve_name(input.stream())?;
            let uid = app.with_stream(&name, |s| Ok(s.uid))?;
            let after = input.exclusive_start_shard_id.as_deref().map(|id| ShardId::parse(id).map_or(0, |s| s.0));
            Cursor { stream: name, uid, after, filter: parse_filter(&input)? }
        }
    };
    if !app.limits.admit_control(Operation::ListShards, Some(&cursor.stream)) {
        return Err(ApiError::limit_exceeded(format!(
            "Rate exceeded for stream {} under account {}.",
            cursor.stream,
            app.account()
        )));
    }
    app.with_stream(&cursor.stream, |s| {
        if s.uid != cursor.uid {
            return Err(app.not_found(&s.name));
        }
        if s.status == StreamStatus::Creating {
            app.require_active(s)?;
        }
        let mut matched: Vec<&Shard> = s
            .shards
            .iter()
            .filter(|sh| cursor.after.is_none_or(|a| sh.index > a))
            .filter(|sh| matches(s, sh, cursor.filter, super::retention_horizon(app, s)))
            .collect();
        matched.sort_by_key(|sh| sh.index);
        let more = matched.len() > limit;
        matched.truncate(limit);
        let next_token = more.then(|| {
            let next = Cursor { after: matched.last().map(|sh| sh.index), stream: s.name.clone(), ..cursor };
            app.tokens.page(now_ms(), &serde_json::to_string(&next).expect("cursor serializes"))
        });
        Ok(ListShardsOutput { shards: matched.into_iter().map(|sh| super::shard_out(s, sh)).collect(), next_token })
    })
}

fn parse_filter(input: &ListShardsInput) -> Result<Filter, ApiError> {
    let Some(f) = &input.shard_filter else { return Ok(Filter::FromTrimHorizon) };
    let ts = || {
        f.timestamp.map(|t| t.0).ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "Timestamp must be provided for ShardFilter type {}.",
                f.kind.as_deref().unwrap_or_default()
            ))
        })
    };
    Ok(match f.kind.as_deref().unwrap_or_default() {
        "AFTER_SHARD_ID" => {
            let id = f.shard_id.as_deref().ok_or_else(|| {
                ApiError::invalid_argument("ShardId must be provided for ShardFilter type AFTER_SHARD_ID.")
            })?;
            Filter::AfterShard(ShardId::parse(id).map_or(0, |s| s.0))
        }
        "AT_TRIM_HORIZON" => Filter::AtTrimHorizon,
        "AT_LATEST" => Filter::AtLatest,
        "AT_TIMESTAMP" => Filter::AtTimestamp(ts()?),
        "FROM_TIMESTAMP" => Filter::FromTimestamp(ts()?),
        _ => Filter::FromTrimHorizon,
    })
}

/// Whether a shard passes a filter. Shards whose data has all expired are never listed.
fn matches(s: &Stream, sh: &Shard, f: Filter, horizon: i64) -> bool {
    let alive = |x: &Shard| x.closed.is_none_or(|c| c.closed_ms >= horizon);
    if !alive(sh) {
        return false;
    }
    match f {
        Filter::AfterShard(id) => sh.index > id,
        Filter::FromTrimHorizon => true,
        Filter::AtLatest => sh.is_open(),
        // Open at the trim horizon: no parent of it is still within retention.
        Filter::AtTrimHorizon => {
            [sh.parent, sh.adjacent_parent].into_iter().flatten().all(|p| s.shard(p).is_none_or(|p| !alive(p)))
        }
        Filter::AtTimestamp(t) => {
            let t = t.max(s.created_ms);
            sh.created_ms <= t && sh.closed.is_none_or(|c| c.closed_ms >= t)
        }
        Filter::FromTimestamp(t) => sh.closed.is_none_or(|c| c.closed_ms >= t),
    }
}
