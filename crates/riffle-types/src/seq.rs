//! Sequence numbers and the log's shard keys.
//!
//! A sequence number is a fixed-width decimal string (41 digits):
//!
//! ```text
//! 4 | shard index (10 digits) | counter (20 digits) | stream uid (10 digits)
//! ```
//!
//! Fixed width makes numeric and lexicographic order agree, so clients that compare the strings
//! either way get the same answer. Within a shard the order is the counter's (strictly increasing
//! in write order); across shards it follows the shard index, so children, which always get
//! larger indices, sort after their parents. The stream uid makes numbers unique per stream
//! *instance*: a number from another stream, or from a deleted stream of the same name, is
//! recognisably foreign. Counter 0 is never a record: it is the shard's StartingSequenceNumber.

use std::fmt;

/// Identifies one shard of one stream instance inside the log: `(stream uid, shard index)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardKey(pub u64);

impl ShardKey {
    pub fn new(stream_uid: u32, shard: u32) -> Self {
        Self((u64::from(stream_uid) << 32) | u64::from(shard))
    }

    pub fn stream_uid(self) -> u32 {
        (self.0 >> 32) as u32
    }

    pub fn shard(self) -> u32 {
        self.0 as u32
    }
}

/// Why a string is not one of our sequence numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeqError {
    #[error("not a sequence number issued by this server")]
    Foreign,
}

/// A decoded sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SequenceNumber {
    pub stream_uid: u32,
    pub shard: u32,
    pub counter: u64,
}

const WIDTH: usize = 41;

impl SequenceNumber {
    pub fn new(key: ShardKey, counter: u64) -> Self {
        Self { stream_uid: key.stream_uid(), shard: key.shard(), counter }
    }

    pub fn shard_key(&self) -> ShardKey {
        ShardKey::new(self.stream_uid, self.shard)
    }

    /// Parses a number this server issued. Anything else — other lengths, other prefixes,
    /// fields out of range — is foreign.
    pub fn parse(s: &str) -> Result<Self, SeqError> {
        let b = s.as_bytes();
        if b.len() != WIDTH || b[0] != b'4' || !b.iter().all(u8::is_ascii_digit) {
            return Err(SeqError::Foreign);
        }
        let field = |r: std::ops::Range<usize>| s[r].parse::<u64>().map_err(|_| SeqError::Foreign);
        let shard = u32::try_from(field(1..11)?).map_err(|_| SeqError::Foreign)?;
        let counter = field(11..31)?;
        let stream_uid = u32::try_from(field(31..41)?).map_err(|_| SeqError::Foreign)?;
        Ok(Self { stream_uid, shard, counter })
    }
}

impl SequenceNumber {
    /// The decimal digits, written without the formatting machinery: PutRecords answers with
    /// hundreds of these per request, so this is on the hot path.
    pub fn to_digits(&self) -> [u8; WIDTH] {
        let mut out = [0u8; WIDTH];
        out[0] = b'4';
        put_digits(&mut out[1..11], u64::from(self.shard));
        put_digits(&mut out[11..31], self.counter);
        put_digits(&mut out[31..41], u64::from(self.stream_uid));
        out
    }
}

/// Writes `v` zero-padded into `out`, two digits per division.
pub(crate) fn put_digits(out: &mut [u8], mut v: u64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut i = out.len();
    while i >= 2 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        out[i - 2..i].copy_from_slice(&PAIRS[pair..pair + 2]);
        i -= 2;
    }
    if i == 1 {
        out[0] = b'0' + (v % 10) as u8;
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.to_digits();
        // Only ASCII digits were written.
        f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout() {
        let s = SequenceNumber { stream_uid: 3, shard: 1, counter: 42 };
        assert_eq!(s.to_string(), "40000000001000000000000000000420000000003");
        assert_eq!(SequenceNumber::parse(&s.to_string()), Ok(s));
        assert_eq!(SequenceNumber::parse("0"), Err(SeqError::Foreign));
        assert_eq!(
            SequenceNumber::parse("49546986683135544286507457936321625675700192471156785154"),
            Err(SeqError::Foreign)
        );
    }

    proptest! {
        #[test]
        fn round_trips_and_orders_like_numbers(
            a in (any::<u32>(), any::<u32>(), any::<u64>()),
            b in (any::<u32>(), any::<u64>()),
        ) {
            let x = SequenceNumber { stream_uid: a.0, shard: a.1, counter: a.2 };
            prop_assert_eq!(SequenceNumber::parse(&x.to_string()), Ok(x));
            prop_assert_eq!(x.to_string(), format!("4{:010}{:020}{:010}", x.shard, x.counter, x.stream_uid));
            let y = SequenceNumber { stream_uid: a.0, shard: b.0, counter: b.1 };
            let (xs, ys) = (x.to_string(), y.to_string());
            // Same width, so string order is numeric order; and it follows (shard, counter).
            prop_assert_eq!(xs.cmp(&ys), (x.shard, x.counter).cmp(&(y.shard, y.counter)));
        }
    }
}
