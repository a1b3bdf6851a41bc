//! The KPL aggregation format: many user records packed into one Kinesis record.
//!
//! An aggregate is `F3 89 9A C2` ‖ protobuf `AggregatedRecord` ‖ MD5 of the protobuf bytes. The
//! producer packs user records that it predicts land on one shard; consumers unpack them, giving
//! each the outer record's sequence number and its index as sub-sequence number. Anything that is
//! not a well-formed aggregate is an ordinary record, passed through whole (as the KCL does).
//!
//! The protobuf shapes are proto2 with `required` fields, so indexes of 0 are written out: other
//! implementations (the KPL, `aws-kinesis-agg`) refuse messages that omit required fields.

use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};
use std::collections::HashMap;

/// The four bytes every aggregate starts with.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
/// The MD5 trailer's length.
pub const DIGEST_LEN: usize = 16;
/// Magic and digest: what an empty aggregate costs.
pub const OVERHEAD: usize = MAGIC.len() + DIGEST_LEN;

/// The outer partition key the KPL gives aggregates; consumers never rely on it (routing uses
/// the explicit hash key of the first user record).
pub const AGGREGATE_PARTITION_KEY: &str = "a";

#[derive(Clone, PartialEq, Message)]
struct AggregatedRecord {
    #[prost(string, repeated, tag = "1")]
    partition_key_table: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    explicit_hash_key_table: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    records: Vec<Record>,
}

#[derive(Clone, PartialEq, Message)]
struct Record {
    #[prost(uint64, required, tag = "1")]
    partition_key_index: u64,
    #[prost(uint64, optional, tag = "2")]
    explicit_hash_key_index: Option<u64>,
    #[prost(bytes = "vec", required, tag = "3")]
    data: Vec<u8>,
    #[prost(message, repeated, tag = "4")]
    tags: Vec<Tag>,
}

/// Never written; parsed (and ignored) so aggregates that carry tags still decode.
#[derive(Clone, PartialEq, Message)]
struct Tag {
    #[prost(string, required, tag = "1")]
    key: String,
    #[prost(string, optional, tag = "2")]
    value: Option<String>,
}

/// One user record taken out of an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeaggregatedRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
    /// Position in the aggregate: with the outer sequence number, the record's identity.
    pub sub_sequence_number: u64,
}

/// Why bytes are not a usable aggregate. Every variant but [`AggError::NotAggregated`] means
/// the bytes claimed to be one (they start with the magic) and are damaged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AggError {
    #[error("not an aggregated record (no KPL magic, or too short)")]
    NotAggregated,
    #[error("aggregated record checksum does not match its contents")]
    Checksum,
    #[error("aggregated record does not parse: {0}")]
    Decode(String),
    #[error("user record {record} names {table} table entry {index}, which does not exist")]
    IndexOutOfRange { record: usize, table: &'static str, index: u64 },
}

/// Whether `data` is an aggregate: the magic, a protobuf body and a matching MD5 trailer.
pub fn is_aggregated(data: &[u8]) -> bool {
    body(data).is_ok()
}

fn body(data: &[u8]) -> Result<&[u8], AggError> {
    if data.len() <= OVERHEAD || data[..MAGIC.len()] != MAGIC {
        return Err(AggError::NotAggregated);
    }
    let (body, digest) = data[MAGIC.len()..].split_at(data.len() - OVERHEAD);
    if md5_many::md5(body).as_slice() != digest {
        return Err(AggError::Checksum);
    }
    Ok(body)
}

/// Unpacks an aggregate into its user records, in order.
pub fn deaggregate(data: &[u8]) -> Result<Vec<DeaggregatedRecord>, AggError> {
    let msg = AggregatedRecord::decode(body(data)?).map_err(|e| AggError::Decode(e.to_string()))?;
    let lookup = |table: &[String], name: &'static str, record: usize, index: u64| {
        usize::try_from(index).ok().and_then(|i| table.get(i)).cloned().ok_or(AggError::IndexOutOfRange {
            record,
            table: name,
            index,
        })
    };
    msg.records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(DeaggregatedRecord {
                partition_key: lookup(&msg.partition_key_table, "partition key", i, r.partition_key_index)?,
                explicit_hash_key: r
                    .explicit_hash_key_index
                    .map(|x| lookup(&msg.explicit_hash_key_table, "explicit hash key", i, x))
                    .transpose()?,
                data: r.data,
                sub_sequence_number: i as u64,
            })
        })
        .collect()
}

