//! Records as processors see them: KPL aggregates unpacked into their user records, each with
//! the outer sequence number and its index as sub-sequence number, so a processor can
//! checkpoint in the middle of an aggregate and a successor resumes right after it.

use crate::position::SequencePosition;
use riffle_proto::agg;
use std::time::SystemTime;

/// One user record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub sequence_number: String,
    /// Index within its KPL aggregate; 0 for a record that was not aggregated.
    pub sub_sequence_number: u64,
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
    pub approximate_arrival_timestamp: Option<SystemTime>,
    /// Whether it came out of a KPL aggregate.
    pub aggregated: bool,
}

impl Record {
    pub fn position(&self) -> SequencePosition {
        SequencePosition::new(self.sequence_number.clone(), self.sub_sequence_number)
    }
}

/// Unpacks Kinesis records, dropping user records at or before `after` (the checkpoint being
/// resumed from: the shard iterator starts at its sequence number, which may be an aggregate
/// only partly processed).
pub(crate) fn user_records(raw: Vec<aws_sdk_kinesis::types::Record>, after: Option<&SequencePosition>) -> Vec<Record> {
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let arrival = r.approximate_arrival_timestamp().and_then(|t| SystemTime::try_from(*t).ok());
        let partition_key = r.partition_key.clone().unwrap_or_default();
        let sequence_number = r.sequence_number;
        let data = r.data.into_inner();
        // A damaged aggregate is delivered as it is, as the KCL does, rather than dropped.
        let unpacked = if agg::is_aggregated(&data) { agg::deaggregate(&data).ok() } else { None };
        match unpacked {
            Some(users) => out.extend(users.into_iter().map(|u| Record {
                sequence_number: sequence_number.clone(),
                sub_sequence_number: u.sub_sequence_number,
                partition_key: u.partition_key,
                explicit_hash_key: u.explicit_hash_key,
                data: u.data,
                approximate_arrival_timestamp: arrival,
                aggregated: true,
            })),
            None => out.push(Record {
                sequence_number,
                sub_sequence_number: 0,
                partition_key,
                explicit_hash_key: None,
                data,
                approximate_arrival_timestamp: arrival,
                aggregated: false,
            }),
        }
    }
    if let Some(after) = after {
        out.retain(|r| r.position() > *after);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::Blob;

    fn raw(seq: &str, data: Vec<u8>) -> aws_sdk_kinesis::types::Record {
        aws_sdk_kinesis::types::Record::builder()
            .sequence_number(seq)
            .partition_key("outer")
            .data(Blob::new(data))
            .build()
            .unwrap()
    }

    #[test]
    fn aggregates_unpack_with_sub_sequence_numbers_and_resume_inside() {
        let aggregate = agg::aggregate([("a", None, &b"1"[..]), ("b", None, &b"2"[..]), ("c", None, &b"3"[..])]);
        let records = vec![raw("10", aggregate), raw("11", b"plain".to_vec())];
        let all = user_records(records.clone(), None);
        let subs: Vec<_> = all.iter().map(|r| (r.sequence_number.as_str(), r.sub_sequence_number)).collect();
        assert_eq!(subs, [("10", 0), ("10", 1), ("10", 2), ("11", 0)]);
        assert_eq!(all[1].partition_key, "b");
        assert!(all[0].aggregated && !all[3].aggregated);
        let resumed = user_records(records, Some(&SequencePosition::new("10", 1)));
        assert_eq!(resumed.iter().map(|r| r.data.clone()).collect::<Vec<_>>(), [b"3".to_vec(), b"plain".to_vec()]);
    }
}
