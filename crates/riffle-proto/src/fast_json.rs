//! Hand-written JSON for the two answers that dominate traffic: PutRecords and GetRecords.
//!
//! Each writes exactly the bytes serde_json would (the tests hold them to that) but skips the
//! per-string escape scan where the content is known to be plain ASCII — sequence numbers,
//! shard ids, base64 — and encodes base64 straight into the output buffer.

use crate::shapes::{GetRecordsOutput, PutRecordsOutput};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Appends `"name":` after `{` for the first member of an object, `,` for the rest.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn name(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A member whose value is ASCII that needs no escaping.
    fn plain(&mut self, name: &str, value: &[u8]) {
        let out = self.name(name);
        out.push(b'"');
        out.extend_from_slice(value);
        out.push(b'"');
    }

    /// A member written by serde_json (numbers, and strings that may need escaping).
    fn serde<T: serde::Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        serde_json::to_writer(&mut *self.name(name), value).expect("values serialize");
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn base64_into(out: &mut Vec<u8>, data: &[u8]) {
    let start = out.len();
    out.resize(start + base64::encoded_len(data.len(), true).expect("record sizes are small"), 0);
    let n = STANDARD.encode_slice(data, &mut out[start..]).expect("buffer sized for the encoding");
    out.truncate(start + n);
}

impl PutRecordsOutput {
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(80 + self.records.len() * 100);
        let mut top = Members::open(&mut out);
        top.serde("FailedRecordCount", &self.failed_record_count);
        let list = top.name("Records");
        list.push(b'[');
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                list.push(b',');
            }
            let mut m = Members::open(list);
            if let Some(seq) = r.sequence_number {
                m.plain("SequenceNumber", &seq.0.to_digits());
            }
            if let Some(id) = r.shard_id {
                m.plain("ShardId", &id.0.to_bytes());
            }
            if let Some(code) = &r.error_code {
                m.serde("ErrorCode", code);
            }
            if let Some(msg) = &r.error_message {
                m.serde("ErrorMessage", msg);
            }
            m.close();
        }
        list.push(b']');
        top.serde("EncryptionType", self.encryption_type);
        top.close();
        out
    }
}

impl GetRecordsOutput {
    pub fn to_json(&self) -> Vec<u8> {
        let payload: usize = self.records.iter().map(|r| r.data.0.len() * 4 / 3 + r.partition_key.0.len()).sum();
        let mut out = Vec::with_capacity(200 + payload + self.records.len() * 120);
        let mut top = Members::open(&mut out);
        let list = top.name("Records");
        list.push(b'[');
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                list.push(b',');
            }
            let mut m = Members::open(list);
            m.plain("SequenceNumber", &r.sequence_number.0.to_digits());
            r.approximate_arrival_timestamp.write_json(m.name("ApproximateArrivalTimestamp"));
            let data = m.name("Data");
            data.push(b'"');
            base64_into(data, &r.data.0);
            data.push(b'"');
            m.serde("PartitionKey", &*r.partition_key.as_str());
            if let Some(e) = r.encryption_type {
                m.serde("EncryptionType", e);
            }
            m.close();
        }
        list.push(b']');
        if let Some(it) = &self.next_shard_iterator {
            top.serde("NextShardIterator", it);
        }
        top.serde("MillisBehindLatest", &self.millis_behind_latest);
        if let Some(children) = &self.child_shards {
            top.serde("ChildShards", children);
        }
        top.close();
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::{Blob, Timestamp};
    use crate::shapes::*;
    use bytes::Bytes;
    use riffle_types::ShardKey;
    use riffle_types::{SequenceNumber, ShardId};

    #[test]
    fn put_records_json_matches_serde() {
        let ok = |c| PutRecordsResultEntry {
            sequence_number: Some(SeqOut(SequenceNumber::new(ShardKey::new(3, 1), c))),
            shard_id: Some(ShardIdOut(ShardId(1))),
            error_code: None,
            error_message: None,
        };
        let failed = PutRecordsResultEntry {
            sequence_number: None,
            shard_id: None,
            error_code: Some("ProvisionedThroughputExceededException".into()),
            error_message: Some("Rate exceeded for shard \"x\"\n".into()),
        };
        let empty =
            PutRecordsResultEntry { sequence_number: None, shard_id: None, error_code: None, error_message: None };
        for records in [vec![], vec![ok(1)], vec![ok(1), failed, ok(2), empty]] {
            let out = PutRecordsOutput { failed_record_count: 1, records, encryption_type: "NONE" };
            assert_eq!(String::from_utf8(out.to_json()).unwrap(), serde_json::to_string(&out).unwrap());
        }
    }

    #[test]
    fn get_records_json_matches_serde() {
        let rec = |c, data: &'static [u8], pk: &'static str, ts| RecordOut {
            sequence_number: SeqOut(SequenceNumber::new(ShardKey::new(9, 2), c)),
            approximate_arrival_timestamp: Timestamp(ts),
            data: Blob(Bytes::from_static(data)),
            partition_key: TextOut(Bytes::from_static(pk.as_bytes())),
            encryption_type: None,
        };
        let child = ChildShardOut {
            shard_id: "shardId-000000000003".into(),
            parent_shards: vec!["shardId-000000000002".into()],
            hash_key_range: HashKeyRangeOut { starting_hash_key: "0".into(), ending_hash_key: "9".into() },
        };
        let cases = [
            GetRecordsOutput {
                records: vec![],
                next_shard_iterator: Some("it".into()),
                millis_behind_latest: 0,
                child_shards: None,
            },
            GetRecordsOutput {
                records: vec![
                    rec(1, b"", "k", 1_459_799_926_480),
                    rec(2, b"\x00\xff\x10abc", "q\"uo\\te\u{e9}", 1_000),
                ],
                next_shard_iterator: None,
                millis_behind_latest: 1234,
                child_shards: Some(vec![child]),
            },
        ];
        for out in cases {
            assert_eq!(String::from_utf8(out.to_json()).unwrap(), serde_json::to_string(&out).unwrap());
        }
    }
}