/// Builds one aggregate, knowing its exact encoded size at every step, so a producer can stop
/// before a size limit rather than discover it after encoding.
///
/// Each record is encoded as it is pushed, into the bytes of its protobuf field (the key tables
/// and the records kept apart, as the message orders its fields), so a producer's hot path
/// copies each record's data once and allocates only for a partition key not seen before;
/// `finish` then joins the three parts. The bytes are exactly what encoding the message whole
/// gives (a test holds it to that).
#[derive(Debug, Default)]
pub struct AggregateBuilder {
    partition_keys: HashMap<String, u64>,
    hash_keys: HashMap<String, u64>,
    /// Encoded `partition_key_table` entries (field 1).
    partition_key_table: Vec<u8>,
    /// Encoded `explicit_hash_key_table` entries (field 2).
    hash_key_table: Vec<u8>,
    /// Encoded `records` entries (field 3).
    records: Vec<u8>,
    count: usize,
    body_len: usize,
}

fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

/// Appends a length-delimited field: key, length, bytes.
fn put_bytes_field(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn put_varint_field(tag: u32, value: u64, out: &mut Vec<u8>) {
    encode_key(tag, WireType::Varint, out);
    encode_varint(value, out);
}

/// The index of `key` in a table, adding it (to the index and the encoded table) if new.
fn table_index(index: &mut HashMap<String, u64>, table: &mut Vec<u8>, tag: u32, key: &str) -> u64 {
    if let Some(&i) = index.get(key) {
        return i;
    }
    let i = index.len() as u64;
    put_bytes_field(tag, key.as_bytes(), table);
    index.insert(key.to_string(), i);
    i
}

impl AggregateBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// User records added so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes [`AggregateBuilder::finish`] would return now (magic and trailer included).
    pub fn encoded_len(&self) -> usize {
        OVERHEAD + self.body_len
    }

    /// What the aggregate's size would be with one more user record.
    pub fn encoded_len_with(&self, partition_key: &str, explicit_hash_key: Option<&str>, data_len: usize) -> usize {
        self.encoded_len() + self.growth(partition_key, explicit_hash_key, data_len)
    }

    fn growth(&self, partition_key: &str, explicit_hash_key: Option<&str>, data_len: usize) -> usize {
        let mut grow = 0;
        let pk_index = match self.partition_keys.get(partition_key) {
            Some(&i) => i,
            None => {
                grow += field_len(partition_key.len());
                self.partition_keys.len() as u64
            }
        };
        let mut inner = 1 + encoded_len_varint(pk_index) + field_len(data_len);
        if let Some(ehk) = explicit_hash_key {
            let ehk_index = match self.hash_keys.get(ehk) {
                Some(&i) => i,
                None => {
                    grow += field_len(ehk.len());
                    self.hash_keys.len() as u64
                }
            };
            inner += 1 + encoded_len_varint(ehk_index);
        }
        grow + field_len(inner)
    }

    /// Adds one user record.
    pub fn push(&mut self, partition_key: &str, explicit_hash_key: Option<&str>, data: &[u8]) {
        let before = self.partition_key_table.len() + self.hash_key_table.len() + self.records.len();
        let pk_index = table_index(&mut self.partition_keys, &mut self.partition_key_table, 1, partition_key);
        let ehk_index = explicit_hash_key.map(|k| table_index(&mut self.hash_keys, &mut self.hash_key_table, 2, k));
        // Record { 1: partition_key_index (required), 2: explicit_hash_key_index, 3: data }.
        let mut inner = 1 + encoded_len_varint(pk_index) + field_len(data.len());
        if let Some(i) = ehk_index {
            inner += 1 + encoded_len_varint(i);
        }
        let out = &mut self.records;
        encode_key(3, WireType::LengthDelimited, out);
        encode_varint(inner as u64, out);
        put_varint_field(1, pk_index, out);
        if let Some(i) = ehk_index {
            put_varint_field(2, i, out);
        }
        put_bytes_field(3, data, out);
        self.count += 1;
        self.body_len += self.partition_key_table.len() + self.hash_key_table.len() + self.records.len() - before;
    }

    /// The aggregate's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.partition_key_table);
        out.extend_from_slice(&self.hash_key_table);
        out.extend_from_slice(&self.records);
        let digest = md5_many::md5(&out[MAGIC.len()..]);
        out.extend_from_slice(&digest);
        out
    }
}

