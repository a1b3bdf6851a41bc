//! The PutRecords request body (AWS JSON 1.1), written by the producer instead of the SDK.
//!
//! A 5 MiB call is most of what the producer spends outside its own bookkeeping: the SDK builds
//! an entry object per record, then grows one string for the whole body by doubling (each
//! doubling a fresh huge allocation the kernel must zero). Here the body is written once into
//! a buffer sized up front, base64 straight into place, and handed to the SDK as the request's
//! bytes; the SDK still signs, sends, times out and parses the answer.

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

    proptest! {
        /// Whatever the keys and data, the body is valid JSON that says exactly the request.
        #[test]
        fn bodies_parse_to_what_was_asked(
            stream in "[a-zA-Z0-9_.-]{1,128}",
            records in proptest::collection::vec(
                (any::<String>().prop_filter("1..=256 chars", |k| (1..=256).contains(&k.chars().count())),
                 proptest::option::of("[0-9]{1,39}"),
                 proptest::collection::vec(any::<u8>(), 0..300)),
                0..20),
        ) {
            let entries: Vec<Entry> = records.iter().map(|(k, h, d)| entry(k, h.as_deref(), d)).collect();
            let body = put_records(&stream, &entries);
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            prop_assert_eq!(parsed, reference(&stream, &entries));
        }
    }
}
