//! RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
//! DeregisterStreamConsumer and SubscribeToShard — enhanced fan-out, which arrives with its own
//! issue. Until then no consumer can exist, and each operation answers exactly what AWS answers
//! for a stream without consumers: validation errors, ResourceNotFound for unknown streams and
//! consumers, an empty consumer list. Registering one is refused with a clear
//! InvalidArgumentException (not LimitExceeded, which SDKs retry).

use super::arns::{self, consumer_not_found, split_consumer_arn};
use super::validate_stream_ref;
use crate::state::App;
use riffle_proto::shapes::StreamRef;
use riffle_proto::shapes_more::{
    ConsumerInput, ListStreamConsumersInput, ListStreamConsumersOutput, RegisterStreamConsumerInput,
    SubscribeToShardInput,
};
use riffle_proto::{ApiError, Violations};
use std::sync::Arc;

const ITERATOR_TYPES: &[&str] =
    &["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"];

fn stream_arn_ref(arn: Option<&str>) -> StreamRef<'_> {
    StreamRef { stream_name: None, stream_arn: arn }
}

/// The stream a StreamARN names, which must exist.
fn existing_stream(app: &App, stream_arn: &str) -> Result<String, ApiError> {
    let name = app.resolve_name(stream_arn_ref(Some(stream_arn)))?;
    app.with_stream(&name, |_| Ok(()))?;
    Ok(name)
}

/// Answers for a consumer named by ARN: its stream must exist, and then the consumer does not.
fn missing_consumer_by_arn(app: &App, consumer_arn: &str) -> ApiError {
    let Some((stream_arn, _)) = split_consumer_arn(consumer_arn) else {
        return consumer_not_found(app, consumer_arn);
    };
    match existing_stream(app, stream_arn) {
        Err(e) => e,
        Ok(_) => consumer_not_found(app, consumer_arn),
    }
}

pub async fn register(app: &Arc<App>, input: RegisterStreamConsumerInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.consumer_name, "consumerName");
    v.name(input.consumer_name.as_deref(), "consumerName");
    if let Some(t) = &input.tags {
        super::tags::validate_tag_map(&mut v, t, "tags");
    }
    v.required(&input.stream_arn, "streamARN");
    validate_stream_ref(&mut v, stream_arn_ref(input.stream_arn.as_deref()));
    v.finish()?;
    let name = existing_stream(app, input.stream_arn.as_deref().expect("validated"))?;
    app.with_stream(&name, |s| app.require_active(s))?;
    Err(ApiError::invalid_argument(
        "RegisterStreamConsumer is not supported by this version of Riffle: enhanced fan-out is not implemented \
         yet. Read with GetShardIterator and GetRecords instead.",
    ))
}

/// DescribeStreamConsumer and DeregisterStreamConsumer: find the consumer, which cannot exist.
fn find(app: &App, input: &ConsumerInput) -> ApiError {
    let mut v = Violations::new();
    v.name(input.consumer_name.as_deref(), "consumerName");
    arns::validate_consumer_arn(&mut v, input.consumer_arn.as_deref(), "consumerARN");
    validate_stream_ref(&mut v, stream_arn_ref(input.stream_arn.as_deref()));
    if let Err(e) = v.finish() {
        return e;
    }
    match (&input.consumer_arn, &input.consumer_name, &input.stream_arn) {
        (Some(arn), _, _) => missing_consumer_by_arn(app, arn),
        (None, Some(consumer), Some(stream_arn)) => match existing_stream(app, stream_arn) {
            Err(e) => e,
            Ok(_) => consumer_not_found(app, consumer),
        },
        // Wording as kinesis-mock's DescribeStreamConsumerRequest.
        _ => {
            ApiError::invalid_argument("ConsumerArn or both ConsumerName and StreamARN are required for this request.")
        }
    }
}

pub async fn describe(app: &Arc<App>, input: ConsumerInput) -> Result<(), ApiError> {
    Err(find(app, &input))
}

pub async fn deregister(app: &Arc<App>, input: ConsumerInput) -> Result<(), ApiError> {
    Err(find(app, &input))
}

pub async fn list(app: &Arc<App>, input: ListStreamConsumersInput) -> Result<ListStreamConsumersOutput, ApiError> {
    let mut v = Violations::new();
    v.length(input.next_token.as_deref(), "nextToken", 1, 1_048_576);
    v.range(input.max_results, "maxResults", Some(1), Some(10000));
    v.required(&input.stream_arn, "streamARN");
    validate_stream_ref(&mut v, stream_arn_ref(input.stream_arn.as_deref()));
    v.finish()?;
    if let Some(token) = &input.next_token {
        // No page of an empty list is ever handed out, so any token is one we did not issue.
        super::streams::open_list_token(app, token)?;
    }
    existing_stream(app, input.stream_arn.as_deref().expect("validated"))?;
    Ok(ListStreamConsumersOutput { consumers: Vec::new(), next_token: None })
}

pub async fn subscribe(app: &Arc<App>, input: SubscribeToShardInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.consumer_arn, "consumerARN");
    arns::validate_consumer_arn(&mut v, input.consumer_arn.as_deref(), "consumerARN");
    v.required(&input.shard_id, "shardId");
    v.name(input.shard_id.as_deref(), "shardId");
    v.required(&input.starting_position, "startingPosition");
    if let Some(p) = &input.starting_position {
        v.required(&p.kind, "startingPosition.type");
        v.one_of(p.kind.as_deref(), "startingPosition.type", ITERATOR_TYPES);
        if let Some(s) = p.sequence_number.as_deref().filter(|s| !super::records::sequence_pattern(s)) {
            v.pattern_failed(s, "startingPosition.sequenceNumber", "0|([1-9]\\d{0,128})");
        }
    }
    v.finish()?;
    Err(missing_consumer_by_arn(app, input.consumer_arn.as_deref().expect("validated")))
}
