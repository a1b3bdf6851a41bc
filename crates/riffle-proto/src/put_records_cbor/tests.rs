use super::decode;
use crate::Protocol;
use crate::shapes::PutRecordsInput;
use bytes::Bytes;
use ciborium::Value;
use proptest::prelude::*;

fn cbor(v: &Value) -> Bytes {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    Bytes::from(out)
}

fn map(members: Vec<(&str, Value)>) -> Value {
    Value::Map(members.into_iter().map(|(k, v)| (Value::Text(k.into()), v)).collect())
}

fn serde(body: &[u8]) -> Result<PutRecordsInput, crate::ApiError> {
    Protocol::Cbor.decode(body)
}

/// The fast path agrees with serde wherever it answers.
fn agrees(body: &Bytes) -> bool {
    match decode(body) {
        Some(fast) => {
            let slow = serde(body).unwrap_or_else(|e| panic!("fast path accepted what serde refuses: {e:?}"));
            assert_eq!(fast, slow, "{body:02x?}");
            true
        }
        None => false,
    }
}

#[test]
fn the_plain_form_is_decoded_as_slices_of_the_body() {
    let body = cbor(&map(vec![
        ("StreamName", Value::Text("s".into())),
        (
            "Records",
            Value::Array(vec![
                map(vec![("Data", Value::Bytes(b"hello".to_vec())), ("PartitionKey", Value::Text("a".into()))]),
                map(vec![
                    ("PartitionKey", Value::Text("b".into())),
                    ("Data", Value::Bytes(Vec::new())),
                    ("ExplicitHashKey", Value::Text("7".into())),
                ]),
            ]),
        ),
    ]));
    assert!(agrees(&body));
    let records = decode(&body).unwrap().records.unwrap();
    let hello = &records[0].data.as_ref().unwrap().0;
    assert_eq!(hello.as_ref(), b"hello");
    let within = body.as_ptr_range();
    assert!(within.contains(&hello.as_ptr()), "the data is the body's own bytes, not a copy");
    assert_eq!(records[1].explicit_hash_key.as_deref(), Some("7"));
}

#[test]
fn empty_and_partial_requests_agree() {
    for v in [
        map(vec![]),
        map(vec![("Records", Value::Array(vec![]))]),
        map(vec![("Records", Value::Array(vec![map(vec![])]))]),
        map(vec![("StreamARN", Value::Text("arn".into())), ("StreamName", Value::Text("n".into()))]),
    ] {
        assert!(agrees(&cbor(&v)), "{v:?}");
    }
}

#[test]
fn anything_unusual_is_left_to_serde() {
    let data = |d: Value| map(vec![("Records", Value::Array(vec![map(vec![("Data", d)])]))]);
    let values = [
        map(vec![("StreamName", Value::Null)]),
        map(vec![("StreamName", Value::Text("a".into())), ("StreamName", Value::Text("b".into()))]),
        map(vec![("Other", Value::Integer(1.into()))]),
        data(Value::Text("QQ==".into())),
        data(Value::Tag(24, Box::new(Value::Bytes(vec![1])))),
        map(vec![("Records", Value::Array(vec![Value::Integer(1.into())]))]),
        map(vec![(
            "Records",
            Value::Array(vec![map(vec![("Data", Value::Bytes(vec![])), ("Data", Value::Bytes(vec![]))])]),
        )]),
        Value::Array(vec![]),
    ];
    for v in &values {
        let body = cbor(v);
        assert!(decode(&body).is_none(), "{v:?}");
    }
    let plain = cbor(&data(Value::Bytes(b"abc".to_vec())));
    let mut trailing = plain.to_vec();
    trailing.push(0xa0);
    let raw: [&[u8]; 6] = [
        b"",
        // An indefinite-length map, then an indefinite-length byte string.
        &[0xbf, 0xff],
        &[0xa1, 0x64, b'D', b'a', b't', b'a', 0x5f, 0xff],
        // Text that is not UTF-8, and an array that claims 2^64-1 entries.
        &[0xa1, 0x6a, b'S', b't', b'r', b'e', b'a', b'm', b'N', b'a', b'm', b'e', 0x61, 0xff],
        &[0xa1, 0x67, b'R', b'e', b'c', b'o', b'r', b'd', b's', 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &trailing,
    ];
    for body in raw {
        assert!(decode(&Bytes::copy_from_slice(body)).is_none(), "{body:02x?}");
    }
    // Every prefix of a good body is refused, never read past.
    for n in 0..plain.len() {
        assert!(decode(&plain.slice(..n)).is_none(), "prefix of {n}");
    }
    assert!(agrees(&plain));
}

fn entry() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
        proptest::option::of(any::<String>()),
        proptest::option::of("[0-9]{1,39}"),
        any::<bool>(),
    )
        .prop_map(|(data, key, hash, reversed)| {
            let members = [
                ("Data", data.map(Value::Bytes)),
                ("PartitionKey", key.map(Value::Text)),
                ("ExplicitHashKey", hash.map(Value::Text)),
            ];
            present(members, reversed)
        })
}

/// A map of the members that are there, in order or reversed.
fn present<const N: usize>(members: [(&str, Option<Value>); N], reversed: bool) -> Value {
    let mut members: Vec<(&str, Value)> = members.into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
    if reversed {
        members.reverse();
    }
    map(members)
}

proptest! {
    /// Whatever the members, their order and their contents, the fast path reads exactly what
    /// serde reads.
    #[test]
    fn requests_decode_as_serde_decodes_them(
        stream in proptest::option::of("[a-zA-Z0-9_.-]{1,128}"),
        records in proptest::option::of(proptest::collection::vec(entry(), 0..20)),
        records_first in any::<bool>(),
    ) {
        let members = [("StreamName", stream.map(Value::Text)), ("Records", records.map(Value::Array))];
        prop_assert!(agrees(&cbor(&present(members, records_first))));
    }

    /// Arbitrary bytes never panic, and whatever is accepted agrees with serde.
    #[test]
    fn arbitrary_bytes_are_refused_or_agree(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        agrees(&Bytes::from(body));
    }
}
