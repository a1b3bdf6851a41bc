//! Enhanced fan-out: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
//! DeregisterStreamConsumer and SubscribeToShard (whose push side is `crate::fanout`).
//!
//! Consumers live in the catalog with their stream. A consumer is CREATING for the configured
//! create delay, then ACTIVE; deregistering makes it DELETING for the delete delay, then it is
//! gone. Its ARN is `<StreamARN>/consumer/<name>:<creation epoch seconds>`. At most
//! [`MAX_CONSUMERS`] per stream, of which at most [`MAX_CREATING`] CREATING, as on AWS.

use super::arns::{self, consumer_not_found, split_consumer_arn};
use super::records::sequence_pattern;
use super::validate_stream_ref;
use crate::catalog::{Consumer, ConsumerStatus, Stream};
use crate::fanout::{EventBody, Subscription};
use crate::state::{App, now_ms};
use riffle_proto::shapes::StreamRef;
use riffle_proto::shapes_more::{
    ConsumerDescriptionOut, ConsumerInput, ConsumerOut, DescribeStreamConsumerOutput, ListStreamConsumersInput,
    ListStreamConsumersOutput, RegisterStreamConsumerInput, RegisterStreamConsumerOutput, SubscribeToShardInput,
};
use riffle_proto::{ApiError, Protocol, Timestamp, Violations};
use riffle_types::{SequenceNumber, ShardId, ShardKey};
use std::sync::Arc;

const ITERATOR_TYPES: &[&str] =
    &["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"];
/// Consumers per stream.
pub const MAX_CONSUMERS: usize = 20;
/// Consumers of a stream CREATING at once.
pub const MAX_CREATING: usize = 5;
/// Default and largest ListStreamConsumers page.
const LIST_PAGE: usize = 100;

fn stream_arn_ref(arn: Option<&str>) -> StreamRef<'_> {
    StreamRef { stream_name: None, stream_arn: arn }
}

/// The stream a StreamARN names, which must exist.
fn existing_stream(app: &App, stream_arn: &str) -> Result<String, ApiError> {
    let name = app.resolve_name(stream_arn_ref(Some(stream_arn)))?;
    app.with_stream(&name, |_| Ok(()))?;
    Ok(name)
}

fn consumer_out(app: &App, s: &Stream, c: &Consumer) -> ConsumerOut {
    ConsumerOut {
        consumer_name: c.name.clone(),
        consumer_arn: consumer_arn(app, s, c),
        consumer_status: c.status.as_str(),
        consumer_creation_timestamp: Timestamp(c.created_ms),
    }
}

pub(crate) fn consumer_arn(app: &App, s: &Stream, c: &Consumer) -> String {
    format!("{}/consumer/{}", app.stream_arn(&s.name), c.arn_suffix())
}

/// Consumers that count towards limits and ConsumerCount.
pub(crate) fn registered(s: &Stream) -> usize {
    s.consumers.iter().filter(|c| c.status != ConsumerStatus::Deleting).count()
}

