//! Reading a whole stream in one process, without leases: every shard from a starting
//! position, each child only after all of its parents are drained, so per-key order holds
//! across splits and merges. This is what `riffle tail` runs; a worker is the multi-process,
//! checkpointed version.

use crate::error::KinesisError;
use crate::position::InitialPosition;
use crate::record::{Record, user_records};
use crate::retrieval::{Polling, StartAt};
use crate::shard_sync::{list_shards, parents};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct StreamReader {
    client: aws_sdk_kinesis::Client,
    stream: String,
    start: InitialPosition,
    idle: Duration,
}

impl StreamReader {
    pub fn new(client: aws_sdk_kinesis::Client, stream: impl Into<String>, start: InitialPosition) -> Self {
        Self { client, stream: stream.into(), start, idle: Duration::from_millis(500) }
    }

    /// Pause after an empty read (default 500 ms).
    pub fn idle_time_between_reads(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// Sends `(shard id, record)` as records arrive, until every shard is closed and drained,
    /// the receiver is dropped, or a read fails for good.
    pub async fn run(self, out: mpsc::Sender<(String, Record)>) -> Result<(), KinesisError> {
        let shards = list_shards(&self.client, &self.stream).await?;
        let known: HashSet<&str> = shards.iter().map(|s| s.shard_id()).collect();
        let first: Vec<String> = shards
            .iter()
            .filter(|s| match self.start {
                InitialPosition::Latest => {
                    s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none())
                }
                _ => parents(s).iter().all(|p| !known.contains(p.as_str())),
            })
            .map(|s| s.shard_id().to_string())
            .collect();
        let mut tasks = JoinSet::new();
        let mut started = HashSet::new();
        for id in first {
            started.insert(id.clone());
            tasks.spawn(self.clone().read_shard(id, self.start_at(false), out.clone()));
        }
        // Child -> its parents, learned from ChildShards at each parent's end.
        let mut waiting: HashMap<String, Vec<String>> = HashMap::new();
        let mut finished = HashSet::new();
        while let Some(done) = tasks.join_next().await {
            let Ok(done) = done else { continue };
            let Some((shard, children)) = done? else { return Ok(()) };
            finished.insert(shard);
            for child in children {
                waiting.insert(child.shard_id().to_string(), child.parent_shards().to_vec());
            }
            let ready: Vec<String> = waiting
                .iter()
                .filter(|(id, ps)| !started.contains(*id) && ps.iter().all(|p| finished.contains(p)))
                .map(|(id, _)| id.clone())
                .collect();
            for id in ready {
                started.insert(id.clone());
                tasks.spawn(self.clone().read_shard(id, self.start_at(true), out.clone()));
            }
        }
        Ok(())
    }

    fn start_at(&self, child: bool) -> StartAt {
        match self.start {
            InitialPosition::AtTimestamp(t) => StartAt::AtTimestamp(t),
            _ if child => StartAt::TrimHorizon,
            InitialPosition::TrimHorizon => StartAt::TrimHorizon,
            InitialPosition::Latest => StartAt::Latest,
        }
    }

    /// Reads one shard to its end: its id and children, or `None` if the receiver went away.
    async fn read_shard(
        self,
        shard: String,
        start: StartAt,
        out: mpsc::Sender<(String, Record)>,
    ) -> Result<Option<(String, Vec<aws_sdk_kinesis::types::ChildShard>)>, KinesisError> {
        let mut fetcher = Polling::new(self.client, &self.stream, &shard, start, 10_000, self.idle);
        loop {
            let batch = fetcher.next().await?;
            for record in user_records(batch.records, None) {
                if out.send((shard.clone(), record)).await.is_err() {
                    return Ok(None);
                }
            }
            if let Some(children) = batch.shard_end {
                return Ok(Some((shard, children)));
            }
        }
    }
}
