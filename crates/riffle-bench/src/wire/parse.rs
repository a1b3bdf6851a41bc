//! Tolerant parsers for the responses the load tool reads: only the members a benchmark needs,
//! so that peers differing in optional members all parse, and strict checks where a count
//! depends on it (a put result that cannot be matched to its record never counts as written).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Op, Operation};
use crate::CallError;

pub(super) fn parse<'a, T: Deserialize<'a>>(op: impl Operation, body: &'a [u8]) -> Result<T, CallError> {
    serde_json::from_slice(body).map_err(|e| CallError::Malformed(format!("{op:?}: {e}")))
}

/// Outcome of one PutRecords response, checked against what was sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PutTally {
    /// Entries carrying both SequenceNumber and ShardId: the only records counted as written.
    pub ok: u64,
    /// Entries carrying an ErrorCode, or neither a result nor an error.
    pub failed: u64,
    /// What the response's FailedRecordCount claimed (kept apart to expose disagreements).
    pub reported_failed: u64,
    /// ErrorCode of each failed entry (`MissingResult` when the entry had none).
    pub failed_codes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRecordsOut<'a> {
    failed_record_count: Option<u64>,
    #[serde(borrow)]
    records: Vec<PutResultEntry<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutResultEntry<'a> {
    sequence_number: Option<IgnoredAny>,
    /// Borrowed: the put workload's hot path must not allocate per record.
    #[serde(borrow)]
    shard_id: Option<Cow<'a, str>>,
    error_code: Option<String>,
}

/// A PutRecords response with one result entry per record sent, or an error: a Records array
/// of the wrong length means results cannot be matched to records.
fn put_records_out(body: &[u8], sent: usize) -> Result<PutRecordsOut<'_>, CallError> {
    let out: PutRecordsOut<'_> = parse(Op::PutRecords, body)?;
    if out.records.len() != sent {
        return Err(CallError::Malformed(format!(
            "PutRecords: {} result entries for {sent} records sent",
            out.records.len()
        )));
    }
    Ok(out)
}

/// Parses a PutRecords response for `sent` records. A Records array of the wrong length means
/// results cannot be matched to records, so the whole response is rejected (nothing counts).
pub(crate) fn tally_put_records(body: &[u8], sent: usize) -> Result<PutTally, CallError> {
    let out = put_records_out(body, sent)?;
    let mut tally = PutTally { reported_failed: out.failed_record_count.unwrap_or(0), ..PutTally::default() };
    for e in out.records {
        match (e.error_code, e.sequence_number, e.shard_id) {
            (None, Some(_), Some(_)) => tally.ok += 1,
            (code, _, _) => {
                tally.failed += 1;
                tally.failed_codes.push(code.unwrap_or_else(|| "MissingResult".into()));
            }
        }
    }
    Ok(tally)
}

/// The ShardId of each record of a PutRecords response, in request order; `None` for a record
/// that was not acknowledged (ErrorCode, or no SequenceNumber).
pub(crate) fn put_records_shards(body: &[u8], sent: usize) -> Result<Vec<Option<String>>, CallError> {
    let out = put_records_out(body, sent)?;
    Ok(out
        .records
        .into_iter()
        .map(|e| match (e.error_code, e.sequence_number, e.shard_id) {
            (None, Some(_), Some(shard)) => Some(shard.into_owned()),
            _ => None,
        })
        .collect())
}

/// A PutRecord response must name the shard and sequence number, or the record is not counted.
pub(crate) fn check_put_record(body: &[u8]) -> Result<(), CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        sequence_number: Option<IgnoredAny>,
        shard_id: Option<IgnoredAny>,
    }
    match parse::<Out>(Op::PutRecord, body)? {
        Out { sequence_number: Some(_), shard_id: Some(_) } => Ok(()),
        _ => Err(CallError::Malformed("PutRecord: missing SequenceNumber or ShardId".into())),
    }
}

/// StreamStatus from a DescribeStreamSummary (or, with `op = DescribeStream`, a DescribeStream)
/// response.
pub(crate) fn stream_status(op: Op, body: &[u8]) -> Result<String, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Desc {
        stream_status: String,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        #[serde(alias = "StreamDescription")]
        stream_description_summary: Desc,
    }
    Ok(parse::<Out>(op, body)?.stream_description_summary.stream_status)
}

/// One page of shard ids; `next` is the NextToken (ListShards) or the ExclusiveStartShardId to
/// send next (DescribeStream), `None` on the last page.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ShardPage {
    pub shard_ids: Vec<String>,
    pub next: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShardOut {
    shard_id: String,
}

pub(crate) fn list_shards_page(body: &[u8]) -> Result<ShardPage, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        #[serde(default)]
        shards: Vec<ShardOut>,
        next_token: Option<String>,
    }
    let out: Out = parse(Op::ListShards, body)?;
    Ok(ShardPage {
        shard_ids: out.shards.into_iter().map(|s| s.shard_id).collect(),
        next: out.next_token.filter(|t| !t.is_empty()),
    })
}

pub(crate) fn describe_stream_page(body: &[u8]) -> Result<ShardPage, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Desc {
        #[serde(default)]
        shards: Vec<ShardOut>,
        #[serde(default)]
        has_more_shards: bool,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        stream_description: Desc,
    }
    let d = parse::<Out>(Op::DescribeStream, body)?.stream_description;
    let shard_ids: Vec<String> = d.shards.into_iter().map(|s| s.shard_id).collect();
    let next = if d.has_more_shards { shard_ids.last().cloned() } else { None };
    Ok(ShardPage { shard_ids, next })
}