pub async fn register(
    app: &Arc<App>,
    input: RegisterStreamConsumerInput,
) -> Result<RegisterStreamConsumerOutput, ApiError> {
    let mut v = Violations::new();
    v.required(&input.consumer_name, "consumerName");
    v.name(input.consumer_name.as_deref(), "consumerName");
    if let Some(t) = &input.tags {
        super::tags::validate_tag_map(&mut v, t, "tags");
    }
    v.required(&input.stream_arn, "streamARN");
    validate_stream_ref(&mut v, stream_arn_ref(input.stream_arn.as_deref()));
    v.finish()?;
    if let Some(tags) = &input.tags {
        super::tags::check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
    }
    let name = existing_stream(app, input.stream_arn.as_deref().expect("validated"))?;
    let consumer_name = input.consumer_name.expect("validated");
    let (out, created_ms) = app.update_stream(&name, |s| {
        app.require_active(s)?;
        if s.consumers.iter().any(|c| c.name == consumer_name) {
            return Err(ApiError::in_use(format!(
                "Consumer {consumer_name} under stream {} already exists for account {}.",
                s.name,
                app.account()
            )));
        }
        if registered(s) >= MAX_CONSUMERS {
            return Err(ApiError::limit_exceeded(format!(
                "Consumer limit of {MAX_CONSUMERS} for stream {} under account {} has been reached.",
                s.name,
                app.account()
            )));
        }
        if s.consumers.iter().filter(|c| c.status == ConsumerStatus::Creating).count() >= MAX_CREATING {
            return Err(ApiError::limit_exceeded(format!(
                "The number of consumers in CREATING state for stream {} under account {} exceeds the limit of \
                 {MAX_CREATING}.",
                s.name,
                app.account()
            )));
        }
        let created_ms = now_ms();
        let c = Consumer {
            name: consumer_name.clone(),
            status: ConsumerStatus::Creating,
            created_ms,
            tags: input.tags.unwrap_or_default(),
        };
        let out = consumer_out(app, s, &c);
        s.consumers.push(c);
        Ok((out, created_ms))
    })?;
    super::lifecycle::after(app, app.config.create_delay, name, move |s| {
        if let Some(c) = s.consumers.iter_mut().find(|c| c.name == consumer_name && c.created_ms == created_ms)
            && c.status == ConsumerStatus::Creating
        {
            c.status = ConsumerStatus::Active;
        }
    });
    Ok(RegisterStreamConsumerOutput { consumer: out })
}

/// A consumer ARN's parts: stream ARN, consumer name, creation second.
fn parse_consumer_arn(arn: &str) -> Option<(&str, &str, i64)> {
    let (stream_arn, name) = split_consumer_arn(arn)?;
    let (_, secs) = arn.rsplit_once(':')?;
    Some((stream_arn, name, secs.parse().ok()?))
}

/// Finds the consumer an input names: its stream's name and the consumer's name and creation
/// time. Errors as AWS answers for missing streams and consumers.
fn find(app: &App, input: &ConsumerInput) -> Result<(String, String, i64), ApiError> {
    let mut v = Violations::new();
    v.name(input.consumer_name.as_deref(), "consumerName");
    arns::validate_consumer_arn(&mut v, input.consumer_arn.as_deref(), "consumerARN");
    validate_stream_ref(&mut v, stream_arn_ref(input.stream_arn.as_deref()));
    v.finish()?;
    match (&input.consumer_arn, &input.consumer_name, &input.stream_arn) {
        (Some(arn), _, _) => by_arn(app, arn),
        (None, Some(consumer), Some(stream_arn)) => {
            let name = existing_stream(app, stream_arn)?;
            app.with_stream(&name, |s| {
                let c = s
                    .consumers
                    .iter()
                    .find(|c| c.name == *consumer)
                    .ok_or_else(|| consumer_not_found(app, consumer))?;
                Ok((name.clone(), c.name.clone(), c.created_ms))
            })
        }
        // Wording as kinesis-mock's DescribeStreamConsumerRequest.
        _ => Err(ApiError::invalid_argument(
            "ConsumerArn or both ConsumerName and StreamARN are required for this request.",
        )),
    }
}

fn by_arn(app: &App, arn: &str) -> Result<(String, String, i64), ApiError> {
    let Some((stream_arn, consumer, secs)) = parse_consumer_arn(arn) else {
        return Err(consumer_not_found(app, arn));
    };
    let name = existing_stream(app, stream_arn)?;
    app.with_stream(&name, |s| {
        let c = s
            .consumers
            .iter()
            .find(|c| c.name == consumer && c.created_ms.div_euclid(1000) == secs)
            .ok_or_else(|| consumer_not_found(app, arn))?;
        Ok((name.clone(), c.name.clone(), c.created_ms))
    })
}

