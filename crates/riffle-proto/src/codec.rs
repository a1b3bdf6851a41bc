//! The two encodings Kinesis speaks, and the two value kinds they disagree on.
//!
//! JSON 1.1 carries blobs as base64 strings and timestamps as epoch *seconds* (a number with a
//! millisecond fraction); CBOR 1.1 carries blobs as byte strings and timestamps as epoch
//! *milliseconds*. [`Blob`] and [`Timestamp`] tell the two apart through serde's
//! `is_human_readable`, which is true for serde_json and false for ciborium, so one set of
//! shapes serves both encodings.

use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

/// The encoding of a request, and so of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    Cbor,
}

impl Protocol {
    pub const JSON_CONTENT_TYPE: &'static str = "application/x-amz-json-1.1";
    pub const CBOR_CONTENT_TYPE: &'static str = "application/x-amz-cbor-1.1";

    /// The encoding a request's Content-Type names (its media type, in any case; parameters
    /// such as `charset` ignored), or `None` for any type Kinesis does not speak — which it
    /// answers before the API (see the server's front door).
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let media = ct.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case(Self::JSON_CONTENT_TYPE) {
            Some(Protocol::Json)
        } else if media.eq_ignore_ascii_case(Self::CBOR_CONTENT_TYPE) {
            Some(Protocol::Cbor)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Json => Self::JSON_CONTENT_TYPE,
            Protocol::Cbor => Self::CBOR_CONTENT_TYPE,
        }
    }

    /// Decodes a request body. An empty body is an empty structure, as AWS treats it.
    ///
    /// A JSON body with no content is a SerializationException without a message, as Kinesis
    /// answers it (kinesalite's recording); every SDK sends `{}` for an empty input. An empty CBOR
    /// body is taken as an empty map.
    pub fn decode<T: DeserializeOwned>(self, body: &[u8]) -> Result<T, ApiError> {
        match self {
            Protocol::Json => {
                if body.iter().all(u8::is_ascii_whitespace) {
                    return Err(ApiError::serialization(""));
                }
                // serde would read an array as a structure's members in order; Kinesis refuses it.
                if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
                    return Err(ApiError::serialization(START_OF_LIST));
                }
                serde_json::from_slice(body).map_err(|e| json_error(&e))
            }
            Protocol::Cbor => {
                let body = if body.is_empty() { self.empty() } else { body };
                ciborium::from_reader(body).map_err(|e| cbor_error(&e))
            }
        }
    }

    fn empty(self) -> &'static [u8] {
        match self {
            Protocol::Json => b"{}",
            Protocol::Cbor => &[0xa0],
        }
    }

    /// Encodes an answer.
    pub fn encode<T: Serialize>(self, value: &T) -> Vec<u8> {
        match self {
            // Our shapes hold no maps with non-string keys, so serialization cannot fail.
            Protocol::Json => serde_json::to_vec(value).expect("shapes serialize"),
            Protocol::Cbor => {
                let mut out = Vec::new();
                ciborium::into_writer(value, &mut out).expect("shapes serialize");
                out
            }
        }
    }
}

/// A JSON body that did not decode. Kinesis answers malformed JSON with a bare
/// SerializationException (no message) and a member of the wrong type with the Java
/// deserializer's words (kinesalite's recordings of AWS).
fn json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let text = e.to_string();
            // serde_json appends the position: " at line N column M".
            let text = text.rfind(" at line ").map_or(text.as_str(), |i| &text[..i]);
            ApiError::serialization(aws_type_message(text))
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::serialization(""),
    }
}

/// A CBOR body that did not decode: the same answers as for JSON.
fn cbor_error<E: fmt::Debug>(e: &ciborium::de::Error<E>) -> ApiError {
    match e {
        // A break where a value belongs is malformed CBOR, not a value of the wrong type.
        ciborium::de::Error::Semantic(_, text) if !text.starts_with("invalid type: break") => {
            ApiError::serialization(aws_type_message(text))
        }
        _ => ApiError::serialization(""),
    }
}

/// The kinds of value serde reports, as the Java deserializer behind Kinesis names them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Boolean,
    Number,
    Text,
    List,
    Map,
    Structure,
    Integer,
    Blob,
    Timestamp,
    Other,
}

