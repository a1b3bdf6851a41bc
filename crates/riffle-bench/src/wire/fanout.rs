//! The enhanced fan-out shapes `bench fanout` uses: consumer registration, SubscribeToShard's
//! request, the payload of its events, and the tag the bench writes at the start of each record
//! so a delivered record can be matched to the put that acknowledged it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;

use super::parse::{RecordData, data_bytes, parse};
use super::{Op, Operation, encode};
use crate::CallError;

/// Enhanced fan-out operations. Kept apart from [`Op`] because the null server answers every
/// `Op` and has no fan-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FanOp {
    RegisterStreamConsumer,
    DescribeStreamConsumer,
    DeregisterStreamConsumer,
    SubscribeToShard,
}

impl Operation for FanOp {
    fn target_str(self) -> &'static str {
        match self {
            FanOp::RegisterStreamConsumer => "Kinesis_20131202.RegisterStreamConsumer",
            FanOp::DescribeStreamConsumer => "Kinesis_20131202.DescribeStreamConsumer",
            FanOp::DeregisterStreamConsumer => "Kinesis_20131202.DeregisterStreamConsumer",
            FanOp::SubscribeToShard => "Kinesis_20131202.SubscribeToShard",
        }
    }
}

/// Where a subscription starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Position {
    Latest,
    TrimHorizon,
    /// Resuming after the ContinuationSequenceNumber of the previous subscription.
    After(String),
}

pub(crate) fn register_consumer_body(stream_arn: &str, name: &str) -> Bytes {
    encode(&json!({ "StreamARN": stream_arn, "ConsumerName": name }))
}

/// The body of DescribeStreamConsumer and DeregisterStreamConsumer.
pub(crate) fn consumer_arn_body(consumer_arn: &str) -> Bytes {
    encode(&json!({ "ConsumerARN": consumer_arn }))
}

pub(crate) fn subscribe_body(consumer_arn: &str, shard_id: &str, from: &Position) -> Bytes {
    let position = match from {
        Position::Latest => json!({ "Type": "LATEST" }),
        Position::TrimHorizon => json!({ "Type": "TRIM_HORIZON" }),
        Position::After(seq) => json!({ "Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq }),
    };
    encode(&json!({ "ConsumerARN": consumer_arn, "ShardId": shard_id, "StartingPosition": position }))
}

/// StreamARN from a DescribeStreamSummary (or, with `op = DescribeStream`, a DescribeStream)
/// response.
pub(crate) fn stream_arn(op: Op, body: &[u8]) -> Result<String, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Desc {
        #[serde(rename = "StreamARN")]
        stream_arn: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        #[serde(alias = "StreamDescription")]
        stream_description_summary: Desc,
    }
    parse::<Out>(op, body)?
        .stream_description_summary
        .stream_arn
        .ok_or_else(|| CallError::Malformed(format!("{op:?}: no StreamARN")))
}

/// A consumer as RegisterStreamConsumer (`Consumer`) and DescribeStreamConsumer
/// (`ConsumerDescription`) describe it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ConsumerOut {
    pub arn: String,
    pub status: String,
}

pub(crate) fn consumer(op: FanOp, body: &[u8]) -> Result<ConsumerOut, CallError> {
    #[derive(Deserialize)]
    struct Desc {
        #[serde(rename = "ConsumerARN")]
        arn: String,
        #[serde(rename = "ConsumerStatus")]
        status: String,
    }
    #[derive(Deserialize)]
    struct Out {
        #[serde(rename = "Consumer", alias = "ConsumerDescription")]
        consumer: Desc,
    }
    let c = parse::<Out>(op, body)?.consumer;
    Ok(ConsumerOut { arn: c.arn, status: c.status })
}

/// What the bench writes in the first [`Tag::LEN`] bytes of a record's data: which run (and
/// phase) wrote it and its number in that phase, so a delivered record names its put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag {
    pub nonce: u64,
    pub id: u64,
}

impl Tag {
    pub const LEN: usize = 16;
    /// Base64 characters covering the tag: 24 characters decode to 18 bytes (16 with padding).
    const B64_LEN: usize = 24;

    /// Writes the tag over the start of `data`, which must hold at least [`Tag::LEN`] bytes.
    pub fn write(self, data: &mut [u8]) {
        data[..8].copy_from_slice(&self.nonce.to_be_bytes());
        data[8..Self::LEN].copy_from_slice(&self.id.to_be_bytes());
    }

