//! Stream names and shard ids.

use std::fmt;

/// A name fails the `[a-zA-Z0-9_.-]+`, 1–128 rule shared by streams, consumers and shard ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid name {0:?}")]
pub struct NameError(pub String);

/// True when `s` satisfies Kinesis's name rule: 1–128 characters of `[a-zA-Z0-9_.-]`.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A validated stream name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamName(String);

impl StreamName {
    pub fn new(s: impl Into<String>) -> Result<Self, NameError> {
        let s = s.into();
        if is_valid_name(&s) { Ok(Self(s)) } else { Err(NameError(s)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A shard's index within its stream; printed as `shardId-` and 12 zero-padded digits.
///
/// Indices are allocated sequentially and never reused, so a child always has a larger index
/// than its parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(pub u32);

impl ShardId {
    /// Parses `shardId-000000000007`. AWS also accepts the bare index suffix form used by some
    /// tools (`000000000007`), so we do too.
    pub fn parse(s: &str) -> Option<Self> {
        let digits = s.strip_prefix("shardId-").unwrap_or(s);
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u64>().ok().and_then(|v| u32::try_from(v).ok()).map(ShardId)
    }
}

impl ShardId {
    /// `shardId-` and 12 digits, written without the formatting machinery (hot path).
    pub fn to_bytes(self) -> [u8; 20] {
        let mut out = *b"shardId-000000000000";
        crate::seq::put_digits(&mut out[8..], u64::from(self.0));
        out
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_name("a.b-c_D9"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name(&"x".repeat(129)));
        assert!(is_valid_name(&"x".repeat(128)));
    }

    #[test]
    fn shard_ids_round_trip() {
        assert_eq!(ShardId(7).to_string(), "shardId-000000000007");
        assert_eq!(ShardId(u32::MAX).to_string(), format!("shardId-{:012}", u32::MAX));
        assert_eq!(ShardId::parse("shardId-000000000007"), Some(ShardId(7)));
        assert_eq!(ShardId::parse("000000000007"), Some(ShardId(7)));
        assert_eq!(ShardId::parse("shardId-"), None);
        assert_eq!(ShardId::parse("shardId-x1"), None);
        assert_eq!(ShardId::parse("shardId-99999999999"), None);
    }
}