fn found_kind(unexpected: &str) -> Kind {
    let starts = |p: &str| unexpected.starts_with(p);
    if starts("boolean") {
        Kind::Boolean
    } else if starts("integer") || starts("floating point") {
        Kind::Number
    } else if starts("string") || starts("char") {
        Kind::Text
    } else if starts("sequence") {
        Kind::List
    } else if starts("map") {
        Kind::Map
    } else {
        Kind::Other
    }
}

fn expected_kind(expected: &str) -> Kind {
    match expected {
        "i64" | "i32" | "u32" | "u64" => Kind::Integer,
        "a boolean" => Kind::Boolean,
        "a sequence" => Kind::List,
        "a map" => Kind::Map,
        BLOB_EXPECTING => Kind::Blob,
        TIMESTAMP_EXPECTING => Kind::Timestamp,
        e if e.starts_with("struct ") => Kind::Structure,
        e if e.contains("string") => Kind::Text,
        _ => Kind::Other,
    }
}

/// Rewrites serde's `invalid type: <found>, expected <wanted>` in AWS's words; other decoder
/// messages (bad base64, out-of-range timestamps) are already worded for the client.
fn aws_type_message(text: &str) -> String {
    // An array given for a structure: serde tries it as the members in order.
    if text.starts_with("invalid length ") && text.contains(", expected struct ") {
        return START_OF_LIST.to_string();
    }
    let Some(rest) = text.strip_prefix("invalid type: ") else { return text.to_string() };
    let Some((found, wanted)) = rest.rsplit_once(", expected ") else { return text.to_string() };
    let shown = found.split_once('"').and_then(|(_, v)| v.rsplit_once('"')).map(|(v, _)| v.to_uppercase());
    let (found, wanted) = (found_kind(found), expected_kind(wanted));
    let java = match found {
        Kind::Boolean => "class java.lang.Boolean",
        Kind::Number => "class java.math.BigDecimal",
        _ => "class java.lang.String",
    };
    match (found, wanted) {
        (Kind::List, _) => START_OF_LIST.to_string(),
        (Kind::Map, _) => "Start of structure or map found where not expected.".to_string(),
        (_, Kind::List) => "Expected list or null".to_string(),
        (_, Kind::Map) => "Expected map or null".to_string(),
        (_, Kind::Structure) => "Expected null".to_string(),
        (_, Kind::Text) => format!("{java} can not be converted to an String"),
        (_, Kind::Integer) => format!("{java} can not be converted to an Integer"),
        // Jackson shows a string it cannot read as a boolean upper-cased.
        (Kind::Text, Kind::Boolean) => format!("'{}' can not be converted to an Boolean", shown.unwrap_or_default()),
        (_, Kind::Boolean) => format!("{java} can not be converted to an Boolean"),
        (_, Kind::Blob) => format!("{java} can not be converted to a Blob"),
        (_, Kind::Timestamp) => format!("{java} can not be converted to a Timestamp"),
        _ => text.to_string(),
    }
}

const START_OF_LIST: &str = "Start of list found where not expected";
const BLOB_EXPECTING: &str = "a base64 string or a byte string";
const TIMESTAMP_EXPECTING: &str = "a numeric timestamp";

/// Why `v` is not standard padded base64, in the words Kinesis uses (aws/aws-sdk-php#650,
/// kinesalite's recordings): `'<v>' can not be converted to a Blob: <reason>`.
fn base64_message(v: &str) -> String {
    let reason = if !v.len().is_multiple_of(4) {
        format!("Base64 encoded length is expected a multiple of 4 bytes but found: {}", v.len())
    } else if let Some(c) = first_bad_base64_char(v) {
        format!("Invalid Base64 character: '{c}'")
    } else {
        // (sic) AWS's spelling.
        "Invalid last non-pad Base64 character dectected".to_string()
    };
    format!("'{v}' can not be converted to a Blob: {reason}")
}

