//! The client side of the few JSON 1.1 shapes the load tool uses: the operation names and the
//! request bodies (encoded once, up front, where the workload allows). Response parsing lives in
//! `parse`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::json;

mod fanout;
mod parse;

pub(crate) use fanout::*;
pub(crate) use parse::*;

/// Anything the client can send: names its `X-Amz-Target`. [`Op`] holds the operations the null
/// server answers too; [`FanOp`] the enhanced fan-out ones, which it does not serve.
pub(crate) trait Operation: Copy + std::fmt::Debug {
    /// The full `X-Amz-Target` value.
    fn target_str(self) -> &'static str;
}

impl Operation for Op {
    fn target_str(self) -> &'static str {
        Op::target_str(self)
    }
}

/// The operations the tool sends (and the null server answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    CreateStream,
    DescribeStream,
    DescribeStreamSummary,
    ListShards,
    GetShardIterator,
    GetRecords,
    PutRecord,
    PutRecords,
}

impl Op {
    const ALL: [Op; 8] = [
        Op::CreateStream,
        Op::DescribeStream,
        Op::DescribeStreamSummary,
        Op::ListShards,
        Op::GetShardIterator,
        Op::GetRecords,
        Op::PutRecord,
        Op::PutRecords,
    ];

    /// The full `X-Amz-Target` value.
    pub fn target_str(self) -> &'static str {
        match self {
            Op::CreateStream => "Kinesis_20131202.CreateStream",
            Op::DescribeStream => "Kinesis_20131202.DescribeStream",
            Op::DescribeStreamSummary => "Kinesis_20131202.DescribeStreamSummary",
            Op::ListShards => "Kinesis_20131202.ListShards",
            Op::GetShardIterator => "Kinesis_20131202.GetShardIterator",
            Op::GetRecords => "Kinesis_20131202.GetRecords",
            Op::PutRecord => "Kinesis_20131202.PutRecord",
            Op::PutRecords => "Kinesis_20131202.PutRecords",
        }
    }

    /// Inverse of [`Op::target_str`]; `None` for any operation the tool does not use.
    pub fn from_target(target: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.target_str() == target)
    }
}

/// One record to be encoded into a put body.
#[derive(Debug, Clone)]
pub(crate) struct RecordSpec {
    pub partition_key: String,
    pub data: Vec<u8>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordIn<'a> {
    data: String,
    partition_key: &'a str,
}

fn encode(v: &impl serde::Serialize) -> Bytes {
    Bytes::from(serde_json::to_vec(v).expect("request shapes always serialise"))
}

fn record_in(r: &RecordSpec) -> RecordIn<'_> {
    RecordIn { data: STANDARD.encode(&r.data), partition_key: &r.partition_key }
}

pub(crate) fn put_records_body(stream: &str, records: &[RecordSpec]) -> Bytes {
    let records: Vec<RecordIn<'_>> = records.iter().map(record_in).collect();
    encode(&json!({ "StreamName": stream, "Records": records }))
}

pub(crate) fn put_record_body(stream: &str, record: &RecordSpec) -> Bytes {
    let r = record_in(record);
    encode(&json!({ "StreamName": stream, "Data": r.data, "PartitionKey": r.partition_key }))
}

pub(crate) fn create_stream_body(stream: &str, shards: u32) -> Bytes {
    encode(&json!({ "StreamName": stream, "ShardCount": shards }))
}

pub(crate) fn stream_name_body(stream: &str) -> Bytes {
    encode(&json!({ "StreamName": stream }))
}

pub(crate) fn describe_stream_body(stream: &str, exclusive_start: Option<&str>) -> Bytes {
    match exclusive_start {
        Some(s) => encode(&json!({ "StreamName": stream, "ExclusiveStartShardId": s })),
        None => stream_name_body(stream),
    }
}

/// ListShards forbids StreamName together with NextToken, so a follow-up page sends the token only.
pub(crate) fn list_shards_body(stream: &str, next_token: Option<&str>) -> Bytes {
    match next_token {
        Some(t) => encode(&json!({ "NextToken": t })),
        None => stream_name_body(stream),
    }
}

pub(crate) fn trim_horizon_iterator_body(stream: &str, shard_id: &str) -> Bytes {
    encode(&json!({
        "StreamName": stream,
        "ShardId": shard_id,
        "ShardIteratorType": "TRIM_HORIZON",
    }))
}

pub(crate) fn get_records_body(iterator: &str, limit: u32) -> Bytes {
    encode(&json!({ "ShardIterator": iterator, "Limit": limit }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(pk: &str, data: &[u8]) -> RecordSpec {
        RecordSpec { partition_key: pk.into(), data: data.to_vec() }
    }

    #[test]
    fn targets_round_trip() {
        for op in Op::ALL {
            assert_eq!(Op::from_target(op.target_str()), Some(op));
        }
        assert_eq!(Op::from_target("Kinesis_20131202.SplitShard"), None);
    }

    #[test]
    fn put_records_body_is_json_11_with_base64() {
        let body = put_records_body("s1", &[rec("a", b"hello"), rec("b", b"")]);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["StreamName"], "s1");
        assert_eq!(v["Records"][0]["Data"], "aGVsbG8=");
        assert_eq!(v["Records"][0]["PartitionKey"], "a");
        assert_eq!(v["Records"][1]["Data"], "");
        let body = put_record_body("s1", &rec("k", b"hi"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((v["Data"].as_str(), v["PartitionKey"].as_str()), (Some("aGk="), Some("k")));
    }

    #[test]
    fn list_shards_never_sends_name_with_token() {
        let v: serde_json::Value = serde_json::from_slice(&list_shards_body("s", Some("t"))).unwrap();
        assert_eq!(v, json!({"NextToken": "t"}));
    }
}
