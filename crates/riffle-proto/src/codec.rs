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

    /// Picks the encoding from a Content-Type. Anything but CBOR is treated as JSON, as AWS
    /// does for `application/json` and missing types.
    pub fn from_content_type(ct: Option<&str>) -> Self {
        match ct {
            Some(ct) if ct.trim_start().starts_with(Self::CBOR_CONTENT_TYPE) => Protocol::Cbor,
            _ => Protocol::Json,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Json => Self::JSON_CONTENT_TYPE,
            Protocol::Cbor => Self::CBOR_CONTENT_TYPE,
        }
    }

    /// Decodes a request body. An empty body is an empty structure, as AWS treats it.
    pub fn decode<T: DeserializeOwned>(self, body: &[u8]) -> Result<T, ApiError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) { self.empty() } else { body };
        match self {
            Protocol::Json => serde_json::from_slice(body).map_err(|e| serialization_error(&e)),
            Protocol::Cbor => ciborium::from_reader(body).map_err(|e| serialization_error(&e)),
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

fn serialization_error(e: &dyn fmt::Display) -> ApiError {
    // AWS's SerializationException carries little detail; the decoder's reason helps users more.
    ApiError::serialization(format!("Unable to parse request body: {e}"))
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
                f.write_str("a base64 string or a byte string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Blob, E> {
                STANDARD
                    .decode(v)
                    .map(|b| Blob(Bytes::from(b)))
                    .map_err(|e| E::custom(format!("invalid base64 in blob: {e}")))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(Bytes::from(v)))
            }
        }
        if d.is_human_readable() { d.deserialize_str(V) } else { d.deserialize_bytes(V) }
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
                f.write_str("a numeric timestamp")
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