/// The first character outside the base64 alphabet, or a `=` followed by something else.
fn first_bad_base64_char(v: &str) -> Option<char> {
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        let ok = c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=';
        if !ok {
            return Some(c);
        }
        if c == '=' && chars.peek().is_some_and(|&n| n != '=') {
            return Some(c);
        }
    }
    None
}

/// Binary data: base64 in JSON, a byte string in CBOR.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Bytes);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(&STANDARD.encode(&self.0)) } else { s.serialize_bytes(&self.0) }
    }
}

impl<'de> de::Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(BLOB_EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Blob, E> {
                STANDARD.decode(v).map(|b| Blob(Bytes::from(b))).map_err(|_| E::custom(base64_message(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(Bytes::from(v)))
            }
        }
        // ciborium's `deserialize_bytes` takes only definite-length strings that fit its 4 KiB
        // scratch; `deserialize_byte_buf` takes any length, chunked (indefinite) ones too.
        if d.is_human_readable() { d.deserialize_str(V) } else { d.deserialize_byte_buf(V) }
    }
}

/// A point in time, held as epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Appends the JSON form (epoch seconds) exactly as the `Serialize` impl writes it, without
    /// going through float formatting: whole seconds as an integer, otherwise seconds and a
    /// millisecond fraction without trailing zeros. For epoch values that decimal has at most
    /// 16 significant digits, so it is also the shortest round-trip form of the f64.
    pub fn write_json(self, out: &mut Vec<u8>) {
        let (secs, ms) = (self.0.div_euclid(1000), self.0.rem_euclid(1000));
        if ms == 0 {
            out.extend_from_slice(secs.to_string().as_bytes());
            return;
        }
        if self.0 < 0 || secs >= 1_000_000_000_000 {
            // Outside the range where the shortcut is exact; let the float formatter decide.
            serde_json::to_writer(out, &(self.0 as f64 / 1000.0)).expect("floats serialize");
            return;
        }
        out.extend_from_slice(secs.to_string().as_bytes());
        out.push(b'.');
        let frac = [b'0' + (ms / 100) as u8, b'0' + (ms / 10 % 10) as u8, b'0' + (ms % 10) as u8];
        let keep = 3 - frac.iter().rev().take_while(|&&d| d == b'0').count();
        out.extend_from_slice(&frac[..keep]);
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            // Whole seconds print as integers; otherwise seconds with a millisecond fraction.
            if self.0 % 1000 == 0 { s.serialize_i64(self.0 / 1000) } else { s.serialize_f64(self.0 as f64 / 1000.0) }
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> de::Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V {
            scale: f64,
        }
        impl<'de> Visitor<'de> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(TIMESTAMP_EXPECTING)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                let ms = (v * self.scale).round();
                if !ms.is_finite() || ms.abs() > 1e17 {
                    return Err(E::custom("timestamp out of range"));
                }
                Ok(Timestamp(ms as i64))
            }
        }
        // JSON sends seconds, CBOR milliseconds (tagged or not; ciborium drops the tag).
        if d.is_human_readable() {
            d.deserialize_any(V { scale: 1000.0 })
        } else {
            // ciborium skips the tag when asked for an integer directly.
            d.deserialize_i64(V { scale: 1.0 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// `{"Data": <blob>}` in CBOR, the blob given as its encoded bytes.
    fn cbor_data(blob: &[u8]) -> crate::shapes::PutRecordInput {
        let body = [&[0xa1, 0x64][..], b"Data", blob].concat();
        Protocol::Cbor.decode(&body).unwrap()
    }

    #[test]
    fn content_types_name_an_encoding_by_media_type_alone() {
        assert_eq!(Protocol::from_content_type("application/x-amz-json-1.1"), Some(Protocol::Json));
        assert_eq!(Protocol::from_content_type(" Application/X-Amz-CBOR-1.1 ; charset=utf-8"), Some(Protocol::Cbor));
        for other in ["application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.10", "", "text/plain"]
        {
            assert_eq!(Protocol::from_content_type(other), None, "{other}");
        }
    }

    #[test]
    fn cbor_blobs_of_any_length_decode() {
        for n in [0usize, 4096, 4097, 1 << 20] {
            let header: Vec<u8> = match n {
                0 => vec![0x40],
                n if n < 1 << 16 => [&[0x59][..], &(n as u16).to_be_bytes()].concat(),
                n => [&[0x5a][..], &(n as u32).to_be_bytes()].concat(),
            };
            let got = cbor_data(&[header, vec![9u8; n]].concat());
            assert_eq!(got.data.unwrap().0.len(), n);
        }
    }

    #[test]
    fn chunked_cbor_blobs_decode() {
        let got = cbor_data(&[0x5f, 0x42, 1, 2, 0x41, 3, 0xff]);
        assert_eq!(got.data.unwrap().0.as_ref(), [1, 2, 3]);
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct T {
        #[serde(rename = "Data")]
        data: Blob,
        #[serde(rename = "At")]
        at: Timestamp,
    }

    #[test]
    fn json_uses_base64_and_seconds() {
        let t: T = Protocol::Json.decode(br#"{"Data":"aGk=","At":1459799926.48}"#).unwrap();
        assert_eq!(t, T { data: Blob(Bytes::from_static(b"hi")), at: Timestamp(1_459_799_926_480) });
        let out = String::from_utf8(Protocol::Json.encode(&t)).unwrap();
        assert_eq!(out, r#"{"Data":"aGk=","At":1459799926.48}"#);
        assert!(Protocol::Json.decode::<T>(br#"{"Data":"a","At":1}"#).is_err());
        assert!(Protocol::Json.decode::<T>(br#"{"Data":"aGk=","At":"2016-01-01"}"#).is_err());
    }

    #[test]
    fn decode_errors_speak_as_kinesis_does() {
        let msg = |body: &[u8]| Protocol::Json.decode::<T>(body).unwrap_err().message;
        assert_eq!(msg(b"{not json"), "");
        assert_eq!(msg(b"  "), "");
        assert_eq!(msg(b"[]"), "Start of list found where not expected");
        assert_eq!(msg(br#"{"Data":5,"At":1}"#), "class java.math.BigDecimal can not be converted to a Blob");
        assert_eq!(msg(br#"{"Data":{},"At":1}"#), "Start of structure or map found where not expected.");
        assert_eq!(
            msg(br#"{"Data":"string","At":1}"#),
            "'string' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 6"
        );
        assert_eq!(
            msg(br#"{"Data":"ab!=","At":1}"#),
            "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'"
        );
        assert_eq!(
            msg(br#"{"Data":"aGl=","At":1}"#),
            "'aGl=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"
        );
        assert_eq!(msg(br#"{"Data":"aGk=","At":"x"}"#), "class java.lang.String can not be converted to a Timestamp");
        let e = Protocol::Json.decode::<T>(b"{").unwrap_err();
        assert_eq!(crate::encode_error(Protocol::Json, &e), br#"{"__type":"SerializationException"}"#);
        // A break where a value belongs is malformed CBOR.
        assert_eq!(Protocol::Cbor.decode::<T>(&[0xff]).unwrap_err().message, "");
    }

    proptest::proptest! {
        #[test]
        fn timestamp_json_writer_matches_serde(ms in 0i64..4_102_444_800_000) {
            let mut out = Vec::new();
            Timestamp(ms).write_json(&mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&Timestamp(ms)).unwrap());
        }
    }

    #[test]
    fn cbor_uses_bytes_and_millis() {
        let t = T { data: Blob(Bytes::from_static(b"\x00\xff")), at: Timestamp(1_459_799_926_480) };
        let enc = Protocol::Cbor.encode(&t);
        let back: T = Protocol::Cbor.decode(&enc).unwrap();
        assert_eq!(back, t);
        // Indefinite-length map with a tag-1 timestamp, as Jackson writes it.
        let mut body = vec![0xbf];
        body.extend([0x64, b'D', b'a', b't', b'a', 0x42, 1, 2]);
        body.extend([0x62, b'A', b't', 0xc1, 0x1b]);
        body.extend(1_459_799_926_480u64.to_be_bytes());
        body.push(0xff);
        let t: T = Protocol::Cbor.decode(&body).unwrap();
        assert_eq!(t.at, Timestamp(1_459_799_926_480));
        assert_eq!(&t.data.0[..], &[1, 2]);
    }
}
