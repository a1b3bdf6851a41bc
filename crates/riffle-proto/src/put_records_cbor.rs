//! A one-pass decoder for the PutRecords request in CBOR 1.1, the encoding the AWS SDK for
//! Java (and so the KCL's and KPL users' JVM clients) and riffle-producer send it in.
//!
//! In CBOR a record's data is a byte string, the bytes themselves: each record's data here is
//! a slice of the request body (`Bytes::slice`, no copy), where JSON needs base64 decoded into
//! a buffer and serde copies every blob into a fresh allocation.
//!
//! Like [`crate::put_records_json`], a fast path, not a second parser of record: it answers
//! `None` for anything outside the plain form — indefinite lengths, tags, nulls, unknown or
//! repeated members, text that is not UTF-8, bytes after the request — and the caller then
//! decodes with serde (ciborium), which gives every error its exact message. Whenever it
//! answers `Some`, the value equals serde's (checked by the tests here and by the
//! `decode_cbor` fuzz target). Headers are read by `ciborium-ll`, the same reader serde uses.

use crate::codec::Blob;
use crate::shapes::{PutRecordsEntry, PutRecordsInput};
use bytes::Bytes;
use ciborium_ll::{Decoder, Header};
use std::ops::Range;

/// Decodes a CBOR PutRecords body, or `None` if it is not in the plain form (see module docs).
pub fn decode(body: &Bytes) -> Option<PutRecordsInput> {
    let mut r = Reader { body, at: 0 };
    let mut input = PutRecordsInput::default();
    // Each member reads at least one byte, so a forged count ends at the body's end.
    for _ in 0..r.map()? {
        match r.text()? {
            "StreamName" if input.stream_name.is_none() => input.stream_name = Some(r.text()?.to_owned()),
            "StreamARN" if input.stream_arn.is_none() => input.stream_arn = Some(r.text()?.to_owned()),
            "Records" if input.records.is_none() => {
                let n = r.array()?;
                // Room for what a valid request holds (500 records; validation refuses more):
                // a forged count must not reserve memory it does not back with bytes.
                let mut records = Vec::with_capacity(n.min(500));
                for _ in 0..n {
                    records.push(r.entry()?);
                }
                input.records = Some(records);
            }
            _ => return None,
        }
    }
    (r.at == body.len()).then_some(input)
}

struct Reader<'a> {
    body: &'a Bytes,
    at: usize,
}

impl<'a> Reader<'a> {
    fn header(&mut self) -> Option<Header> {
        let mut d = Decoder::from(self.body.get(self.at..)?);
        let h = d.pull().ok()?;
        self.at += d.offset();
        Some(h)
    }

    /// The next `len` bytes, as a range of the body.
    fn span(&mut self, len: usize) -> Option<Range<usize>> {
        let end = self.at.checked_add(len).filter(|&end| end <= self.body.len())?;
        let span = self.at..end;
        self.at = end;
        Some(span)
    }

    fn map(&mut self) -> Option<usize> {
        match self.header()? {
            Header::Map(Some(n)) => Some(n),
            _ => None,
        }
    }

    fn array(&mut self) -> Option<usize> {
        match self.header()? {
            Header::Array(Some(n)) => Some(n),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<&'a str> {
        let Header::Text(Some(len)) = self.header()? else { return None };
        let span = self.span(len)?;
        let body: &'a [u8] = self.body;
        std::str::from_utf8(&body[span]).ok()
    }

    fn bytes(&mut self) -> Option<Bytes> {
        let Header::Bytes(Some(len)) = self.header()? else { return None };
        let span = self.span(len)?;
        Some(self.body.slice(span))
    }

    fn entry(&mut self) -> Option<PutRecordsEntry> {
        let mut e = PutRecordsEntry::default();
        for _ in 0..self.map()? {
            match self.text()? {
                "Data" if e.data.is_none() => e.data = Some(Blob(self.bytes()?)),
                "PartitionKey" if e.partition_key.is_none() => e.partition_key = Some(self.text()?.to_owned()),
                "ExplicitHashKey" if e.explicit_hash_key.is_none() => {
                    e.explicit_hash_key = Some(self.text()?.to_owned());
                }
                _ => return None,
            }
        }
        Some(e)
    }
}

#[cfg(test)]
mod tests;