pub async fn describe(app: &Arc<App>, input: ConsumerInput) -> Result<DescribeStreamConsumerOutput, ApiError> {
    let (name, consumer, created_ms) = find(app, &input)?;
    app.with_stream(&name, |s| {
        let c = s
            .consumers
            .iter()
            .find(|c| c.name == consumer && c.created_ms == created_ms)
            .ok_or_else(|| consumer_not_found(app, &consumer))?;
        Ok(DescribeStreamConsumerOutput {
            consumer_description: ConsumerDescriptionOut {
                consumer_name: c.name.clone(),
                consumer_arn: consumer_arn(app, s, c),
                consumer_status: c.status.as_str(),
                consumer_creation_timestamp: Timestamp(c.created_ms),
                stream_arn: app.stream_arn(&s.name),
            },
        })
    })
}

pub async fn deregister(app: &Arc<App>, input: ConsumerInput) -> Result<(), ApiError> {
    let (name, consumer, created_ms) = find(app, &input)?;
    let is = move |c: &Consumer| c.name == consumer && c.created_ms == created_ms;
    app.update_stream(&name, |s| {
        if let Some(c) = s.consumers.iter_mut().find(|c| is(c)) {
            // Live subscriptions notice on their next turn and end.
            c.status = ConsumerStatus::Deleting;
        }
        Ok(())
    })?;
    super::lifecycle::after(app, app.config.delete_delay, name, move |s| {
        s.consumers.retain(|c| !(is(c) && c.status == ConsumerStatus::Deleting));
    });
    Ok(())
}

pub async fn list(app: &Arc<App>, input: ListStreamConsumersInput) -> Result<ListStreamConsumersOutput, ApiError> {
    let mut v = Violations::new();
    v.length(input.next_token.as_deref(), "nextToken", 1, 1_048_576);
    v.range(input.max_results, "maxResults", Some(1), Some(10000));
    v.required(&input.stream_arn, "streamARN");
    validate_stream_ref(&mut v, stream_arn_ref(input.stream_arn.as_deref()));
    v.finish()?;
    // The cursor is the last listed consumer's (creation ms, name): registration order.
    let after = match &input.next_token {
        Some(token) => {
            let cursor = super::streams::open_list_token(app, token)?;
            let parsed = cursor.split_once(':').and_then(|(ms, n)| Some((ms.parse::<i64>().ok()?, n.to_string())));
            Some(parsed.ok_or_else(|| ApiError::invalid_argument(format!("Invalid NextToken: {token}")))?)
        }
        None => None,
    };
    let name = existing_stream(app, input.stream_arn.as_deref().expect("validated"))?;
    let limit = input.max_results.map_or(LIST_PAGE, |m| (m as usize).min(LIST_PAGE));
    app.with_stream(&name, |s| {
        let mut all: Vec<&Consumer> = s.consumers.iter().collect();
        all.sort_by(|a, b| (a.created_ms, &a.name).cmp(&(b.created_ms, &b.name)));
        let page: Vec<&Consumer> = all
            .into_iter()
            .filter(|c| after.as_ref().is_none_or(|(ms, n)| (c.created_ms, &c.name) > (*ms, n)))
            .take(limit + 1)
            .collect();
        let more = page.len() > limit;
        let page = &page[..page.len().min(limit)];
        let next_token = more.then(|| {
            let last = page[page.len() - 1];
            app.tokens.page(now_ms(), &format!("{}:{}", last.created_ms, last.name))
        });
        Ok(ListStreamConsumersOutput { consumers: page.iter().map(|c| consumer_out(app, s, c)).collect(), next_token })
    })
}

