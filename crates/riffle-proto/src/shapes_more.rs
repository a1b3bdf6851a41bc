//! Shapes of the operations beyond the core set: encryption, enhanced monitoring, stream mode,
//! resource policies, tagging by ARN, account settings, record size, warm throughput, and the
//! resharding and enhanced fan-out operations (validated and answered; carried out later).
//!
//! Same rules as [`crate::shapes`]: required members are `Option`s, so a missing one is a
//! `ValidationException`, and inputs carry `StreamName`/`StreamARN` themselves (no flatten).

use crate::codec::Timestamp;
use crate::shapes::{StreamModeDetails, StreamRef, TagOut, stream_ref};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// StartStreamEncryption and StopStreamEncryption.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamEncryptionInput {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub encryption_type: Option<String>,
    pub key_id: Option<String>,
}

/// EnableEnhancedMonitoring and DisableEnhancedMonitoring.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnhancedMonitoringInput {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_level_metrics: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamModeInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub stream_mode_details: Option<StreamModeDetails>,
    #[serde(default, deserialize_with = "crate::lenient::lenient_int")]
    pub warm_throughput_mi_bps: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateMaxRecordSizeInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    #[serde(rename = "MaxRecordSizeInKiB")]
    #[serde(default, deserialize_with = "crate::lenient::lenient_int")]
    pub max_record_size_in_kib: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamWarmThroughputInput {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::lenient_int")]
    pub warm_throughput_mi_bps: Option<i64>,
}

/// GetResourcePolicy, DeleteResourcePolicy and ListTagsForResource.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    pub policy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommitmentInput {
    pub status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAccountSettingsInput {
    pub minimum_throughput_billing_commitment: Option<CommitmentInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SplitShardInput {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_to_split: Option<String>,
    pub new_starting_hash_key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MergeShardsInput {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_to_merge: Option<String>,
    pub adjacent_shard_to_merge: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateShardCountInput {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::lenient_int")]
    pub target_shard_count: Option<i64>,
    pub scaling_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub consumer_name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// DescribeStreamConsumer and DeregisterStreamConsumer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub consumer_name: Option<String>,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersInput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub next_token: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::lenient_int")]
    pub max_results: Option<i64>,
    pub stream_creation_timestamp: Option<Timestamp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartingPosition {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub sequence_number: Option<String>,
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeToShardInput {
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: Option<String>,
    pub shard_id: Option<String>,
    pub starting_position: Option<StartingPosition>,
}

stream_ref!(
    StreamEncryptionInput,
    EnhancedMonitoringInput,
    UpdateStreamWarmThroughputInput,
    SplitShardInput,
    MergeShardsInput,
    UpdateShardCountInput,
);

impl UpdateStreamModeInput {
    pub fn stream(&self) -> StreamRef<'_> {
        StreamRef { stream_name: None, stream_arn: self.stream_arn.as_deref() }
    }
}

impl UpdateMaxRecordSizeInput {
    pub fn stream(&self) -> StreamRef<'_> {
        StreamRef { stream_name: None, stream_arn: self.stream_arn.as_deref() }
    }
}

// ---- outputs ----

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnhancedMonitoringOutput {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub current_shard_level_metrics: Vec<String>,
    pub desired_shard_level_metrics: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateShardCountOutput {
    pub stream_name: String,
    pub current_shard_count: u32,
    pub target_shard_count: u32,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyOutput {
    pub policy: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<TagOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommitmentOut {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_allowed_end_at: Option<Timestamp>,
}

/// DescribeAccountSettings and UpdateAccountSettings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSettingsOutput {
    pub minimum_throughput_billing_commitment: CommitmentOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamWarmThroughputOutput {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_name: String,
    pub warm_throughput: crate::shapes::WarmThroughputOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersOutput {
    pub consumers: Vec<ConsumerOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerOut {
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    pub consumer_status: &'static str,
    pub consumer_creation_timestamp: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerOutput {
    pub consumer: ConsumerOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerDescriptionOut {
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    pub consumer_status: &'static str,
    pub consumer_creation_timestamp: Timestamp,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamConsumerOutput {
    pub consumer_description: ConsumerDescriptionOut,
}

/// The payload of a `SubscribeToShardEvent` event-stream message.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeToShardEventOut {
    pub records: Vec<crate::shapes::RecordOut>,
    /// Left out only in the last event of a closed shard, which carries the children instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_sequence_number: Option<crate::shapes::SeqOut>,
    pub millis_behind_latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_shards: Option<Vec<crate::shapes::ChildShardOut>>,
}

/// The payload of a modeled exception event: `{"message": ...}`.
#[derive(Debug, Serialize)]
pub struct EventExceptionOut<'a> {
    pub message: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Protocol;

    #[test]
    fn decodes_members_as_the_model_names_them() {
        let i: UpdateStreamModeInput = Protocol::Json
            .decode(br#"{"StreamARN":"a","StreamModeDetails":{"StreamMode":"ON_DEMAND"},"WarmThroughputMiBps":5}"#)
            .unwrap();
        assert_eq!(i.stream().stream_arn, Some("a"));
        assert_eq!(i.warm_throughput_mi_bps, Some(5));
        let i: UpdateMaxRecordSizeInput =
            Protocol::Json.decode(br#"{"StreamARN":"a","MaxRecordSizeInKiB":2048}"#).unwrap();
        assert_eq!(i.max_record_size_in_kib, Some(2048));
        let i: SubscribeToShardInput = Protocol::Json
            .decode(br#"{"ConsumerARN":"c","ShardId":"s","StartingPosition":{"Type":"LATEST"}}"#)
            .unwrap();
        assert_eq!(i.starting_position.unwrap().kind.as_deref(), Some("LATEST"));
        let i: PutResourcePolicyInput = Protocol::Json.decode(br#"{"ResourceARN":"r","Policy":"{}"}"#).unwrap();
        assert_eq!(i.resource_arn.as_deref(), Some("r"));
    }

    #[test]
    fn encodes_outputs_as_the_model_names_them() {
        let out = UpdateStreamWarmThroughputOutput {
            stream_arn: "a".into(),
            stream_name: "s".into(),
            warm_throughput: crate::shapes::WarmThroughputOut { target_mi_bps: 10, current_mi_bps: 4 },
        };
        assert_eq!(
            String::from_utf8(Protocol::Json.encode(&out)).unwrap(),
            r#"{"StreamARN":"a","StreamName":"s","WarmThroughput":{"TargetMiBps":10,"CurrentMiBps":4}}"#
        );
        let out = AccountSettingsOutput {
            minimum_throughput_billing_commitment: CommitmentOut {
                status: "DISABLED",
                started_at: None,
                ended_at: None,
                earliest_allowed_end_at: None,
            },
        };
        assert_eq!(
            String::from_utf8(Protocol::Json.encode(&out)).unwrap(),
            r#"{"MinimumThroughputBillingCommitment":{"Status":"DISABLED"}}"#
        );
    }
}