    /// The tag at the start of base64 `data`, decoding only its first characters; `None` for
    /// records too short to carry one (written by someone else).
    pub fn from_base64(data: &str) -> Option<Tag> {
        let prefix = data.get(..Self::B64_LEN)?;
        let mut out = [0u8; 18];
        let n = STANDARD.decode_slice(prefix, &mut out).ok()?;
        if n < Self::LEN {
            return None;
        }
        let word = |at: usize| u64::from_be_bytes(out[at..at + 8].try_into().expect("8 bytes"));
        Some(Tag { nonce: word(0), id: word(8) })
    }
}

/// What one SubscribeToShardEvent brings the bench.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EventSummary {
    /// Tags of the records that carry one.
    pub tags: Vec<Tag>,
    pub records: u64,
    /// Decoded data bytes, from the base64 lengths.
    pub bytes: u64,
    pub continuation: Option<String>,
    /// No continuation: the shard is closed and drained (ChildShards follow), nothing more comes.
    pub shard_end: bool,
}

/// Parses the JSON payload of a `SubscribeToShardEvent` event.
pub(crate) fn subscribe_event(payload: &[u8]) -> Result<EventSummary, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out<'a> {
        #[serde(borrow, default)]
        records: Vec<RecordData<'a>>,
        continuation_sequence_number: Option<String>,
        #[serde(default)]
        child_shards: Option<Vec<IgnoredAny>>,
    }
    let out: Out<'_> = parse(FanOp::SubscribeToShard, payload)?;
    let has_children = out.child_shards.is_some_and(|c| !c.is_empty());
    Ok(EventSummary {
        tags: out.records.iter().filter_map(|r| Tag::from_base64(&r.data)).collect(),
        records: out.records.len() as u64,
        bytes: data_bytes(&out.records),
        shard_end: out.continuation_sequence_number.is_none() || has_children,
        continuation: out.continuation_sequence_number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_survive_base64_at_every_size() {
        let tag = Tag { nonce: 0x0123_4567_89ab_cdef, id: 42 };
        for size in Tag::LEN..Tag::LEN + 5 {
            let mut data = vec![0xA5u8; size];
            tag.write(&mut data);
            assert_eq!(Tag::from_base64(&STANDARD.encode(&data)), Some(tag), "size {size}");
        }
        assert_eq!(Tag::from_base64(&STANDARD.encode([1u8; 15])), None);
        assert_eq!(Tag::from_base64("!!!!!!!!!!!!!!!!!!!!!!!!!!!!"), None);
    }

    #[test]
    fn subscribe_event_payloads() {
        let mut data = vec![0u8; 20];
        Tag { nonce: 7, id: 9 }.write(&mut data);
        let payload = json!({
            "Records": [
                { "Data": STANDARD.encode(&data), "SequenceNumber": "1", "PartitionKey": "k" },
                { "Data": "aGk=", "SequenceNumber": "2", "PartitionKey": "k" },
            ],
            "ContinuationSequenceNumber": "2", "MillisBehindLatest": 0, "ChildShards": null,
        });
        let ev = subscribe_event(payload.to_string().as_bytes()).unwrap();
        assert_eq!(ev.tags, [Tag { nonce: 7, id: 9 }]);
        assert_eq!((ev.records, ev.bytes, ev.shard_end), (2, 22, false));
        assert_eq!(ev.continuation.as_deref(), Some("2"));

        let end = json!({ "Records": [], "MillisBehindLatest": 0, "ChildShards": [{ "ShardId": "x" }] });
        let ev = subscribe_event(end.to_string().as_bytes()).unwrap();
        assert!(ev.shard_end && ev.continuation.is_none());
    }

    #[test]
    fn request_bodies_and_consumers() {
        let v: serde_json::Value =
            serde_json::from_slice(&subscribe_body("arn:c", "shardId-0", &Position::After("5".into()))).unwrap();
        assert_eq!(v["StartingPosition"], json!({ "Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "5" }));
        assert_eq!(v["ConsumerARN"], "arn:c");
        let reg = br#"{"Consumer":{"ConsumerARN":"arn:c","ConsumerName":"n","ConsumerStatus":"CREATING"}}"#;
        let c = consumer(FanOp::RegisterStreamConsumer, reg).unwrap();
        assert_eq!((c.arn.as_str(), c.status.as_str()), ("arn:c", "CREATING"));
        let desc = br#"{"ConsumerDescription":{"ConsumerARN":"arn:c","ConsumerStatus":"ACTIVE","StreamARN":"s"}}"#;
        assert_eq!(consumer(FanOp::DescribeStreamConsumer, desc).unwrap().status, "ACTIVE");
        let sum = br#"{"StreamDescriptionSummary":{"StreamARN":"arn:s","StreamStatus":"ACTIVE"}}"#;
        assert_eq!(stream_arn(Op::DescribeStreamSummary, sum).unwrap(), "arn:s");
    }
}
