//! The `application/vnd.amazon.eventstream` framing SubscribeToShard answers in.
//!
//! A message (all integers big-endian):
//!
//! ```text
//! total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32
//! ```
//!
//! `prelude_crc` is the CRC-32 (IEEE) of the first 8 bytes and `message_crc` that of everything
//! before it. A header is `name_len u8, name, type u8, value`; Kinesis sends only type 7
//! (string, `u16` length), so that is all [`encode`] writes, while [`decode`] reads every type
//! so it can check what other implementations send. Pure: no I/O.

use bytes::{BufMut, Bytes, BytesMut};

/// Bytes of the prelude (two lengths and their CRC).
pub const PRELUDE_LEN: usize = 12;
/// Bytes a message adds to its headers and payload: the prelude and the message CRC.
pub const OVERHEAD: usize = PRELUDE_LEN + 4;
/// Largest headers section the SDKs accept.
pub const MAX_HEADERS_LEN: usize = 128 * 1024;
/// Largest whole message the SDKs accept (their payload cap is 16 MiB).
pub const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024 + MAX_HEADERS_LEN + OVERHEAD;

/// A header value as the format defines them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Bytes),
    String(String),
    Timestamp(i64),
    Uuid([u8; 16]),
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Bytes,
}

impl Message {
    /// The value of a string header, if present and a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).and_then(|(_, v)| match v {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("need {0} more bytes")]
    Incomplete(usize),
    #[error("prelude checksum mismatch")]
    PreludeCrc,
    #[error("message checksum mismatch")]
    MessageCrc,
    #[error("invalid message: {0}")]
    Invalid(&'static str),
}

/// Appends one message with string headers to `out`.
///
/// Panics if a header name is longer than 255 bytes or a value longer than 65,535 bytes (the
/// format cannot say so; every header we send is a short constant).
pub fn encode_into(out: &mut BytesMut, headers: &[(&str, &str)], payload: &[u8]) {
    let headers_len: usize = headers.iter().map(|(n, v)| 1 + n.len() + 1 + 2 + v.len()).sum();
    let total = OVERHEAD + headers_len + payload.len();
    let start = out.len();
    out.reserve(total);
    out.put_u32(u32::try_from(total).expect("message fits in u32"));
    out.put_u32(headers_len as u32);
    let prelude_crc = crc32fast::hash(&out[start..start + 8]);
    out.put_u32(prelude_crc);
    for (name, value) in headers {
        out.put_u8(u8::try_from(name.len()).expect("header name fits in u8"));
        out.put_slice(name.as_bytes());
        out.put_u8(7);
        out.put_u16(u16::try_from(value.len()).expect("header value fits in u16"));
        out.put_slice(value.as_bytes());
    }
    out.put_slice(payload);
    let crc = crc32fast::hash(&out[start..]);
    out.put_u32(crc);
}

/// One message with string headers, as bytes.
pub fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    encode_into(&mut out, headers, payload);
    out.freeze()
}

/// An event: `:message-type=event`, `:event-type`, `:content-type`.
pub fn event(event_type: &str, content_type: &str, payload: &[u8]) -> Bytes {
    encode(&[(":message-type", "event"), (":event-type", event_type), (":content-type", content_type)], payload)
}

/// A modeled exception: `:message-type=exception`, `:exception-type` (the model's member name)
/// and a payload `{"message": ...}` in the request's encoding.
pub fn exception(exception_type: &str, content_type: &str, payload: &[u8]) -> Bytes {
    encode(
        &[(":message-type", "exception"), (":exception-type", exception_type), (":content-type", content_type)],
        payload,
    )
}

/// Decodes the first message of `buf`; returns it and how many bytes it took.
pub fn decode(buf: &[u8]) -> Result<(Message, usize), DecodeError> {
    if buf.len() < PRELUDE_LEN {
        return Err(DecodeError::Incomplete(PRELUDE_LEN - buf.len()));
    }
    let total = u32::from_be_bytes(buf[0..4].try_into().expect("4 bytes")) as usize;
    let headers_len = u32::from_be_bytes(buf[4..8].try_into().expect("4 bytes")) as usize;
    let prelude_crc = u32::from_be_bytes(buf[8..12].try_into().expect("4 bytes"));
    if crc32fast::hash(&buf[0..8]) != prelude_crc {
        return Err(DecodeError::PreludeCrc);
    }
    if total > MAX_MESSAGE_LEN {
        return Err(DecodeError::Invalid("message too long"));
    }
    if headers_len > MAX_HEADERS_LEN {
        return Err(DecodeError::Invalid("headers too long"));
    }
    if total < OVERHEAD + headers_len {
        return Err(DecodeError::Invalid("lengths disagree"));
    }
    if buf.len() < total {
        return Err(DecodeError::Incomplete(total - buf.len()));
    }
    let crc = u32::from_be_bytes(buf[total - 4..total].try_into().expect("4 bytes"));
    if crc32fast::hash(&buf[..total - 4]) != crc {
        return Err(DecodeError::MessageCrc);
    }
    let headers = decode_headers(&buf[PRELUDE_LEN..PRELUDE_LEN + headers_len])?;
    let payload = Bytes::copy_from_slice(&buf[PRELUDE_LEN + headers_len..total - 4]);
    Ok((Message { headers, payload }, total))
}

/// Decodes every message of `buf`, which must end at a message boundary.
pub fn decode_all(mut buf: &[u8]) -> Result<Vec<Message>, DecodeError> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let (m, n) = decode(buf)?;
        out.push(m);
        buf = &buf[n..];
    }
    Ok(out)
}

