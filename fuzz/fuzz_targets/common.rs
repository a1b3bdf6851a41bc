//! Decodes `data` as every request shape: any input must give a value or an error, never a panic.

use riffle_proto::Protocol;
use riffle_proto::shapes::*;

pub fn decode_all(proto: Protocol, data: &[u8]) {
    let _ = proto.decode::<CreateStreamInput>(data);
    let _ = proto.decode::<DeleteStreamInput>(data);
    let _ = proto.decode::<DescribeStreamInput>(data);
    let _ = proto.decode::<ListStreamsInput>(data);
    let _ = proto.decode::<ListShardsInput>(data);
    let _ = proto.decode::<AddTagsInput>(data);
    let _ = proto.decode::<RemoveTagsInput>(data);
    let _ = proto.decode::<ListTagsInput>(data);
    let _ = proto.decode::<RetentionInput>(data);
    let _ = proto.decode::<PutRecordInput>(data);
    let _ = proto.decode::<GetShardIteratorInput>(data);
    let _ = proto.decode::<GetRecordsInput>(data);
    let fast = match proto {
        Protocol::Json => riffle_proto::put_records_json::decode(data),
        Protocol::Cbor => riffle_proto::put_records_cbor::decode(&bytes::Bytes::copy_from_slice(data)),
    };
    let slow = proto.decode::<PutRecordsInput>(data);
    if let Some(fast) = fast {
        // The fast path answers only where serde agrees with it exactly.
        assert_eq!(Some(&fast), slow.as_ref().ok(), "fast PutRecords decode differs from serde");
    }
    if let Ok(p) = slow {
        // Whatever decodes must encode again without panicking.
        let n = p.records.map_or(0, |r| r.len());
        let _ = proto.encode(&ListShardsOutput { shards: Vec::new(), next_token: Some(n.to_string()) });
    }
}
