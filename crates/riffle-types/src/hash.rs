//! Hash keys: where a record lands.

use std::fmt;

/// A 128-bit hash key: MD5 of the partition key read as an unsigned big-endian integer, or an
/// explicit hash key given by the producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HashKey(pub u128);

impl HashKey {
    /// Parses a decimal hash key (`0|[1-9]\d{0,38}`) that fits in 128 bits.
    pub fn parse(s: &str) -> Option<Self> {
        if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if s.len() > 1 && s.starts_with('0') {
            return None;
        }
        s.parse::<u128>().ok().map(HashKey)
    }
}

impl fmt::Display for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The hash key Kinesis derives from a partition key.
pub fn partition_key_hash(partition_key: &str) -> HashKey {
    HashKey(u128::from_be_bytes(md5_many::md5(partition_key.as_bytes())))
}

/// The hash keys of many partition keys at once, in order, into `out` (cleared first). Short
/// keys are one MD5 block each, and a block's 64 dependent steps leave a core mostly idle;
/// side by side in SIMD lanes they cost about a seventh of one at a time.
pub fn partition_key_hashes(keys: &[&[u8]], out: &mut Vec<HashKey>) {
    let mut digests = vec![[0u8; 16]; keys.len()];
    md5_many::md5_many(keys, &mut digests);
    out.clear();
    out.extend(digests.iter().map(|d| HashKey(u128::from_be_bytes(*d))));
}

/// An inclusive range of hash keys owned by one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashKeyRange {
    pub start: u128,
    pub end: u128,
}

impl HashKeyRange {
    pub const FULL: HashKeyRange = HashKeyRange { start: 0, end: u128::MAX };

    pub fn contains(&self, key: HashKey) -> bool {
        self.start <= key.0 && key.0 <= self.end
    }
}

/// Splits the key space into `n` shards as AWS does: width floor(2^128 / n), the remainder on
/// the last shard.
pub fn uniform_ranges(n: u32) -> Vec<HashKeyRange> {
    assert!(n > 0, "a stream has at least one shard");
    if n == 1 {
        // 2^128 itself does not fit in a u128.
        return vec![HashKeyRange::FULL];
    }
    // floor(2^128 / n) computed without overflowing: (2^128 - 1) / n, plus one when n divides 2^128.
    let n128 = u128::from(n);
    let mut width = u128::MAX / n128;
    if (u128::MAX % n128) == n128 - 1 {
        width += 1;
    }
    (0..n128)
        .map(|i| HashKeyRange { start: i * width, end: if i == n128 - 1 { u128::MAX } else { (i + 1) * width - 1 } })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: RustCrypto's md-5.
    fn reference(bytes: &[u8]) -> u128 {
        use md5::{Digest, Md5};
        u128::from_be_bytes(Md5::digest(bytes).into())
    }

    #[test]
    fn hash_keys_are_those_kinesis_documents() {
        assert_eq!(partition_key_hash("").to_string(), "281949768489412648962353822266799178366");
        assert_eq!(partition_key_hash("a").0, 0x0cc175b9c0f1b6a831c399e269772661);
    }

    proptest! {
        /// md5-many (a pre-release) agrees with md-5 one key at a time and in batches of any
        /// size and mix of lengths, across block boundaries (55, 56, 63, 64, 119, 120 bytes...).
        #[test]
        fn md5_agrees_with_the_reference(
            keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..80),
        ) {
            let slices: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            let mut batch = Vec::new();
            partition_key_hashes(&slices, &mut batch);
            prop_assert_eq!(batch.len(), keys.len());
            for (k, h) in keys.iter().zip(&batch) {
                prop_assert_eq!(h.0, reference(k));
                prop_assert_eq!(md5_many::md5(k), reference(k).to_be_bytes());
            }
        }
    }

    #[test]
    fn two_shards_split_where_aws_does() {
        let r = uniform_ranges(2);
        assert_eq!(r[1].start.to_string(), "170141183460469231731687303715884105728");
        assert_eq!(r[0].end + 1, r[1].start);
        assert_eq!(r[1].end, u128::MAX);
    }

    #[test]
    fn one_shard_owns_everything() {
        assert_eq!(uniform_ranges(1), vec![HashKeyRange::FULL]);
        assert_eq!(uniform_ranges(4)[1].start, 1u128 << 126);
    }

    #[test]
    fn md5_hash_matches_known_value() {
        // md5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(partition_key_hash("a").0, 0x0cc175b9c0f1b6a831c399e269772661);
    }

    #[test]
    fn hash_key_parse() {
        assert_eq!(HashKey::parse("0"), Some(HashKey(0)));
        assert_eq!(HashKey::parse(&u128::MAX.to_string()), Some(HashKey(u128::MAX)));
        assert_eq!(HashKey::parse("340282366920938463463374607431768211456"), None);
        assert_eq!(HashKey::parse("01"), None);
        assert_eq!(HashKey::parse("-1"), None);
    }

    proptest! {
        #[test]
        fn ranges_tile_the_key_space(n in 1u32..3000) {
            let r = uniform_ranges(n);
            prop_assert_eq!(r.len(), n as usize);
            prop_assert_eq!(r[0].start, 0);
            prop_assert_eq!(r.last().unwrap().end, u128::MAX);
            for w in r.windows(2) {
                prop_assert_eq!(w[0].end + 1, w[1].start);
            }
        }
    }
}
