//! The producer's KPL aggregate encoder: the bytes `riffle_proto::agg` defines (magic,
//! protobuf `AggregatedRecord`, MD5 trailer), identical to what its `AggregateBuilder` gives
//! for the same records (a property test holds it to that), built for the record path.
//!
//! `AggregateBuilder` keys its tables by owned `String`s under SipHash and grows its buffers
//! by doubling: an allocation and three hashings of every new partition key, and a string of
//! reallocations as an aggregate fills. Here a key is hashed once (foldhash), looked up once,
//! and stored only in the encoded table (a hit is confirmed against those bytes); the buffers
//! of a new aggregate are sized from the previous one, so filling one rarely reallocates; and
//! the size check and the push are one step.

use crate::record::KeyHasher;
use prost::encoding::encoded_len_varint;
use riffle_proto::agg::{DIGEST_LEN, MAGIC, OVERHEAD};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};

/// Protobuf keys of the fields written: tables (1, 2) and records (3) of the message, and the
/// fields of a record (index 1 and 2 as varints, data 3 length-delimited).
const PK_TABLE_KEY: u8 = 0x0A;
const EHK_TABLE_KEY: u8 = 0x12;
const RECORD_KEY: u8 = 0x1A;
const PK_INDEX_KEY: u8 = 0x08;
const EHK_INDEX_KEY: u8 = 0x10;
const DATA_KEY: u8 = 0x1A;

/// A table of distinct keys, as encoded entries plus an index from a key's hash to its
/// position.
#[derive(Debug, Default)]
struct Table {
    bytes: Vec<u8>,
    /// Where each entry's key bytes sit in `bytes`.
    spans: Vec<(u32, u32)>,
    /// Keyed by foldhash outputs, used as they are.
    index: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
}

impl Table {
    /// The index of `key`, or `None` with the index it would get.
    fn find(&self, hash: u64, key: &[u8]) -> Result<u64, u64> {
        match self.index.get(&hash) {
            Some(&i) => {
                let (at, len) = self.spans[i as usize];
                // A 64-bit collision between two keys is confirmed away here; the newcomer
                // then gets an entry of its own (a table may repeat a key).
                if &self.bytes[at as usize..(at + len) as usize] == key {
                    Ok(u64::from(i))
                } else {
                    Err(self.spans.len() as u64)
                }
            }
            None => Err(self.spans.len() as u64),
        }
    }

    fn add(&mut self, tag: u8, hash: u64, key: &[u8]) {
        let i = self.spans.len() as u32;
        self.bytes.push(tag);
        put_varint(key.len() as u64, &mut self.bytes);
        self.spans.push((self.bytes.len() as u32, key.len() as u32));
        self.bytes.extend_from_slice(key);
        self.index.entry(hash).or_insert(i);
    }

    /// Empties the table, keeping its memory or freeing it; returns its sizes.
    fn clear(&mut self, keep: bool) -> (usize, usize) {
        let sizes = (self.bytes.len(), self.spans.len());
        if keep {
            self.bytes.clear();
            self.spans.clear();
            self.index.clear();
        } else {
            *self = Self::default();
        }
        sizes
    }

    fn reserve(&mut self, (bytes, spans): (usize, usize)) {
        self.bytes.reserve(bytes);
        self.spans.reserve(spans);
        self.index.reserve(spans);
    }
}

/// `v` in decimal (the one spelling Kinesis accepts), written into `buf`: an explicit hash key
/// is written out for every record that has one, so without an allocation.
fn decimal(v: u128, buf: &mut [u8; 39]) -> &[u8] {
    use std::io::Write;
    let len = {
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        write!(cursor, "{v}").expect("u128::MAX has 39 digits");
        cursor.position() as usize
    };
    &buf[..len]
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

/// One aggregate being built.
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    hasher: foldhash::fast::RandomState,
    partition_keys: Table,
    hash_keys: Table,
    records: Vec<u8>,
    count: usize,
    /// The sizes of the previous aggregate's tables and records, to size the next one's.
    sizes: [(usize, usize); 2],
    records_size: usize,
}

impl Encoder {
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes [`Encoder::finish`] would return now.
    pub fn encoded_len(&self) -> usize {
        OVERHEAD + self.partition_keys.bytes.len() + self.hash_keys.bytes.len() + self.records.len()
    }

