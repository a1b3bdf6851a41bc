//! A one-pass decoder for the PutRecords request in the form every SDK sends it.
//!
//! PutRecords is most of a busy server's traffic, and through serde each of its records costs
//! two allocations for its data (the base64 output, then the `Bytes` header) plus the generic
//! visitor machinery. This decoder reads the common form directly and decodes every record's
//! base64 into one buffer that the records then share as slices of a single `Bytes`.
//!
//! It is a fast path, not a second parser of record: it answers `None` for anything outside
//! the plain form — escapes in strings, nulls, unknown or repeated members, bad base64, any
//! syntax it does not expect — and the caller then decodes with serde, which gives every
//! error its exact message. Whenever it answers `Some`, the value equals serde's (checked by
//! tests here and by the `decode_json` fuzz target).

use crate::codec::Blob;
use crate::shapes::{PutRecordsEntry, PutRecordsInput};
use bytes::Bytes;
use std::ops::Range;

/// Decodes a JSON PutRecords body, or `None` if it is not in the plain form (see module docs).
pub fn decode(body: &[u8]) -> Option<PutRecordsInput> {
    let mut p = Parser { b: body, i: 0 };
    // Every decoded record is shorter than the JSON holding it, so the body's length bounds the
    // buffer (decode_slice also needs room for its estimate: up to 2 bytes past the data).
    let mut arena = vec![0u8; body.len() + 3];
    let mut used = 0;
    let mut input = PutRecordsInput::default();
    let mut entries: Vec<(PutRecordsEntry, Option<Range<usize>>)> = Vec::new();
    let mut seen_records = false;
    p.byte(b'{')?;
    if !p.peek_is(b'}') {
        loop {
            match p.string()? {
                "StreamName" if input.stream_name.is_none() => input.stream_name = Some(p.after_colon()?.to_owned()),
                "StreamARN" if input.stream_arn.is_none() => input.stream_arn = Some(p.after_colon()?.to_owned()),
                "Records" if !seen_records => {
                    seen_records = true;
                    p.byte(b':')?;
                    p.byte(b'[')?;
                    if !p.peek_is(b']') {
                        loop {
                            entries.push(p.entry(&mut arena, &mut used)?);
                            if !p.comma_or(b']')? {
                                break;
                            }
                        }
                    } else {
                        p.byte(b']')?;
                    }
                }
                _ => return None,
            }
            if !p.comma_or(b'}')? {
                break;
            }
        }
    } else {
        p.byte(b'}')?;
    }
    p.ws();
    if p.i != body.len() {
        return None;
    }
    if seen_records {
        arena.truncate(used);
        let arena = Bytes::from(arena);
        let records = entries
            .into_iter()
            .map(|(mut e, data)| {
                e.data = data.map(|r| Blob(arena.slice(r)));
                e
            })
            .collect();
        input.records = Some(records);
    }
    Some(input)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn peek_is(&mut self, c: u8) -> bool {
        self.ws();
        self.b.get(self.i) == Some(&c)
    }

    fn byte(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// After a value: `true` on a comma, `false` on `close`.
    fn comma_or(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = *self.b.get(self.i)?;
        self.i += 1;
        match c {
            b',' => Some(true),
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// The raw bytes of a string up to its closing quote, found with memchr (SIMD): a
    /// record's base64 is most of a request's bytes. Escapes and control characters are left
    /// for the caller to refuse (base64 decoding refuses them by itself).
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.byte(b'"')?;
        let start = self.i;
        let len = memchr::memchr(b'"', &self.b[start..])?;
        self.i = start + len + 1;
        Some(&self.b[start..start + len])
    }

    /// A string without escapes or control characters, as UTF-8.
    fn string(&mut self) -> Option<&'a str> {
        let raw = self.raw_string()?;
        if raw.iter().any(|&c| c == b'\\' || c < 0x20) {
            return None;
        }
        std::str::from_utf8(raw).ok()
    }

    fn after_colon(&mut self) -> Option<&'a str> {
        self.byte(b':')?;
        self.string()
    }

    /// One record; its data is decoded into `arena` at `used` and named by its range.
    fn entry(&mut self, arena: &mut [u8], used: &mut usize) -> Option<(PutRecordsEntry, Option<Range<usize>>)> {
        let mut e = PutRecordsEntry::default();
        let mut data = None;
        self.byte(b'{')?;
        if self.peek_is(b'}') {
            self.byte(b'}')?;
            return Some((e, data));
        }
        loop {
            match self.string()? {
                "Data" if data.is_none() => {
                    self.byte(b':')?;
                    let text = self.raw_string()?;
                    // SIMD base64, as strict as the `base64` crate serde uses (padding, canonical
                    // trailing bits: the tests and the fuzz target hold the two to agreement).
                    let n = base64_simd::STANDARD.decoded_length(text).ok()?;
                    let out = arena.get_mut(*used..*used + n)?;
                    base64_simd::STANDARD.decode(text, base64_simd::Out::from_slice(out)).ok()?;
                    data = Some(*used..*used + n);
                    *used += n;
                }
                "PartitionKey" if e.partition_key.is_none() => e.partition_key = Some(self.after_colon()?.to_owned()),
                "ExplicitHashKey" if e.explicit_hash_key.is_none() => {
                    e.explicit_hash_key = Some(self.after_colon()?.to_owned());
                }
                _ => return None,
            }
            if !self.comma_or(b'}')? {
                return Some((e, data));
            }
        }
    }
}

#[cfg(test)]
mod tests;
