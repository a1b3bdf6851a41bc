use super::decode;
use crate::Protocol;
use crate::shapes::PutRecordsInput;
use proptest::prelude::*;

fn serde(body: &[u8]) -> Result<PutRecordsInput, crate::ApiError> {
    Protocol::Json.decode(body)
}

/// The fast path agrees with serde wherever it answers.
fn agrees(body: &[u8]) -> bool {
    match decode(body) {
        Some(fast) => {
            let slow = serde(body).unwrap_or_else(|e| panic!("fast path accepted what serde refuses: {e:?}"));
            assert_eq!(fast, slow, "{}", String::from_utf8_lossy(body));
            true
        }
        None => false,
    }
}

#[test]
fn the_plain_form_is_decoded_with_shared_data() {
    let body = br#"{"Records":[{"Data":"aGVsbG8=","PartitionKey":"a"},{"PartitionKey":"b","Data":"","ExplicitHashKey":"7"}],"StreamName":"s"}"#;
    assert!(agrees(body));
    let got = decode(body).unwrap();
    let records = got.records.unwrap();
    assert_eq!(records[0].data.as_ref().unwrap().0.as_ref(), b"hello");
    assert_eq!(records[1].data.as_ref().unwrap().0.len(), 0);
    assert_eq!(records[1].explicit_hash_key.as_deref(), Some("7"));
}

#[test]
fn whitespace_and_member_order_do_not_matter() {
    assert!(agrees(b" {\n \"StreamARN\" : \"arn\" ,\t\"Records\" : [ { \"Data\" : \"QQ==\" } ] } \n"));
    assert!(agrees(b"{}"));
    assert!(agrees(br#"{"Records":[]}"#));
    assert!(agrees(br#"{"Records":[{}]}"#));
}

#[test]
fn anything_unusual_is_left_to_serde() {
    for body in [
        &br#"{"StreamName":"a\"b","Records":[]}"#[..],
        br#"{"StreamName":null}"#,
        br#"{"StreamName":"a","StreamName":"b"}"#,
        br#"{"Other":1}"#,
        br#"{"Records":[{"Data":"not base64!"}]}"#,
        br#"{"Records":[{"Data":"QQ="}]}"#,
        br#"{"Records":[{"Data":"QR=="}]}"#,
        br#"{"Records":[{"Data":"QQ\u003d\u003d"}]}"#,
        b"{\"Records\":[{\"Data\":\"QQ\n==\"}]}",
        br#"{"Records":[{"Data":"QQ==","Data":"QQ=="}]}"#,
        br#"{"Records":[{"PartitionKey":"\u00e9"}]}"#,
        br#"{"Records":[1]}"#,
        br#"{"Records":[{"Data":"QQ=="},]}"#,
        br#"{"Records":[]} x"#,
        br#"[]"#,
        b"",
        b"{\"StreamName\":\"tab\there\"}",
    ] {
        assert!(decode(body).is_none(), "{}", String::from_utf8_lossy(body));
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-zA-Z0-9:/_.-]{0,40}"]
}

proptest! {
    /// Whatever serde_json writes for a PutRecords request, the fast path decodes exactly as
    /// serde does, or declines.
    #[test]
    fn serialized_requests_decode_as_serde_does(
        name in proptest::option::of(text()),
        arn in proptest::option::of(text()),
        records in proptest::option::of(proptest::collection::vec(
            (proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
             proptest::option::of(text()),
             proptest::option::of("[0-9]{1,39}")),
            0..20)),
        pretty in any::<bool>(),
    ) {
        use base64::Engine as _;
        let mut obj = serde_json::Map::new();
        if let Some(n) = name { obj.insert("StreamName".into(), n.into()); }
        if let Some(a) = arn { obj.insert("StreamARN".into(), a.into()); }
        let plain = records.as_ref().is_some_and(|rs| rs.iter().all(|(_, pk, _)| pk.as_deref().is_none_or(|k| !k.contains(['"', '\\']) && !k.chars().any(char::is_control))));
        if let Some(rs) = records {
            let rs: Vec<_> = rs.into_iter().map(|(d, pk, ehk)| {
                let mut e = serde_json::Map::new();
                if let Some(d) = d { e.insert("Data".into(), base64::engine::general_purpose::STANDARD.encode(d).into()); }
                if let Some(pk) = pk { e.insert("PartitionKey".into(), pk.into()); }
                if let Some(h) = ehk { e.insert("ExplicitHashKey".into(), h.into()); }
                serde_json::Value::Object(e)
            }).collect();
            obj.insert("Records".into(), rs.into());
        }
        let v = serde_json::Value::Object(obj);
        let body = if pretty { serde_json::to_vec_pretty(&v).unwrap() } else { serde_json::to_vec(&v).unwrap() };
        let decoded = agrees(&body);
        // Records without escapes are the plain form: the fast path must take them.
        let names_plain = v.get("StreamName").and_then(|s| s.as_str()).is_none_or(|s| !s.contains(['"', '\\']) && !s.chars().any(char::is_control))
            && v.get("StreamARN").and_then(|s| s.as_str()).is_none_or(|s| !s.contains(['"', '\\']) && !s.chars().any(char::is_control));
        if plain && names_plain {
            prop_assert!(decoded, "declined a plain request: {}", String::from_utf8_lossy(&body));
        }
    }

    /// Arbitrary bytes: never a panic, and never an answer serde would not give.
    #[test]
    fn arbitrary_bodies_never_disagree(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        agrees(&body);
    }
}