    /// Adds a user record if the aggregate stays within `max_size` bytes with it; an empty
    /// aggregate takes any record.
    pub fn try_push(
        &mut self,
        partition_key: &[u8],
        explicit_hash_key: Option<u128>,
        data: &[u8],
        max_size: usize,
    ) -> bool {
        let mut text = [0; 39];
        let explicit_hash_key = explicit_hash_key.map(|k| decimal(k, &mut text));
        let pk_hash = self.hasher.hash_one(partition_key);
        let pk = self.partition_keys.find(pk_hash, partition_key);
        let ehk = explicit_hash_key.map(|k| {
            let hash = self.hasher.hash_one(k);
            (hash, k, self.hash_keys.find(hash, k))
        });
        let pk_index = pk.unwrap_or_else(|i| i);
        let mut inner = 1 + encoded_len_varint(pk_index) + field_len(data.len());
        let mut grow = pk.err().map_or(0, |_| field_len(partition_key.len()));
        if let Some((_, k, found)) = ehk {
            inner += 1 + encoded_len_varint(found.unwrap_or_else(|i| i));
            grow += found.err().map_or(0, |_| field_len(k.len()));
        }
        grow += field_len(inner);
        if self.count > 0 && self.encoded_len() + grow > max_size {
            return false;
        }
        if self.count == 0 {
            // Room for as much as the last aggregate held, so filling this one rarely
            // reallocates; taken only now, so an idle shard holds no buffers.
            self.partition_keys.reserve(self.sizes[0]);
            self.hash_keys.reserve(self.sizes[1]);
            self.records.reserve(self.records_size);
        }
        if pk.is_err() {
            self.partition_keys.add(PK_TABLE_KEY, pk_hash, partition_key);
        }
        let out = &mut self.records;
        out.push(RECORD_KEY);
        put_varint(inner as u64, out);
        out.push(PK_INDEX_KEY);
        put_varint(pk_index, out);
        if let Some((hash, k, found)) = ehk {
            if found.is_err() {
                self.hash_keys.add(EHK_TABLE_KEY, hash, k);
            }
            out.push(EHK_INDEX_KEY);
            put_varint(found.unwrap_or_else(|i| i), out);
        }
        out.push(DATA_KEY);
        put_varint(data.len() as u64, out);
        out.extend_from_slice(data);
        self.count += 1;
        true
    }

    /// The aggregate's bytes but its MD5 trailer (see [`Unsealed`]); the encoder is left
    /// empty, ready for the next one, with its buffers kept if `keep` (see [`Encoder::clear`]).
    pub fn finish(&mut self, keep: bool) -> Unsealed {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.partition_keys.bytes);
        out.extend_from_slice(&self.hash_keys.bytes);
        out.extend_from_slice(&self.records);
        self.clear(keep);
        Unsealed(out)
    }

    /// Empties the encoder. With `keep` (a busy shard, whose aggregates fill up) its buffers
    /// stay for the next aggregate; else they are freed, so an idle shard holds no memory, and
    /// the next aggregate's are sized like this one's when it opens.
    pub fn clear(&mut self, keep: bool) {
        self.sizes = [self.partition_keys.clear(keep), self.hash_keys.clear(keep)];
        self.records_size = self.records.len();
        if keep {
            self.records.clear();
        } else {
            self.records = Vec::new();
        }
        self.count = 0;
    }
}

/// An aggregate waiting for its MD5 trailer (capacity for it reserved). The digests are
/// computed for every aggregate of a PutRecords call at once, side by side in SIMD lanes: one
/// MD5 stream is a chain of dependent steps that leaves a core mostly idle, and an aggregate's
/// trailer hashes all its bytes.
#[derive(Debug)]
pub(crate) struct Unsealed(Vec<u8>);

impl Unsealed {
    /// Its length once sealed.
    pub fn sealed_len(&self) -> usize {
        self.0.len() + DIGEST_LEN
    }