fn decode_headers(mut b: &[u8]) -> Result<Vec<(String, HeaderValue)>, DecodeError> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
        if b.len() < n {
            return Err(DecodeError::Invalid("header runs past its section"));
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Ok(head)
    }
    fn array<const N: usize>(b: &mut &[u8]) -> Result<[u8; N], DecodeError> {
        Ok(take(b, N)?.try_into().expect("N bytes"))
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let name_len = take(&mut b, 1)?[0] as usize;
        if name_len == 0 {
            return Err(DecodeError::Invalid("empty header name"));
        }
        let name = std::str::from_utf8(take(&mut b, name_len)?)
            .map_err(|_| DecodeError::Invalid("header name is not UTF-8"))?
            .to_string();
        let value = match take(&mut b, 1)?[0] {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(i8::from_be_bytes(array(&mut b)?)),
            3 => HeaderValue::Short(i16::from_be_bytes(array(&mut b)?)),
            4 => HeaderValue::Int(i32::from_be_bytes(array(&mut b)?)),
            5 => HeaderValue::Long(i64::from_be_bytes(array(&mut b)?)),
            6 => {
                let len = u16::from_be_bytes(array(&mut b)?) as usize;
                HeaderValue::Bytes(Bytes::copy_from_slice(take(&mut b, len)?))
            }
            7 => {
                let len = u16::from_be_bytes(array(&mut b)?) as usize;
                let v = std::str::from_utf8(take(&mut b, len)?)
                    .map_err(|_| DecodeError::Invalid("string header is not UTF-8"))?;
                HeaderValue::String(v.to_string())
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(array(&mut b)?)),
            9 => HeaderValue::Uuid(array(&mut b)?),
            _ => return Err(DecodeError::Invalid("unknown header type")),
        };
        out.push((name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_string_headers_and_payload() {
        let bytes = event("SubscribeToShardEvent", "application/x-amz-json-1.1", br#"{"Records":[]}"#);
        let (m, n) = decode(&bytes).unwrap();
        assert_eq!(n, bytes.len());
        assert_eq!(m.header_str(":message-type"), Some("event"));
        assert_eq!(m.header_str(":event-type"), Some("SubscribeToShardEvent"));
        assert_eq!(m.header_str(":content-type"), Some("application/x-amz-json-1.1"));
        assert_eq!(&m.payload[..], br#"{"Records":[]}"#);
    }

    /// One string header and a payload, laid out byte for byte as the format describes.
    #[test]
    fn matches_a_known_encoding() {
        let bytes = encode(&[("event-type", "foo")], b"{}");
        let expected_len = 16 + (1 + 10 + 1 + 2 + 3) + 2;
        assert_eq!(bytes.len(), expected_len);
        assert_eq!(&bytes[0..4], &(expected_len as u32).to_be_bytes());
        assert_eq!(&bytes[4..8], &17u32.to_be_bytes());
        assert_eq!(&bytes[8..12], &crc32fast::hash(&bytes[0..8]).to_be_bytes());
        assert_eq!(&bytes[12..29], b"\x0aevent-type\x07\x00\x03foo");
        // The standard CRC-32 check value, so the crate is the IEEE polynomial.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn decodes_every_header_type() {
        let mut h = Vec::new();
        let mut push = |name: &str, ty: u8, v: &[u8]| {
            h.push(name.len() as u8);
            h.extend_from_slice(name.as_bytes());
            h.push(ty);
            h.extend_from_slice(v);
        };
        push("t", 0, &[]);
        push("f", 1, &[]);
        push("b", 2, &[0xff]);
        push("s", 3, &[0, 2]);
        push("i", 4, &[0, 0, 0, 3]);
        push("l", 5, &4i64.to_be_bytes());
        push("y", 6, &[0, 1, 9]);
        push("ts", 8, &5i64.to_be_bytes());
        push("u", 9, &[7; 16]);
        let total = OVERHEAD + h.len();
        let mut buf = Vec::new();
        buf.extend_from_slice(&(total as u32).to_be_bytes());
        buf.extend_from_slice(&(h.len() as u32).to_be_bytes());
        buf.extend_from_slice(&crc32fast::hash(&buf).to_be_bytes());
        buf.extend_from_slice(&h);
        buf.extend_from_slice(&crc32fast::hash(&buf).to_be_bytes());
        let (m, _) = decode(&buf).unwrap();
        let values: Vec<_> = m.headers.into_iter().map(|(_, v)| v).collect();
        assert_eq!(
            values,
            [
                HeaderValue::Bool(true),
                HeaderValue::Bool(false),
                HeaderValue::Byte(-1),
                HeaderValue::Short(2),
                HeaderValue::Int(3),
                HeaderValue::Long(4),
                HeaderValue::Bytes(Bytes::from_static(&[9])),
                HeaderValue::Timestamp(5),
                HeaderValue::Uuid([7; 16]),
            ]
        );
    }

    #[test]
    fn rejects_damage_and_reports_short_input() {
        let bytes = exception("ResourceInUseException", "application/x-amz-json-1.1", br#"{"message":"m"}"#);
        assert_eq!(decode(&bytes[..5]), Err(DecodeError::Incomplete(7)));
        assert!(matches!(decode(&bytes[..bytes.len() - 1]), Err(DecodeError::Incomplete(1))));
        let mut bad = bytes.to_vec();
        bad[1] ^= 1;
        assert_eq!(decode(&bad), Err(DecodeError::PreludeCrc));
        let mut bad = bytes.to_vec();
        bad[20] ^= 1;
        assert_eq!(decode(&bad), Err(DecodeError::MessageCrc));
        let two = [bytes.clone(), bytes].concat();
        assert_eq!(decode_all(&two).unwrap().len(), 2);
    }
}
