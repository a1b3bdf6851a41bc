//! The per-shard reducer: user records predicted to land on one shard gather into one KPL
//! aggregate until it is full (count or exact encoded size) or its oldest record's deadline.

use crate::encoder::Encoder;
use crate::record::{KinesisRecord, UserRecord};
use std::collections::VecDeque;
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub enabled: bool,
    pub max_count: u64,
    pub max_size: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Aggregator {
    encoder: Encoder,
    users: Vec<UserRecord>,
    /// When the pipeline put the first record into the open aggregate (its records may have
    /// arrived long before, when the pipeline is behind).
    opened: Option<Instant>,
    /// User records in the last aggregate closed.
    last_count: usize,
    /// The open aggregate's earliest expiry, so the sweep for expired records looks at one
    /// time per shard, not every record buffered.
    expiry: Option<Instant>,
}

impl Aggregator {
    /// When the open aggregate must go: its oldest record's deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.users.first().map(UserRecord::deadline)
    }

    /// When the pipeline opened the aggregate.
    pub fn opened(&self) -> Option<Instant> {
        self.opened.filter(|_| !self.users.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Adds a user record; aggregates that fill up are pushed onto `out` in order.
    pub fn add(&mut self, user: UserRecord, limits: Limits, out: &mut VecDeque<KinesisRecord>) {
        if !limits.enabled {
            out.push_back(KinesisRecord::pack(vec![user], None));
            return;
        }
        let (pk, ehk) = (user.partition_key.as_bytes(), user.explicit.then_some(user.hash_key));
        if !self.encoder.try_push(pk, ehk, &user.data, limits.max_size) {
            out.extend(self.close_with(true));
            self.encoder.try_push(pk, ehk, &user.data, limits.max_size);
        }
        if self.users.is_empty() {
            self.opened = Some(Instant::now());
            // Room for as many as the last aggregate held, taken only once one opens.
            self.users.reserve(self.last_count);
        }
        let expiry = user.expiry();
        self.expiry = Some(self.expiry.map_or(expiry, |e| e.min(expiry)));
        self.users.push(user);
        // A record too big to share goes alone, and so does whatever reaches a limit.
        if self.users.len() as u64 >= limits.max_count || self.encoder.encoded_len() >= limits.max_size {
            out.extend(self.close_with(true));
        }
    }

    /// Closes the open aggregate, if any, onto `out`.
    pub fn close_into(&mut self, out: &mut VecDeque<KinesisRecord>) {
        if let Some(r) = self.close() {
            out.push_back(r);
        }
    }

    pub fn close(&mut self) -> Option<KinesisRecord> {
        self.close_with(false)
    }

    /// Closes the open aggregate; `full` when it closes for being full, so the next one will
    /// likely fill too and keeps the buffers (closed at a deadline, the shard is not that busy
    /// and they are freed).
    fn close_with(&mut self, full: bool) -> Option<KinesisRecord> {
        if self.users.is_empty() {
            return None;
        }
        self.last_count = self.users.len();
        self.expiry = None;
        let users = std::mem::replace(&mut self.users, Vec::with_capacity(if full { self.last_count } else { 0 }));
        // One record goes raw: no aggregate to finish.
        let encoded = if users.len() > 1 {
            Some(self.encoder.finish(full))
        } else {
            self.encoder.clear(full);
            None
        };
        Some(KinesisRecord::pack(users, encoded))
    }

    /// Takes out expired user records (the aggregate is rebuilt from the rest).
    pub fn take_expired(&mut self, now: Instant) -> Vec<UserRecord> {
        if self.expiry.is_none_or(|e| e > now) {
            return Vec::new();
        }
        let (expired, live): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.users).into_iter().partition(|u| u.expiry() <= now);
        self.encoder.clear(true);
        for u in &live {
            self.encoder.try_push(u.partition_key.as_bytes(), u.explicit.then_some(u.hash_key), &u.data, usize::MAX);
        }
        self.expiry = live.iter().map(UserRecord::expiry).min();
        self.users = live;
        expired
    }

    /// Everything buffered, for re-routing after the shard map changed.
    pub fn drain(&mut self) -> Vec<UserRecord> {
        self.encoder.clear(false);
        self.expiry = None;
        std::mem::take(&mut self.users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use riffle_proto::agg::deaggregate;

    fn user(key: &str, data: Vec<u8>) -> UserRecord {
        crate::record::test_user(key, data, Instant::now())
    }

    fn keys(users: &[UserRecord]) -> Vec<&str> {
        users.iter().map(|u| u.partition_key.as_str()).collect()
    }

    proptest! {
        /// Whatever the limits, aggregates respect them (a lone oversized record aside), hold
        /// every record exactly once in order, and decode to exactly what went in.
        #[test]
        fn limits_are_respected_and_nothing_is_lost(
            sizes in proptest::collection::vec(0usize..3000, 1..200),
            max_count in 1u64..50,
            max_size in 64usize..8000,
        ) {
            let limits = Limits { enabled: true, max_count, max_size };
            let mut agg = Aggregator::default();
            let mut out = VecDeque::new();
            for (i, n) in sizes.iter().enumerate() {
                // The record's number in its first 4 bytes, to check the order it comes out in.
                let mut data = (i as u32).to_le_bytes().to_vec();
                data.resize((*n).max(4), i as u8);
                let mut u = user(&format!("k{}", i % 7), data);
                // Some with explicit hash keys, a few of them repeated.
                if i % 3 == 0 {
                    u.explicit = true;
                    u.hash_key = (i % 5) as u128 * 0x1234_5678_9abc_def0_1234_5678_9abc;
                }
                agg.add(u, limits, &mut out);
            }
            agg.close_into(&mut out);
            KinesisRecord::seal_all(out.iter_mut());
            let mut next = 0u32;
            for r in &out {
                prop_assert!(r.users.len() as u64 <= max_count);
                if r.users.len() > 1 {
                    prop_assert!(r.data.len() <= max_size, "{} > {}", r.data.len(), max_size);
                    prop_assert!(r.aggregated);
                    let inner = deaggregate(&r.data).unwrap();
                    prop_assert_eq!(inner.len(), r.users.len());
                    for (d, u) in inner.iter().zip(&r.users) {
                        prop_assert_eq!(d.partition_key.as_str(), u.partition_key.as_str());
                        prop_assert_eq!(&d.explicit_hash_key, &u.explicit_hash_key());
                        prop_assert_eq!(&d.data[..], &u.data[..]);
                    }
                } else {
                    prop_assert_eq!(&r.data, &r.users[0].data);
                }
                for u in &r.users {
                    prop_assert_eq!(u32::from_le_bytes(u.data[..4].try_into().unwrap()), next);
                    next += 1;
                }
            }
            prop_assert_eq!(next as usize, sizes.len());
        }
    }

    #[test]
    fn expired_records_leave_the_open_aggregate() {
        let mut agg = Aggregator::default();
        let mut out = VecDeque::new();
        let limits = Limits { enabled: true, max_count: 100, max_size: 51_200 };
        let mut old = user("a", b"old".to_vec());
        old.expire_now();
        // The expired record behind a live one (a record routed again joins at the back).
        agg.add(user("b", b"new".to_vec()), limits, &mut out);
        agg.add(old, limits, &mut out);
        let now = Instant::now();
        let expired = agg.take_expired(now);
        assert_eq!(keys(&expired), ["a"]);
        assert!(agg.take_expired(now).is_empty());
        agg.add(user("c", b"newer".to_vec()), limits, &mut out);
        let r = agg.close().unwrap();
        assert_eq!(keys(&r.users), ["b", "c"]);
        agg.add(user("d", b"last".to_vec()), limits, &mut out);
        assert!(agg.take_expired(now).is_empty(), "a closed aggregate's times are gone with it");
        assert_eq!(agg.take_expired(now + std::time::Duration::from_secs(31)).len(), 1, "the TTL is 30 s");
        let lone = user("e", b"alone".to_vec());
        agg.add(lone, limits, &mut out);
        let r = agg.close().unwrap();
        assert!(!r.aggregated, "one record left goes raw");
        assert_eq!(&r.data[..], b"alone");
    }
}
