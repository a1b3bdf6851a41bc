//! User records (what callers put) and Kinesis records (what PutRecords carries: one user
//! record alone, or many in a KPL aggregate).

use crate::encoder::{Encoder, Unsealed};
pub(crate) use crate::key_hash::{KeyHasher, KeySet};
use crate::outcome::{Answer, History};
use bytes::Bytes;
use riffle_proto::agg::AGGREGATE_PARTITION_KEY;
use std::time::{Duration, Instant};

/// A record as `put` accepted it, with its bookkeeping until it is answered.
///
/// Kept small (144 bytes): the pipeline moves each one several times (through the intake,
/// into its aggregate, out to its answer), so the times are offsets and an explicit hash key
/// is not held as text.
#[derive(Debug)]
pub(crate) struct UserRecord {
    /// How many flush barriers were set before the pipeline took it in: a barrier counts the
    /// records below its own epoch (see [`taken_before`]).
    pub epoch: u32,
    /// Whether the caller gave an explicit hash key: it is then `hash_key`, whose decimal
    /// has one spelling (`put` accepts no other), so the text need not be kept.
    pub explicit: bool,
    pub partition_key: Key,
    /// Where it lands: the explicit hash key, or the partition key's MD5 (set by the pipeline
    /// as it takes the record in; 0 until then).
    pub hash_key: u128,
    pub data: Bytes,
    /// Milliseconds from arrival until it should be on its way (RecordMaxBufferedTime; a flush
    /// brings it forward).
    hold_ms: u32,
    /// Milliseconds from arrival until it fails as expired (RecordTtl).
    ttl_ms: u32,
    /// Arrival and attempts.
    pub history: History,
    /// Where its answer goes (a sender, not an `Option` of one: that would add 8 bytes).
    pub reply: oneshot::Sender<Answer>,
}

impl UserRecord {
    /// A record that arrived `now`, due after `hold` and expiring after `ttl`.
    pub fn new(
        partition_key: Key,
        explicit_hash_key: Option<u128>,
        data: Bytes,
        (now, hold, ttl): (Instant, Duration, Duration),
        reply: oneshot::Sender<Answer>,
    ) -> Self {
        Self {
            epoch: 0,
            explicit: explicit_hash_key.is_some(),
            partition_key,
            hash_key: explicit_hash_key.unwrap_or(0),
            data,
            hold_ms: millis(hold),
            ttl_ms: millis(ttl),
            history: History::new(now),
            reply,
        }
    }

    /// What the record holds of the memory cap.
    pub fn size(&self) -> usize {
        let explicit = if self.explicit { self.hash_key.checked_ilog10().map_or(1, |d| d as usize + 1) } else { 0 };
        self.partition_key.len() + explicit + self.data.len()
    }

    /// When it should be on its way.
    pub fn deadline(&self) -> Instant {
        self.history.arrival() + Duration::from_millis(self.hold_ms.into())
    }

    /// When it fails as expired.
    pub fn expiry(&self) -> Instant {
        self.history.arrival() + Duration::from_millis(self.ttl_ms.into())
    }

    /// Makes it due by `now` (a flush).
    pub fn hurry(&mut self, now: Instant) {
        self.hold_ms = self.hold_ms.min(millis(now.saturating_duration_since(self.history.arrival())));
    }

    /// The explicit hash key as the caller gave it, if they did.
    pub fn explicit_hash_key(&self) -> Option<String> {
        self.explicit.then(|| self.hash_key.to_string())
    }

    #[cfg(test)]
    pub fn expire_now(&mut self) {
        self.ttl_ms = 0;
    }
}

/// Whether a record of `epoch` was taken before the barrier that began epoch `mark`, counting
/// epochs modulo 2^32 (the 4 bytes keep a record at 144): right while fewer than 2^31 barriers
/// are set during one record's life. Epochs advance only with `flush_and_wait`, each of which
/// waits for the records before it, so that is out of any real program's reach; an id per
/// record would wrap after 2^31 puts, half an hour at full speed.
pub(crate) fn taken_before(epoch: u32, mark: u32) -> bool {
    mark.wrapping_sub(epoch).wrapping_sub(1) < 1 << 31
}

