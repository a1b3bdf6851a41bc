//! User records (what callers put) and Kinesis records (what PutRecords carries: one user
//! record alone, or many in a KPL aggregate).

use crate::encoder::{Encoder, Unsealed};
use crate::outcome::{History, RecordResult};
use bytes::Bytes;
use riffle_proto::agg::AGGREGATE_PARTITION_KEY;
use std::time::Instant;
use tokio::sync::oneshot;

/// A record as `put` accepted it, with its bookkeeping until it is answered.
#[derive(Debug)]
pub(crate) struct UserRecord {
    /// Intake order, for flush barriers.
    pub id: u64,
    pub partition_key: Key,
    /// As the caller gave it (decimal), if they did.
    pub explicit_hash_key: Option<Box<str>>,
    /// Where it lands: the explicit hash key, or the partition key's MD5 (set by the pipeline
    /// as it takes the record in; 0 until then).
    pub hash_key: u128,
    pub data: Bytes,
    /// When it should be on its way: arrival + RecordMaxBufferedTime.
    pub deadline: Instant,
    /// When it fails as expired: arrival + RecordTtl.
    pub expiry: Instant,
    /// Arrival and attempts.
    pub history: History,
    pub reply: Option<oneshot::Sender<RecordResult>>,
}

impl UserRecord {
    /// What the record holds of the memory cap.
    pub fn size(&self) -> usize {
        user_record_size(&self.partition_key, self.explicit_hash_key.as_deref(), self.data.len())
    }
}

/// Partition keys up to this long (a UUID's 36 characters fit) are held inline.
const INLINE_KEY: usize = 38;

/// A partition key, held without an allocation when short, as nearly all are. `put`
/// allocates on the caller's threads and the pipeline frees on its own, a pattern that keeps
/// malloc off its per-thread fast paths; a key is also on every user record, so this saves
/// an allocation and a free per record.
#[derive(Clone)]
pub(crate) enum Key {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<str>),
}

impl Key {
    pub fn new(key: &str) -> Self {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= INLINE_KEY => {
                let mut bytes = [0; INLINE_KEY];
                bytes[..key.len()].copy_from_slice(key.as_bytes());
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(key.into()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Always valid: the bytes were copied from a `str` (the check is cheap at this size).
            Key::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Key::Heap(key) => key,
        }
    }
}

impl std::ops::Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

pub(crate) fn user_record_size(partition_key: &str, explicit_hash_key: Option<&str>, data_len: usize) -> usize {
    partition_key.len() + explicit_hash_key.map_or(0, str::len) + data_len
}

/// One entry of a PutRecords call.
#[derive(Debug)]
pub(crate) struct KinesisRecord {
    pub users: Vec<UserRecord>,
    pub aggregated: bool,
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    /// Empty while a call carries it (see [`KinesisRecord::take_data`]), and while an
    /// aggregate waits for its trailer.
    pub data: Bytes,
    /// An aggregate until [`KinesisRecord::seal_all`] adds its trailer.
    unsealed: Option<Unsealed>,
    /// The data's length, also while it is away.
    pub data_len: usize,
    pub deadline: Instant,
    pub expiry: Instant,
}

impl KinesisRecord {
    /// What it counts against a PutRecords call's size: data and partition key, as Kinesis
    /// counts.
    pub fn size(&self) -> usize {
        self.data_len + self.partition_key.len()
    }

    /// Moves the data out for a call, so the SDK takes an aggregate's bytes without a copy
    /// (a `Bytes` it alone holds). A record to be sent again gets it back from
    /// [`KinesisRecord::restore_data`].
    pub fn take_data(&mut self) -> Bytes {
        debug_assert!(self.unsealed.is_none(), "sealed before it is sent");
        std::mem::take(&mut self.data)
    }

    /// Adds their MD5 trailers to the aggregates among `records` still without one, all in
    /// one batch (see [`Unsealed`]).
    pub fn seal_all<'a>(records: impl IntoIterator<Item = &'a mut KinesisRecord>) {
        let mut waiting: Vec<&mut KinesisRecord> = records.into_iter().filter(|r| r.unsealed.is_some()).collect();
        let unsealed = waiting.iter_mut().filter_map(|r| r.unsealed.take()).collect();
        for (r, bytes) in waiting.into_iter().zip(Unsealed::seal_all(unsealed)) {
            debug_assert_eq!(bytes.len(), r.data_len);
            r.data = Bytes::from(bytes);
        }
    }

