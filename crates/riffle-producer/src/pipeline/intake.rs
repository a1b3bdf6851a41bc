//! Taking in a batch of what `put` sent: ids, barriers and the other commands in arrival
//! order, then the user records routed one shard at a time.
//!
//! Records with distinct keys arrive spread over every shard, and each shard's open aggregate
//! (its user-record list, encoded bytes and key table) lives in memory of its own, far more of
//! it across a few hundred shards than the caches hold. Routed in arrival order, nearly every
//! record lands on a cold aggregate. Sorted by shard first (stably: a shard still gets its
//! records in put order, which is all per-key order needs), a batch visits each aggregate once
//! with a run of records, and the lines one record pulls in serve the rest of its run; the
//! stream and shard lookups, and the metrics, are paid once a run too.

use super::{Command, Pipeline};
use crate::pipeline::state::{FastMap, StreamState};
use riffle_types::HashKey;
use std::sync::Arc;
use std::time::Instant;

/// Bits of a sort key (see [`Pipeline::take_in`]): the record's place in the batch at the
/// bottom, its shard's place in the map above, the stream (this batch's own numbering) on top.
const INDEX_BITS: u32 = 16;
const SHARD_BITS: u32 = 32;
/// The shard place of a record with nowhere to go yet (no shard map, or a gap in it).
const UNROUTED: u64 = (1 << SHARD_BITS) - 1;

/// Buffers a batch reuses, kept between batches.
#[derive(Default)]
pub(super) struct Scratch {
    hashes: Vec<HashKey>,
    /// One sort key per user record of the batch.
    order: Vec<u64>,
    /// The streams of the batch, numbered in order of appearance, and their numbers by name
    /// (looked up only when a record's stream is not the previous record's).
    streams: Vec<Arc<str>>,
    slots: FastMap<Arc<str>, usize>,
}

impl Pipeline {
    /// Takes in `intake` (left empty). The batch is at most 2^16 commands.
    pub(super) fn take_in(&mut self, intake: &mut Vec<Command>, scratch: &mut Scratch, now: Instant) {
        assert!(intake.len() <= 1 << INDEX_BITS, "an intake batch fits the sort key");
        hash_partition_keys(intake, &mut scratch.hashes);
        let Scratch { order, streams, slots, .. } = scratch;
        order.clear();
        streams.clear();
        slots.clear();
        let mut previous = None;
        // Arrival order: barrier epochs and every command but the puts.
        for (i, cmd) in intake.iter_mut().enumerate() {
            if let Command::Put { stream, user } = cmd {
                user.epoch = self.epoch;
                self.ledger.pending += 1;
                let stream = self.ledger.shared.stream_of(stream).expect("set before its first record was sent");
                let slot = match previous.filter(|&p: &usize| Arc::ptr_eq(&streams[p], stream) || streams[p] == *stream)
                {
                    Some(p) => p,
                    None => *slots.entry(stream.clone()).or_insert_with(|| {
                        streams.push(stream.clone());
                        streams.len() - 1
                    }),
                };
                previous = Some(slot);
                order.push(((slot as u64) << (SHARD_BITS + INDEX_BITS)) | i as u64);
                continue;
            }
            match std::mem::replace(cmd, Command::Flush) {
                Command::Flush => self.flush_now = true,
                Command::FlushWait(reply) => {
                    self.flush_now = true;
                    self.epoch = self.epoch.wrapping_add(1);
                    self.ledger.add_barrier(self.epoch, reply);
                }
                Command::Shutdown(reply) => self.begin_closing(Some(reply)),
                Command::Put { .. } => unreachable!("taken above"),
            }
        }
        // Each record's shard, from its stream's map (by stream first: one lookup a stream).
        order.sort_unstable();
        for group in order.chunk_by_mut(|a, b| a >> (SHARD_BITS + INDEX_BITS) == b >> (SHARD_BITS + INDEX_BITS)) {
            let name = &streams[(group[0] >> (SHARD_BITS + INDEX_BITS)) as usize];
            let stream =
                self.streams.entry(name.clone()).or_insert_with_key(|name| StreamState::new(name.clone(), now));
            for key in group.iter_mut() {
                let Command::Put { user, .. } = &intake[index(*key)] else { unreachable!("only puts are ordered") };
                let shard = stream.position(user.hash_key).map_or(UNROUTED, |p| p as u64);
                *key |= shard << INDEX_BITS;
            }
            stream.metrics.user_records_received.increment(group.len() as u64);
            stream.metrics.user_records_pending.increment(group.len() as f64);
        }
        // Unique keys, so the unstable sort keeps arrival order within a shard.
        order.sort_unstable();
        let limits = self.limits();
        for run in order.chunk_by(|a, b| a >> INDEX_BITS == b >> INDEX_BITS) {
            let users = run.iter().map(|&k| match std::mem::replace(&mut intake[index(k)], Command::Flush) {
                Command::Put { user, .. } => user,
                _ => unreachable!("only puts are ordered"),
            });
            let run = run[0] >> INDEX_BITS;
            let name = &streams[(run >> SHARD_BITS) as usize];
            let stream = self.streams.get_mut(name).expect("entered above");
            let position = match run & UNROUTED {
                UNROUTED => None,
                p => Some(p as usize),
            };
            stream.route_run(position, users, limits);
        }
        intake.clear();
    }
}

fn index(key: u64) -> usize {
    (key & ((1 << INDEX_BITS) - 1)) as usize
}

/// Sets the hash key of every record in `intake` routed by its partition key, all in one
/// batch: MD5s side by side in SIMD lanes cost a fraction of one at a time.
fn hash_partition_keys(intake: &mut [Command], hashes: &mut Vec<HashKey>) {
    let keys: Vec<&[u8]> = intake
        .iter()
        .filter_map(|c| match c {
            Command::Put { user, .. } if !user.explicit => Some(user.partition_key.as_bytes()),
            _ => None,
        })
        .collect();
    riffle_types::partition_key_hashes(&keys, hashes);
    let mut hashes = hashes.iter();
    for c in intake {
        if let Command::Put { user, .. } = c
            && !user.explicit
        {
            user.hash_key = hashes.next().expect("one hash per key").0;
        }
    }
}
