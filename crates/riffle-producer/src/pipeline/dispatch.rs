//! Collection: Kinesis records from the shards that may send, gathered into PutRecords calls of
//! at most CollectionMaxCount records and CollectionMaxSize bytes, within each shard's rate
//! limit, and sent as tasks (at most MaxConnections at once).

use super::state::StreamState;
use super::{Done, InFlight, Pipeline};
use crate::record::{KeySet, KinesisRecord};
use crate::sender::{self, Entry};
use std::sync::Arc;
use std::time::Instant;

/// A shard with this much queued sends without waiting for deadlines (the KPL's trigger).
const SHARD_FULL_BYTES: usize = 256 * 1024;

impl Pipeline {
    pub(super) fn dispatch(&mut self, now: Instant, force: bool) {
        let names: Vec<Arc<str>> = self.streams.keys().cloned().collect();
        for name in names {
            while self.in_flight.len() < self.cfg.max_connections {
                let Some(batch) = self.collect(&name, now, force) else { break };
                self.launch(name.clone(), batch, now);
            }
        }
    }

    /// Gathers one call's worth for `name`, or `None` when nothing is due and no call would be
    /// full yet.
    fn collect(&mut self, name: &Arc<str>, now: Instant, force: bool) -> Option<Vec<(Arc<str>, KinesisRecord)>> {
        let (max_count, max_size) = (self.cfg.collection_max_count, self.cfg.collection_max_size);
        let stream = self.streams.get_mut(name)?;
        let mut ready: Vec<(Instant, Arc<str>)> = Vec::new();
        let (mut count, mut bytes, mut due) = (0usize, 0usize, force);
        for (id, s) in &stream.shards {
            if !stream.eligible(id, now) {
                continue;
            }
            let head = s.queue().front().expect("eligible shards have a queue");
            due |= head.deadline <= now || s.queued_bytes() >= SHARD_FULL_BYTES;
            count += s.queue().len();
            bytes += s.queued_bytes();
            ready.push((head.deadline, id.clone()));
        }
        if ready.is_empty() || !(due || count >= max_count || bytes >= max_size) {
            return None;
        }
        ready.sort();
        let mut batch = Vec::new();
        let mut size = 0usize;
        'shards: for (_, id) in ready {
            let shard = stream.shards.get_mut(&id).expect("listed above");
            let mut keys = KeySet::default();
            let mut took = false;
            while let Some(head) = shard.queue().front() {
                if batch.len() >= max_count || (!batch.is_empty() && size + head.size() > max_size) {
                    shard.in_flight |= took;
                    break 'shards;
                }
                if head.conflicts(&keys) || !shard.limiter.try_take(head.size(), now) {
                    break;
                }
                let r = shard.pop_front().expect("head exists");
                keys.extend(r.users.iter().map(|u| u.hash_key));
                size += r.size();
                took = true;
                batch.push((id.clone(), r));
            }
            shard.in_flight |= took;
        }
        (!batch.is_empty()).then_some(batch)
    }

    fn launch(&mut self, stream: Arc<str>, mut records: Vec<(Arc<str>, KinesisRecord)>, now: Instant) {
        let state: &StreamState = &self.streams[&stream];
        let m = &state.metrics;
        let mut users = 0usize;
        for (_, r) in &records {
            users += r.users.len();
            m.user_records_per_kinesis_record.record(r.users.len() as f64);
            for u in &r.users {
                if u.history.is_empty() {
                    m.buffering_time.record(now.duration_since(u.history.arrival()).as_secs_f64() * 1000.0);
                }
            }
        }
        m.kinesis_records_per_request.record(records.len() as f64);
        KinesisRecord::seal_all(records.iter_mut().map(|(_, r)| r));
        m.user_records_per_request.record(users as f64);
        let entries: Vec<Entry> = records
            .iter_mut()
            .map(|(_, r)| Entry {
                partition_key: r.partition_key.clone(),
                explicit_hash_key: r.explicit_hash_key.clone(),
                data: r.take_data(),
            })
            .collect();
        let batch = self.next_batch;
        self.next_batch += 1;
        let (client, wire, done, name) = (self.client.clone(), self.wire.clone(), self.done_tx.clone(), stream.clone());
        let task = tokio::spawn(async move {
            let t = Instant::now();
            let result = sender::put_records(&client, &wire, &name, entries).await;
            let _ = done.send(Done::Put { batch, result, duration: t.elapsed() });
        });
        self.in_flight.insert(batch, InFlight { stream, records, started: now, task });
    }
}
