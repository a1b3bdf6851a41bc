//! The PutRecords request body, in CBOR 1.1 or AWS JSON 1.1, written by the producer instead
//! of the SDK.
//!
//! A 5 MiB call is most of what the producer spends outside its own bookkeeping: the SDK builds
//! an entry object per record, then grows one string for the whole body by doubling (each
//! doubling a fresh huge allocation the kernel must zero). Here the body is written once into
//! a buffer sized up front and handed to the SDK as the request's bytes; the SDK still signs,
//! sends, times out and parses the answer. CBOR (see [`crate::cbor`]) carries the data as it
//! is; JSON as base64, written straight into place.

use crate::sender::Entry;
use bytes::Bytes;
use std::io::Write;

/// Room for what a JSON string may grow by when escaped (a control character becomes six
/// bytes); a key that needs more only makes the buffer grow once.
const ESCAPE_SLACK: usize = 16;

/// `{"StreamName":…,"Records":[{"Data":…,"PartitionKey":…,"ExplicitHashKey":…},…]}`
pub(crate) fn put_records(stream: &str, entries: &[Entry]) -> Bytes {
    let b64 = base64_simd::STANDARD;
    let size = 64
        + stream.len()
        + entries
            .iter()
            .map(|e| {
                48 + b64.encoded_length(e.data.len())
                    + e.partition_key.len()
                    + e.explicit_hash_key.as_ref().map_or(0, |k| 24 + k.len())
                    + ESCAPE_SLACK
            })
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(br#"{"StreamName":"#);
    string(&mut out, stream);
    out.extend_from_slice(br#","Records":["#);
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"Data":""#);
        b64.encode_append(&e.data, &mut out);
        out.extend_from_slice(br#"","PartitionKey":"#);
        string(&mut out, &e.partition_key);
        if let Some(k) = &e.explicit_hash_key {
            out.extend_from_slice(br#","ExplicitHashKey":"#);
            string(&mut out, k);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

/// `{"StreamName":…,"Records":[{"Data":…,"PartitionKey":…,"ExplicitHashKey":…},…]}` in CBOR:
/// the data as byte strings.
pub(crate) fn put_records_cbor(stream: &str, entries: &[Entry]) -> Bytes {
    use ciborium_ll::{Encoder, Header};
    let size = 32
        + stream.len()
        + entries
            .iter()
            .map(|e| {
                48 + e.data.len() + e.partition_key.len() + e.explicit_hash_key.as_ref().map_or(0, |k| 24 + k.len())
            })
            .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    let mut cbor = Encoder::from(&mut out);
    // Writing into a Vec cannot fail.
    let _ = (|| -> std::io::Result<()> {
        cbor.push(Header::Map(Some(2)))?;
        cbor.text("StreamName", None)?;
        cbor.text(stream, None)?;
        cbor.text("Records", None)?;
        cbor.push(Header::Array(Some(entries.len())))?;
        for e in entries {
            cbor.push(Header::Map(Some(if e.explicit_hash_key.is_some() { 3 } else { 2 })))?;
            cbor.text("Data", None)?;
            cbor.bytes(&e.data, None)?;
            cbor.text("PartitionKey", None)?;
            cbor.text(&e.partition_key, None)?;
            if let Some(k) = &e.explicit_hash_key {
                cbor.text("ExplicitHashKey", None)?;
                cbor.text(k, None)?;
            }
        }
        Ok(())
    })();
    Bytes::from(out)
}

/// A JSON string, escaped as serde_json escapes (the common case, nothing to escape, is one
/// copy).
fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(out.by_ref(), s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use riffle_proto::shapes::PutRecordsInput;

    fn entry(key: &str, ehk: Option<&str>, data: &[u8]) -> Entry {
        Entry {
            partition_key: key.to_string(),
            explicit_hash_key: ehk.map(str::to_string),
            data: Bytes::copy_from_slice(data),
        }
    }

    /// What the SDK's serializer would send, built with serde_json.
    fn reference(stream: &str, entries: &[Entry]) -> serde_json::Value {
        use base64::Engine;
        let records: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                let mut r = serde_json::json!({
                    "Data": base64::engine::general_purpose::STANDARD.encode(&e.data),
                    "PartitionKey": e.partition_key,
                });
                if let Some(k) = &e.explicit_hash_key {
                    r["ExplicitHashKey"] = k.clone().into();
                }
                r
            })
            .collect();
        serde_json::json!({ "StreamName": stream, "Records": records })
    }

    #[test]
    fn a_body_with_escapes_and_hash_keys_parses_to_the_request() {
        let entries = [
            entry("plain", None, b"hello"),
            entry(
                "quote\" back\\slash \u{1} tab\t ключ 😀",
                Some("340282366920938463463374607431768211455"),
                &[0, 255, 7],
            ),
            entry("k", None, b""),
        ];
        let body = put_records("my-stream", &entries);
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed, reference("my-stream", &entries));
    }

    /// What the server reads from a body: the request the SDK would have sent.
    fn decoded(body: &[u8], protocol: riffle_proto::Protocol) -> serde_json::Value {
        let input: PutRecordsInput = protocol.decode(body).unwrap();
        let records = input.records.unwrap();
        let records: Vec<serde_json::Value> = records
            .into_iter()
            .map(|r| {
                use base64::Engine;
                let mut v = serde_json::json!({
                    "Data": base64::engine::general_purpose::STANDARD.encode(r.data.unwrap().0),
                    "PartitionKey": r.partition_key.unwrap(),
                });
                if let Some(k) = r.explicit_hash_key {
                    v["ExplicitHashKey"] = k.into();
                }
                v
            })
            .collect();
        serde_json::json!({ "StreamName": input.stream_name.unwrap(), "Records": records })
    }

    #[test]
    fn a_cbor_body_says_what_the_json_body_says() {
        let entries = [
            entry("plain", None, b"hello"),
            entry("ключ 😀", Some("340282366920938463463374607431768211455"), &[0, 255, 7]),
        ];
        let body = put_records_cbor("my-stream", &entries);
        assert_eq!(decoded(&body, riffle_proto::Protocol::Cbor), reference("my-stream", &entries));
        assert!(riffle_proto::put_records_cbor::decode(&body).is_some(), "the server's fast path reads it");
    }

    /// Any stream name and up to 20 entries of any keys, hash keys and data.
    fn requests() -> impl Strategy<Value = (String, Vec<Entry>)> {
        let key = any::<String>().prop_filter("1..=256 chars", |k| (1..=256).contains(&k.chars().count()));
        let record = (key, proptest::option::of("[0-9]{1,39}"), proptest::collection::vec(any::<u8>(), 0..300));
        ("[a-zA-Z0-9_.-]{1,128}", proptest::collection::vec(record, 0..20))
            .prop_map(|(stream, records)| (stream, records.iter().map(|(k, h, d)| entry(k, h.as_deref(), d)).collect()))
    }

    proptest! {
        /// Whatever the keys and data, the CBOR body decodes (through serde and through the
        /// server's fast path alike) to exactly the request.
        #[test]
        fn cbor_bodies_decode_to_what_was_asked((stream, entries) in requests()) {
            let body = put_records_cbor(&stream, &entries);
            prop_assert_eq!(decoded(&body, riffle_proto::Protocol::Cbor), reference(&stream, &entries));
            let fast = riffle_proto::put_records_cbor::decode(&body);
            prop_assert_eq!(fast.as_ref(), Some(&riffle_proto::Protocol::Cbor.decode::<PutRecordsInput>(&body).unwrap()));
        }

        /// Whatever the keys and data, the body is valid JSON that says exactly the request.
        #[test]
        fn bodies_parse_to_what_was_asked((stream, entries) in requests()) {
            let body = put_records(&stream, &entries);
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            prop_assert_eq!(parsed, reference(&stream, &entries));
        }
    }
}