/// Packs `(partition key, explicit hash key, data)` triples into one aggregate.
pub fn aggregate<'a>(records: impl IntoIterator<Item = (&'a str, Option<&'a str>, &'a [u8])>) -> Vec<u8> {
    let mut b = AggregateBuilder::new();
    for (pk, ehk, data) in records {
        b.push(pk, ehk, data);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_with_shared_keys() {
        let bytes =
            aggregate([("a", None, &b"one"[..]), ("b", Some("17"), &b""[..]), ("a", Some("17"), &b"three"[..])]);
        assert_eq!(bytes[..4], MAGIC);
        let out = deaggregate(&bytes).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[1].partition_key, "b");
        assert_eq!(out[2].explicit_hash_key.as_deref(), Some("17"));
        assert_eq!(out[2].data, b"three");
        assert_eq!(out.iter().map(|r| r.sub_sequence_number).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn index_zero_is_written_as_proto2_requires() {
        let bytes = aggregate([("k", None, &b"x"[..])]);
        // table entry "k", then record { 08 00 (index 0) 1A 01 'x' }
        assert_eq!(&bytes[4..bytes.len() - 16], &[0x0A, 1, b'k', 0x1A, 5, 0x08, 0x00, 0x1A, 1, b'x']);
    }

    #[test]
    fn damaged_or_foreign_bytes_are_told_apart() {
        assert_eq!(deaggregate(b"plain record"), Err(AggError::NotAggregated));
        assert_eq!(deaggregate(&MAGIC), Err(AggError::NotAggregated));
        let mut bytes = aggregate([("k", None, &b"data"[..])]);
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        assert_eq!(deaggregate(&bytes), Err(AggError::Checksum));
        assert!(!is_aggregated(&bytes));
        // A well-formed frame around a record pointing past the table.
        let mut body = Vec::new();
        AggregatedRecord {
            records: vec![Record { partition_key_index: 3, ..Default::default() }],
            ..Default::default()
        }
        .encode(&mut body)
        .unwrap();
        let framed = [&MAGIC[..], &body, md5_many::md5(&body).as_slice()].concat();
        assert!(matches!(deaggregate(&framed), Err(AggError::IndexOutOfRange { index: 3, .. })));
    }

    /// The message built whole and encoded by prost, as the builder's bytes must be.
    fn encode_whole(records: &[(String, Option<String>, Vec<u8>)]) -> Vec<u8> {
        let mut msg = AggregatedRecord::default();
        let index = |table: &mut Vec<String>, k: &str| match table.iter().position(|t| t == k) {
            Some(i) => i as u64,
            None => {
                table.push(k.to_string());
                table.len() as u64 - 1
            }
        };
        for (pk, ehk, data) in records {
            let partition_key_index = index(&mut msg.partition_key_table, pk);
            let explicit_hash_key_index = ehk.as_deref().map(|k| index(&mut msg.explicit_hash_key_table, k));
            msg.records.push(Record { partition_key_index, explicit_hash_key_index, data: data.clone(), tags: vec![] });
        }
        msg.encode_to_vec()
    }

    fn user_records() -> impl Strategy<Value = Vec<(String, Option<String>, Vec<u8>)>> {
        let key = prop_oneof!["[a-c]", "\\PC{1,40}"];
        let ehk = proptest::option::of(prop_oneof![Just("0".to_string()), any::<u128>().prop_map(|k| k.to_string())]);
        proptest::collection::vec((key, ehk, proptest::collection::vec(any::<u8>(), 0..300)), 0..60)
    }

    proptest! {
        #[test]
        fn aggregation_round_trips_exactly(records in user_records()) {
            let mut b = AggregateBuilder::new();
            for (pk, ehk, data) in &records {
                let predicted = b.encoded_len_with(pk, ehk.as_deref(), data.len());
                b.push(pk, ehk.as_deref(), data);
                prop_assert_eq!(b.encoded_len(), predicted);
            }
            let expected_len = b.encoded_len();
            let bytes = b.finish();
            prop_assert_eq!(&bytes[MAGIC.len()..bytes.len() - DIGEST_LEN], &encode_whole(&records)[..]);
            prop_assert_eq!(bytes.len(), expected_len, "size bookkeeping is exact");
            let out = deaggregate(&bytes);
            if records.is_empty() {
                // magic + empty body + digest: nothing between them, so not an aggregate
                prop_assert_eq!(out, Err(AggError::NotAggregated));
            } else {
                let out = out.unwrap();
                prop_assert_eq!(out.len(), records.len());
                for (i, (got, (pk, ehk, data))) in out.iter().zip(&records).enumerate() {
                    prop_assert_eq!(&got.partition_key, pk);
                    prop_assert_eq!(&got.explicit_hash_key, ehk);
                    prop_assert_eq!(&got.data, data);
                    prop_assert_eq!(got.sub_sequence_number, i as u64);
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = deaggregate(&data);
            let framed = [&MAGIC[..], &data, md5_many::md5(&data).as_slice()].concat();
            let _ = deaggregate(&framed);
        }
    }
}