    /// Appends the trailers of all `aggregates`, in one batch.
    pub fn seal_all(aggregates: Vec<Unsealed>) -> Vec<Vec<u8>> {
        let mut digests = vec![[0u8; DIGEST_LEN]; aggregates.len()];
        let bodies: Vec<&[u8]> = aggregates.iter().map(|a| &a.0[MAGIC.len()..]).collect();
        md5_many::md5_many(&bodies, &mut digests);
        aggregates
            .into_iter()
            .zip(digests)
            .map(|(Unsealed(mut bytes), digest)| {
                bytes.extend_from_slice(&digest);
                bytes
            })
            .collect()
    }

    #[cfg(test)]
    pub fn seal(self) -> Vec<u8> {
        Self::seal_all(vec![self]).pop().expect("one in, one out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use riffle_proto::agg::{AggregateBuilder, deaggregate};

    fn value(ehk: &Option<String>) -> Option<u128> {
        ehk.as_ref().map(|k| k.parse().expect("generated as a u128's decimal"))
    }

    #[test]
    fn hash_keys_are_written_out_in_decimal() {
        let mut buf = [0; 39];
        for v in [0, 7, 10, u128::from(u64::MAX) + 1, u128::MAX] {
            assert_eq!(decimal(v, &mut buf), v.to_string().as_bytes());
        }
    }

    fn user_records() -> impl Strategy<Value = Vec<(String, Option<String>, Vec<u8>)>> {
        let key = prop_oneof!["[a-c]", "\\PC{1,40}"];
        let ehk = proptest::option::of(prop_oneof![Just("0".to_string()), any::<u128>().prop_map(|k| k.to_string())]);
        proptest::collection::vec((key, ehk, proptest::collection::vec(any::<u8>(), 0..300)), 1..60)
    }

    proptest! {
        /// Byte for byte what `riffle_proto`'s builder gives, over several aggregates from one
        /// encoder (so a cleared encoder forgets its tables), and the size it predicts.
        #[test]
        fn encodes_exactly_as_the_reference_builder(records in user_records(), again in user_records()) {
            let mut enc = Encoder::default();
            for batch in [&records, &again, &records] {
                let mut reference = AggregateBuilder::new();
                for (pk, ehk, data) in batch {
                    prop_assert!(enc.try_push(pk.as_bytes(), value(ehk), data, usize::MAX));
                    reference.push(pk, ehk.as_deref(), data);
                    prop_assert_eq!(enc.encoded_len(), reference.encoded_len());
                }
                let bytes = enc.finish(batch.len() % 2 == 0).seal();
                prop_assert_eq!(&bytes, &reference.finish());
                prop_assert_eq!(deaggregate(&bytes).unwrap().len(), batch.len());
                prop_assert!(enc.is_empty());
            }
        }

        /// A record that would take the aggregate past the limit is refused and leaves it as
        /// it was.
        #[test]
        fn refuses_what_does_not_fit(records in user_records(), max_size in 30usize..4000) {
            let mut enc = Encoder::default();
            let mut reference = AggregateBuilder::new();
            for (pk, ehk, data) in &records {
                let fits = reference.is_empty()
                    || reference.encoded_len_with(pk, ehk.as_deref(), data.len()) <= max_size;
                prop_assert_eq!(enc.try_push(pk.as_bytes(), value(ehk), data, max_size), fits);
                if fits {
                    reference.push(pk, ehk.as_deref(), data);
                }
                prop_assert_eq!(enc.encoded_len(), reference.encoded_len());
            }
            prop_assert_eq!(enc.finish(false).seal(), reference.finish());
        }
    }

    #[test]
    fn a_hash_collision_gets_its_own_table_entry() {
        let mut enc = Encoder::default();
        assert!(enc.try_push(b"a", None, b"1", usize::MAX));
        // Forge a collision: "b" indexed under "a"'s hash (hashed as `try_push` hashes it).
        let hash = enc.hasher.hash_one(b"b".as_slice());
        let a = *enc.partition_keys.index.values().next().unwrap();
        enc.partition_keys.index.insert(hash, a);
        assert_eq!(enc.partition_keys.find(hash, b"b"), Err(1), "found under the hash, refused by the bytes");
        assert!(enc.try_push(b"b", None, b"2", usize::MAX));
        assert_eq!(enc.partition_keys.spans.len(), 2, "an entry of its own");
        let out = deaggregate(&enc.finish(false).seal()).unwrap();
        assert_eq!(out[0].partition_key, "a");
        assert_eq!(out[1].partition_key, "b");
    }
}
