//! Positions in a shard: where a new lease starts ([`InitialPosition`]) and what a lease's
//! checkpoint says ([`Checkpoint`]), stored as the KCL stores them — a sequence number or one of
//! the literal sentinels `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END` — so a lease table
//! written by the KCL reads here and the other way round.

use std::cmp::Ordering;
use std::time::SystemTime;

/// Where leases for shards with no history start (the KCL's `initialPositionInStream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialPosition {
    /// The oldest record still retained (the KCL's default).
    TrimHorizon,
    /// Only records written after the consumer started.
    Latest,
    /// The first record at or after this time.
    AtTimestamp(SystemTime),
}

impl InitialPosition {
    pub(crate) fn sentinel(self) -> Checkpoint {
        match self {
            Self::TrimHorizon => Checkpoint::TrimHorizon,
            Self::Latest => Checkpoint::Latest,
            Self::AtTimestamp(_) => Checkpoint::AtTimestamp,
        }
    }
}

/// A record's identity within a shard: its Kinesis sequence number and, for a record taken out
/// of a KPL aggregate, its index in that aggregate (0 otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequencePosition {
    pub sequence_number: String,
    pub sub_sequence_number: u64,
}

impl SequencePosition {
    pub fn new(sequence_number: impl Into<String>, sub_sequence_number: u64) -> Self {
        Self { sequence_number: sequence_number.into(), sub_sequence_number }
    }
}

impl Ord for SequencePosition {
    /// Numeric order of the decimal sequence numbers (they can exceed `u128`), then the
    /// sub-sequence number.
    fn cmp(&self, other: &Self) -> Ordering {
        compare_decimal(&self.sequence_number, &other.sequence_number)
            .then(self.sub_sequence_number.cmp(&other.sub_sequence_number))
    }
}

impl PartialOrd for SequencePosition {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two non-negative decimal strings numerically, whatever their length.
pub(crate) fn compare_decimal(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// What a lease's `checkpoint` attribute holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkpoint {
    TrimHorizon,
    Latest,
    AtTimestamp,
    /// Everything up to and including this record has been processed.
    At(SequencePosition),
    /// The whole shard has been processed; its children may start.
    ShardEnd,
}

impl Checkpoint {
    pub const TRIM_HORIZON: &'static str = "TRIM_HORIZON";
    pub const LATEST: &'static str = "LATEST";
    pub const AT_TIMESTAMP: &'static str = "AT_TIMESTAMP";
    pub const SHARD_END: &'static str = "SHARD_END";

    /// Reads the stored pair (`checkpoint`, `checkpointSubSequenceNumber`).
    pub fn from_stored(value: &str, sub_sequence_number: u64) -> Self {
        match value {
            Self::TRIM_HORIZON => Self::TrimHorizon,
            Self::LATEST => Self::Latest,
            Self::AT_TIMESTAMP => Self::AtTimestamp,
            Self::SHARD_END => Self::ShardEnd,
            seq => Self::At(SequencePosition::new(seq, sub_sequence_number)),
        }
    }

    /// The stored pair (`checkpoint`, `checkpointSubSequenceNumber`).
    pub fn to_stored(&self) -> (&str, u64) {
        match self {
            Self::TrimHorizon => (Self::TRIM_HORIZON, 0),
            Self::Latest => (Self::LATEST, 0),
            Self::AtTimestamp => (Self::AT_TIMESTAMP, 0),
            Self::ShardEnd => (Self::SHARD_END, 0),
            Self::At(p) => (&p.sequence_number, p.sub_sequence_number),
        }
    }

    /// True until the shard's first record has been checkpointed.
    pub fn is_sentinel_start(&self) -> bool {
        matches!(self, Self::TrimHorizon | Self::Latest | Self::AtTimestamp)
    }

    /// The order checkpoints must advance in: start sentinels, then records, then SHARD_END.
    pub(crate) fn progress_cmp(&self, other: &Self) -> Ordering {
        let rank = |c: &Self| match c {
            Self::TrimHorizon | Self::Latest | Self::AtTimestamp => 0,
            Self::At(_) => 1,
            Self::ShardEnd => 2,
        };
        match (self, other) {
            (Self::At(a), Self::At(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::At(p) => write!(f, "{}/{}", p.sequence_number, p.sub_sequence_number),
            other => f.write_str(other.to_stored().0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_numerically_beyond_u128() {
        let big = "49590338271490256608559692538361571095921575989136588898";
        let bigger = "49590338271490256608559692538361571095921575989136588899";
        assert!(SequencePosition::new(big, 5) < SequencePosition::new(bigger, 0));
        assert!(SequencePosition::new("9", 0) < SequencePosition::new("10", 0));
        assert!(SequencePosition::new("007", 1) > SequencePosition::new("7", 0));
    }

    #[test]
    fn sentinels_round_trip_and_order() {
        for s in ["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END"] {
            assert_eq!(Checkpoint::from_stored(s, 0).to_stored(), (s, 0));
        }
        let at = Checkpoint::At(SequencePosition::new("5", 2));
        assert_eq!(Checkpoint::TrimHorizon.progress_cmp(&at), Ordering::Less);
        assert_eq!(Checkpoint::ShardEnd.progress_cmp(&at), Ordering::Greater);
    }
}