pub(crate) fn shard_iterator(body: &[u8]) -> Result<String, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        shard_iterator: Option<String>,
    }
    parse::<Out>(Op::GetShardIterator, body)?
        .shard_iterator
        .ok_or_else(|| CallError::Malformed("GetShardIterator: no ShardIterator".into()))
}

/// What a GetRecords response contributes to a catch-up read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RecordsPage {
    pub records: u64,
    /// Decoded data bytes, computed from the base64 lengths (the tool never needs the data).
    pub bytes: u64,
    pub next_iterator: Option<String>,
    /// Absent on some peers; treated as 0 (caught up once a page comes back empty).
    pub millis_behind: u64,
}

/// A record as GetRecords and SubscribeToShard events carry it: only its base64 Data, borrowed.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RecordData<'a> {
    #[serde(borrow)]
    pub data: Cow<'a, str>,
}

/// Decoded data bytes of `records`, from the base64 lengths (the tool never needs the data).
pub(super) fn data_bytes(records: &[RecordData<'_>]) -> u64 {
    records.iter().map(|r| b64_decoded_len(&r.data) as u64).sum()
}

pub(crate) fn records_page(body: &[u8]) -> Result<RecordsPage, CallError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out<'a> {
        #[serde(borrow, default)]
        records: Vec<RecordData<'a>>,
        next_shard_iterator: Option<String>,
        millis_behind_latest: Option<u64>,
    }
    let out: Out<'_> = parse(Op::GetRecords, body)?;
    Ok(RecordsPage {
        records: out.records.len() as u64,
        bytes: data_bytes(&out.records),
        next_iterator: out.next_shard_iterator,
        millis_behind: out.millis_behind_latest.unwrap_or(0),
    })
}

/// Decoded length of a standard base64 string, padded or not.
pub(crate) fn b64_decoded_len(s: &str) -> usize {
    let pad = s.bytes().rev().take_while(|&b| b == b'=').count();
    (s.len() * 3 / 4).saturating_sub(pad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn put_records_partial_failure_is_tallied() {
        let body = br#"{"FailedRecordCount":1,"Records":[
            {"SequenceNumber":"1","ShardId":"shardId-000000000000"},
            {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"},
            {"SequenceNumber":null,"ShardId":null}]}"#;
        let t = tally_put_records(body, 3).unwrap();
        assert_eq!((t.ok, t.failed, t.reported_failed), (1, 2, 1));
        assert_eq!(t.failed_codes, ["ProvisionedThroughputExceededException", "MissingResult"]);
        let shards = put_records_shards(body, 3).unwrap();
        assert_eq!(shards, [Some("shardId-000000000000".to_owned()), None, None]);
    }

    #[test]
    fn put_records_length_mismatch_counts_nothing() {
        let body = br#"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]}"#;
        assert!(matches!(tally_put_records(body, 2), Err(CallError::Malformed(_))));
        assert!(tally_put_records(b"{}", 1).is_err());
        assert!(check_put_record(br#"{"ShardId":"s"}"#).is_err());
        assert!(check_put_record(br#"{"ShardId":"s","SequenceNumber":"1"}"#).is_ok());
    }

    #[test]
    fn describe_and_list_pages() {
        let s = br#"{"StreamDescriptionSummary":{"StreamName":"s","StreamStatus":"CREATING"}}"#;
        assert_eq!(stream_status(Op::DescribeStreamSummary, s).unwrap(), "CREATING");
        let d = br#"{"StreamDescription":{"StreamStatus":"ACTIVE","HasMoreShards":true,
            "Shards":[{"ShardId":"shardId-000000000000"},{"ShardId":"shardId-000000000001"}]}}"#;
        assert_eq!(stream_status(Op::DescribeStream, d).unwrap(), "ACTIVE");
        let p = describe_stream_page(d).unwrap();
        assert_eq!(p.shard_ids.len(), 2);
        assert_eq!(p.next.as_deref(), Some("shardId-000000000001"));
        let l = list_shards_page(br#"{"Shards":[{"ShardId":"a"}],"NextToken":"n"}"#).unwrap();
        assert_eq!(l, ShardPage { shard_ids: vec!["a".into()], next: Some("n".into()) });
    }

    #[test]
    fn records_page_counts_decoded_bytes() {
        let body = br#"{"Records":[{"Data":"aGVsbG8=","PartitionKey":"a","SequenceNumber":"1"},
            {"Data":"aGk=","PartitionKey":"b","SequenceNumber":"2"}],
            "NextShardIterator":"it","MillisBehindLatest":5}"#;
        let p = records_page(body).unwrap();
        assert_eq!((p.records, p.bytes, p.millis_behind), (2, 7, 5));
        assert_eq!(p.next_iterator.as_deref(), Some("it"));
        let end = records_page(br#"{"Records":[]}"#).unwrap();
        assert_eq!((end.records, end.next_iterator, end.millis_behind), (0, None, 0));
    }

    #[test]
    fn decoded_len_matches_real_decoding() {
        for n in 0..40usize {
            let data = vec![7u8; n];
            let padded = STANDARD.encode(&data);
            let unpadded = padded.trim_end_matches('=');
            assert_eq!(b64_decoded_len(&padded), n);
            assert_eq!(b64_decoded_len(unpadded), n);
        }
    }
}