/// A duration in whole milliseconds, saturating: anything from 49.7 days up counts as 49.7
/// days (a hold or TTL that long is "never" in practice).
fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
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
            // Always valid: the bytes were copied from a `str`. Checked all the same (no
            // unsafe code here), so the record path reads bytes and lengths, not this.
            Key::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Key::Heap(key) => key,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Key::Heap(key) => key.as_bytes(),
        }
    }

    /// In bytes.
    pub fn len(&self) -> usize {
        match self {
            Key::Inline { len, .. } => usize::from(*len),
            Key::Heap(key) => key.len(),
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

/// What a record holds of the memory cap, as [`UserRecord::size`] counts it.
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
        let deadline = users.iter().map(UserRecord::deadline).min().expect("at least one user record");
        let expiry = users.iter().map(UserRecord::expiry).min().expect("at least one user record");
        if users.len() == 1 {
            let u = &users[0];
            return Self {
                partition_key: u.partition_key.to_string(),
                explicit_hash_key: u.explicit_hash_key(),
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
                e.try_push(u.partition_key.as_bytes(), u.explicit.then_some(u.hash_key), &u.data, usize::MAX);
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
        let (expired, live): (Vec<_>, Vec<_>) = self.users.into_iter().partition(|u| u.expiry() <= now);
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

/// A user record for tests: due at `deadline` (it arrived then, with no hold), a TTL of
/// 30 s, no one waiting for the answer.
#[cfg(test)]
pub(crate) fn test_user(key: &str, data: Vec<u8>, deadline: Instant) -> UserRecord {
    let times = (deadline, Duration::ZERO, Duration::from_secs(30));
    let mut u = UserRecord::new(Key::new(key), None, Bytes::from(data), times, oneshot::channel().0);
    u.hash_key = riffle_types::partition_key_hash(key).0;
    u
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

    /// The layout the pipeline's copies are sized by (see [`UserRecord`]).
    #[test]
    fn a_user_record_stays_small() {
        assert!(std::mem::size_of::<UserRecord>() <= 144, "{}", std::mem::size_of::<UserRecord>());
    }

    #[test]
    fn an_explicit_hash_key_reads_back_and_counts_as_given() {
        for key in ["0", "7", "10", "340282366920938463463374607431768211455"] {
            let hash = riffle_types::HashKey::parse(key).unwrap().0;
            let times = (Instant::now(), Duration::ZERO, Duration::ZERO);
            let u =
                UserRecord::new(Key::new("pk"), Some(hash), Bytes::from_static(b"abc"), times, oneshot::channel().0);
            assert_eq!(u.explicit_hash_key().as_deref(), Some(key));
            assert_eq!(u.size(), user_record_size("pk", Some(key), 3));
        }
    }

    #[test]
    fn times_are_kept_as_offsets_from_arrival() {
        let now = Instant::now();
        let hold = Duration::from_millis(100);
        let new =
            |hold, ttl| UserRecord::new(Key::new("k"), None, Bytes::new(), (now, hold, ttl), oneshot::channel().0);
        let mut u = new(hold, Duration::from_secs(30));
        assert_eq!((u.deadline(), u.expiry()), (now + hold, now + Duration::from_secs(30)));
        u.hurry(now + Duration::from_millis(40));
        assert_eq!(u.deadline(), now + Duration::from_millis(40));
        u.hurry(now + Duration::from_secs(1));
        assert_eq!(u.deadline(), now + Duration::from_millis(40), "a flush never delays");
        let forever = new(Duration::MAX, Duration::MAX);
        assert!(forever.expiry() > now + Duration::from_secs(86_400 * 40));
    }

    #[test]
    fn barrier_epochs_survive_the_count_wrapping() {
        for mark in [0u32, 1, 1000, u32::MAX, u32::MAX - 5, 1 << 31] {
            for back in 1..=3u32 {
                assert!(taken_before(mark.wrapping_sub(back), mark), "{mark} - {back}");
            }
            for ahead in 0..=3u32 {
                assert!(!taken_before(mark.wrapping_add(ahead), mark), "{mark} + {ahead}");
            }
        }
    }

    #[test]
    fn data_taken_for_a_call_comes_back_identical() {
        let now = Instant::now();
        let users = |n: u8| (0..n).map(|i| test_user(&format!("k{i}"), vec![i; 7], now)).collect();
        for n in [1, 3] {
            let mut r = KinesisRecord::pack(users(n), None);
            KinesisRecord::seal_all([&mut r]);
            let (size, data) = (r.size(), r.data.clone());
            let taken = r.take_data();
            assert_eq!((taken, r.size()), (data.clone(), size), "the size holds while the data is away");
            r.restore_data();
            KinesisRecord::seal_all([&mut r]);
            assert_eq!((&r.data, r.size(), r.users.len()), (&data, size, usize::from(n)));
        }
    }
}