    /// Rebuilds the data taken by [`KinesisRecord::take_data`] from the user records (the
    /// same bytes: the encoding depends only on them).
    pub fn restore_data(&mut self) {
        if self.unsealed.is_none() && self.data.len() != self.data_len {
            let users = std::mem::take(&mut self.users);
            let again = Self::pack(users, None);
            debug_assert_eq!(again.data_len, self.data_len);
            *self = Self { deadline: self.deadline, expiry: self.expiry, ..again };
        }
    }

    /// Packs user records, in order, into one Kinesis record: alone when there is one (as the
    /// KPL sends single records raw), else an aggregate routed by its first record's hash key
    /// (`encoded`: the aggregate's bytes, when already built).
    pub fn pack(users: Vec<UserRecord>, encoded: Option<Unsealed>) -> Self {
        let deadline = users.iter().map(|u| u.deadline).min().expect("at least one user record");
        let expiry = users.iter().map(|u| u.expiry).min().expect("at least one user record");
        if users.len() == 1 {
            let u = &users[0];
            return Self {
                partition_key: u.partition_key.to_string(),
                explicit_hash_key: u.explicit_hash_key.as_deref().map(str::to_string),
                data: u.data.clone(),
                unsealed: None,
                data_len: u.data.len(),
                aggregated: false,
                users,
                deadline,
                expiry,
            };
        }
        let encoded = encoded.unwrap_or_else(|| {
            let mut e = Encoder::default();
            for u in &users {
                e.try_push(&u.partition_key, u.explicit_hash_key.as_deref(), &u.data, usize::MAX);
            }
            e.finish(false)
        });
        Self {
            partition_key: AGGREGATE_PARTITION_KEY.to_string(),
            explicit_hash_key: Some(users[0].hash_key.to_string()),
            data_len: encoded.sealed_len(),
            data: Bytes::new(),
            unsealed: Some(encoded),
            aggregated: true,
            users,
            deadline,
            expiry,
        }
    }

    /// Takes out the user records whose time is up; the rest are packed again (or `None` is
    /// left when nothing remains).
    pub fn split_expired(self, now: Instant) -> (Option<Self>, Vec<UserRecord>) {
        if self.expiry > now {
            return (Some(self), Vec::new());
        }
        let (expired, live): (Vec<_>, Vec<_>) = self.users.into_iter().partition(|u| u.expiry <= now);
        let rest = (!live.is_empty()).then(|| Self::pack(live, None));
        (rest, expired)
    }

    /// Whether any user record shares a hash key with `taken` (the keys already in a request
    /// for this shard): two such records in one request could be written out of order if the
    /// first fails and the second does not.
    pub fn conflicts(&self, taken: &KeySet) -> bool {
        !taken.is_empty() && self.users.iter().any(|u| taken.contains(&u.hash_key))
    }
}

/// Hash keys (already MD5 outputs, so uniformly spread): hashed by taking their low bits,
/// since SipHash over every user record of a call would be wasted work. The same hasher
/// passes through the foldhash outputs the aggregate encoder indexes its tables by.
pub(crate) type KeySet = std::collections::HashSet<u128, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// A user record for tests: `deadline` as given, a TTL of 30 s from now, no reply.
#[cfg(test)]
pub(crate) fn test_user(id: u64, key: &str, data: Vec<u8>, deadline: Instant) -> UserRecord {
    let now = Instant::now();
    UserRecord {
        id,
        partition_key: Key::new(key),
        explicit_hash_key: None,
        hash_key: riffle_types::partition_key_hash(key).0,
        data: Bytes::from(data),
        deadline,
        expiry: now + std::time::Duration::from_secs(30),
        history: History::new(now),
        reply: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_short_and_long_read_back_as_given() {
        for key in ["k", "ключ-😀", &"x".repeat(INLINE_KEY), &"y".repeat(INLINE_KEY + 1), &"z".repeat(256)] {
            let k = Key::new(key);
            assert_eq!(&*k, key);
            assert_eq!(matches!(k, Key::Inline { .. }), key.len() <= INLINE_KEY);
        }
    }

    #[test]
    fn data_taken_for_a_call_comes_back_identical() {
        let now = Instant::now();
        let users = |n: u64| (0..n).map(|i| test_user(i, &format!("k{i}"), vec![i as u8; 7], now)).collect();
        for n in [1, 3] {
            let mut r = KinesisRecord::pack(users(n), None);
            KinesisRecord::seal_all([&mut r]);
            let (size, data) = (r.size(), r.data.clone());
            let taken = r.take_data();
            assert_eq!((taken, r.size()), (data.clone(), size), "the size holds while the data is away");
            r.restore_data();
            KinesisRecord::seal_all([&mut r]);
            assert_eq!((&r.data, r.size(), r.users.len()), (&data, size, n as usize));
        }
    }
}