/// Checks a SubscribeToShard request and starts the subscription; the answer is its event
/// stream. Everything that can fail before the first event is an ordinary error response.
pub async fn subscribe(app: &Arc<App>, proto: Protocol, input: SubscribeToShardInput) -> Result<EventBody, ApiError> {
    let mut v = Violations::new();
    v.required(&input.consumer_arn, "consumerARN");
    arns::validate_consumer_arn(&mut v, input.consumer_arn.as_deref(), "consumerARN");
    v.required(&input.shard_id, "shardId");
    v.name(input.shard_id.as_deref(), "shardId");
    v.required(&input.starting_position, "startingPosition");
    if let Some(p) = &input.starting_position {
        v.required(&p.kind, "startingPosition.type");
        v.one_of(p.kind.as_deref(), "startingPosition.type", ITERATOR_TYPES);
        if let Some(s) = p.sequence_number.as_deref().filter(|s| !sequence_pattern(s)) {
            v.pattern_failed(s, "startingPosition.sequenceNumber", "0|([1-9]\\d{0,128})");
        }
    }
    v.finish()?;
    let arn = input.consumer_arn.as_deref().expect("validated");
    let (name, consumer, created_ms) = by_arn(app, arn)?;
    let shard_id = input.shard_id.as_deref().expect("validated");
    let (key, metrics) = app.with_stream(&name, |s| {
        let c = s
            .consumers
            .iter()
            .find(|c| c.name == consumer && c.created_ms == created_ms)
            .ok_or_else(|| consumer_not_found(app, arn))?;
        if c.status != ConsumerStatus::Active {
            return Err(ApiError::in_use(format!(
                "Consumer {arn} under account {} is not ACTIVE, instead in state {}.",
                app.account(),
                c.status.as_str()
            )));
        }
        let missing = || {
            ApiError::not_found(format!(
                "Shard {shard_id} in stream {name} under account {} does not exist",
                app.account()
            ))
        };
        let idx = ShardId::parse(shard_id).ok_or_else(missing)?.0;
        s.shard(idx).ok_or_else(missing)?;
        Ok((s.shard_key(idx), app.metrics.stream(s).subscription(&consumer, idx)))
    })?;
    let position = input.starting_position.expect("validated");
    let counter = starting_counter(app, key, &name, shard_id, &position).await?;
    crate::fanout::start(
        app,
        Subscription {
            proto,
            key,
            consumer,
            consumer_created_ms: created_ms,
            consumer_arn: arn.to_string(),
            counter,
            metrics,
        },
    )
}

/// The first counter a StartingPosition names.
async fn starting_counter(
    app: &App,
    key: ShardKey,
    name: &str,
    shard_id: &str,
    p: &riffle_proto::shapes_more::StartingPosition,
) -> Result<u64, ApiError> {
    let kind = p.kind.as_deref().expect("validated");
    let state = app.log.shard_state(key);
    let counter = match kind {
        "TRIM_HORIZON" => state.trim_counter,
        "LATEST" => state.next_counter,
        "AT_TIMESTAMP" => {
            let ts = p.timestamp.ok_or_else(|| {
                ApiError::invalid_argument("Must specify timestamp for StartingPosition of type AT_TIMESTAMP.")
            })?;
            super::data::counter_at_timestamp(app, key, ts.0).await?
        }
        _ => {
            let raw = p.sequence_number.as_deref().ok_or_else(|| {
                ApiError::invalid_argument(format!("Must specify sequenceNumber for StartingPosition of type {kind}."))
            })?;
            let seq = match SequenceNumber::parse(raw) {
                Ok(seq) if seq.stream_uid == key.stream_uid() => seq,
                _ => {
                    return Err(ApiError::invalid_argument(format!(
                        "StartingSequenceNumber {raw} used in SubscribeToShard on shard {shard_id} in stream {name} \
                         under account {} is invalid because it did not come from this stream.",
                        app.account()
                    )));
                }
            };
            if seq.shard != key.shard() {
                return Err(ApiError::invalid_argument(format!(
                    "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {}",
                    ShardId(seq.shard),
                    ShardId(key.shard())
                )));
            }
            if kind == "AFTER_SEQUENCE_NUMBER" { seq.counter.saturating_add(1) } else { seq.counter }
        }
    };
    Ok(counter.max(state.trim_counter).max(1))
}
