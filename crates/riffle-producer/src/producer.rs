//! The handle applications hold: `put` and its variants, flushing, shutdown.

use crate::config::{ConfigError, ProducerConfig, WhenFull};
use crate::dead_letter::{DeadLetterSink, Sink};
use crate::outcome::RecordFuture;
use crate::pipeline::{Command, Inbox, Pipeline};
use crate::record::{Key, UserRecord, user_record_size};
use bytes::Bytes;
use riffle_types::HashKey;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::{Mutex, Semaphore, TryAcquireError, oneshot};
use tokio::task::JoinHandle;

/// Why `put` did not take a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PutError {
    #[error("the stream name is empty")]
    EmptyStreamName,
    #[error("a partition key must be 1 to 256 characters long, this one has {0}")]
    PartitionKeyLength(usize),
    #[error("explicit hash key {0:?} is not a decimal integer between 0 and 2^128-1")]
    InvalidHashKey(String),
    #[error("a record of {size} bytes is larger than {limit} ({setting})")]
    TooLarge { size: usize, limit: usize, setting: &'static str },
    #[error("the buffer is full: MaxBufferedBytes ({limit}) of records are waiting to be written")]
    BufferFull { limit: usize },
    #[error("the producer is shut down")]
    ShutDown,
}

/// Why a producer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the dead-letter file: {0}")]
    DeadLetterFile(#[source] std::io::Error),
}

/// State `put` and the pipeline share: the memory cap and the count of unanswered records.
#[derive(Debug)]
pub(crate) struct Shared {
    memory: Semaphore,
    limit: usize,
    outstanding: AtomicUsize,
    /// The first stream put to. Its records name it by reference to this (most producers
    /// write to one stream), not each with its own handle: an `Arc` per record would have the
    /// putting threads and the pipeline's count on one reference count, a cache line they
    /// would take from each other a million times a second.
    pub first_stream: std::sync::OnceLock<Arc<str>>,
}

impl Shared {
    pub fn release(&self, bytes: usize) {
        self.release_many(bytes, 1);
    }

    /// The stream a record names: its own, or (`None`) the first stream.
    pub fn stream_of<'a>(&'a self, named: &'a Option<Arc<str>>) -> Option<&'a Arc<str>> {
        named.as_ref().or(self.first_stream.get())
    }

    /// No more room will be given: `put`s waiting for it, and later ones, fail as shut down.
    pub fn close(&self) {
        self.memory.close();
    }

    /// Gives back the room of `records` answered records holding `bytes` in all.
    pub fn release_many(&self, bytes: usize, records: usize) {
        self.memory.add_permits(bytes);
        self.outstanding.fetch_sub(records, Ordering::Relaxed);
    }
}

/// Builds a [`Producer`].
#[derive(Debug, Default)]
pub struct ProducerBuilder {
    config: ProducerConfig,
    client: Option<aws_sdk_kinesis::Client>,
    dead_letter: Option<DeadLetterSink>,
}

impl ProducerBuilder {
    pub fn config(mut self, config: ProducerConfig) -> Self {
        self.config = config;
        self
    }

    /// Sends with this client (its credentials, region and endpoint) instead of one loaded from
    /// the environment. Its retries are turned off and its timeouts set from the config.
    pub fn client(mut self, client: aws_sdk_kinesis::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Where records that fail for good are also reported.
    pub fn dead_letter(mut self, sink: DeadLetterSink) -> Self {
        self.dead_letter = Some(sink);
        self
    }

    /// Checks the settings, loads credentials and starts the pipeline on the current Tokio
    /// runtime.
    pub async fn build(self) -> Result<Producer, BuildError> {
        self.config.validate()?;
        let sink = self.dead_letter.map(Sink::open).transpose().map_err(BuildError::DeadLetterFile)?;
        let client = match &self.client {
            Some(c) => crate::client::adopt(c, &self.config),
            None => crate::client::from_environment(&self.config).await,
        };
        let cfg = Arc::new(self.config);
        let shared = Arc::new(Shared {
            memory: Semaphore::new(cfg.max_buffered_bytes),
            limit: cfg.max_buffered_bytes,
            outstanding: AtomicUsize::new(0),
            first_stream: std::sync::OnceLock::new(),
        });
        let inbox = Arc::new(Inbox::default());
        let task = tokio::spawn(Pipeline::new(cfg.clone(), client, shared.clone(), sink, inbox.clone()).run());
        Ok(Producer {
            inner: Arc::new(Inner { inbox, shared, cfg, closed: AtomicBool::new(false), task: Mutex::new(Some(task)) }),
        })
    }
}

/// A record that passed `put`'s checks.
struct Checked {
    /// The explicit hash key's value; a partition key's MD5 is left to the pipeline, which
    /// hashes the keys of a whole intake batch at once.
    hash_key: u128,
    size: usize,
    permits: u32,
}

struct Inner {
    inbox: Arc<Inbox>,
    shared: Arc<Shared>,
    cfg: Arc<ProducerConfig>,
    closed: AtomicBool,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    /// The last handle is gone: the pipeline sends what it holds and ends.
    fn drop(&mut self) {
        self.inbox.close();
    }
}

/// The KPL, in process. Cheap to clone; every clone feeds the same pipeline.
///
/// Records with the same partition key reach the stream in the order they were put, retries
/// included. Every record taken is answered exactly once: written, or failed with a reason
/// (at the latest when its RecordTtl passes).
#[derive(Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("outstanding_records", &self.outstanding_records())
            .field("buffered_bytes", &self.buffered_bytes())
            .finish()
    }
}

impl Producer {
    pub fn builder() -> ProducerBuilder {
        ProducerBuilder::default()
    }

    /// Takes a record for `stream`, routed by the MD5 of its partition key. Returns as soon as
    /// the record is buffered, with a future of its outcome; waits only while the memory cap is
    /// reached and [`WhenFull::Wait`] is set.
    pub async fn put(
        &self,
        stream: &str,
        partition_key: &str,
        data: impl Into<Bytes>,
    ) -> Result<RecordFuture, PutError> {
        self.submit(stream, partition_key, None, data.into()).await
    }

    /// As [`Producer::put`], routed by an explicit hash key (decimal, 0..2^128-1) instead.
    pub async fn put_with_hash_key(
        &self,
        stream: &str,
        partition_key: &str,
        explicit_hash_key: &str,
        data: impl Into<Bytes>,
    ) -> Result<RecordFuture, PutError> {
        self.submit(stream, partition_key, Some(explicit_hash_key), data.into()).await
    }

    /// As [`Producer::put`], but never waits: at the memory cap it fails with
    /// [`PutError::BufferFull`] whatever the configured policy.
    pub fn try_put(&self, stream: &str, partition_key: &str, data: impl Into<Bytes>) -> Result<RecordFuture, PutError> {
        let data = data.into();
        let checked = self.check(stream, partition_key, None, &data)?;
        self.take_room(checked.permits)?;
        self.enqueue(stream, partition_key, None, data, checked)
    }

    async fn submit(
        &self,
        stream: &str,
        partition_key: &str,
        explicit_hash_key: Option<&str>,
        data: Bytes,
    ) -> Result<RecordFuture, PutError> {
        let checked = self.check(stream, partition_key, explicit_hash_key, &data)?;
        let shared = &self.inner.shared;
        if self.inner.cfg.when_full == WhenFull::Wait {
            shared.memory.acquire_many(checked.permits).await.map_err(|_| PutError::ShutDown)?.forget();
        } else {
            self.take_room(checked.permits)?;
        }
        self.enqueue(stream, partition_key, explicit_hash_key, data, checked)
    }

    /// The KPL's checks on a user record, and what it will hold of the memory cap.
    fn check(
        &self,
        stream: &str,
        partition_key: &str,
        explicit_hash_key: Option<&str>,
        data: &Bytes,
    ) -> Result<Checked, PutError> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Err(PutError::ShutDown);
        }
        if stream.is_empty() {
            return Err(PutError::EmptyStreamName);
        }
        // Counted in characters; a key of at most 256 bytes has at most 256 of them.
        if partition_key.is_empty() || partition_key.len() > 256 {
            let chars = partition_key.chars().count();
            if !(1..=256).contains(&chars) {
                return Err(PutError::PartitionKeyLength(chars));
            }
        }
        let hash_key = match explicit_hash_key {
            Some(k) => HashKey::parse(k).ok_or_else(|| PutError::InvalidHashKey(k.to_string()))?.0,
            None => 0,
        };
        if data.len() > inner.cfg.max_user_record_size {
            let limit = inner.cfg.max_user_record_size;
            return Err(PutError::TooLarge { size: data.len(), limit, setting: "MaxUserRecordSize" });
        }
        let size = user_record_size(partition_key, explicit_hash_key, data.len());
        let limit = inner.shared.limit;
        match u32::try_from(size).ok().filter(|_| size <= limit) {
            Some(permits) => Ok(Checked { hash_key, size, permits }),
            None => Err(PutError::TooLarge { size, limit, setting: "MaxBufferedBytes" }),
        }
    }

    fn take_room(&self, permits: u32) -> Result<(), PutError> {
        let limit = self.inner.shared.limit;
        let permit = self.inner.shared.memory.try_acquire_many(permits).map_err(|e| match e {
            TryAcquireError::NoPermits => PutError::BufferFull { limit },
            TryAcquireError::Closed => PutError::ShutDown,
        })?;
        permit.forget();
        Ok(())
    }

    /// Hands a checked record, whose room is taken, to the pipeline.
    fn enqueue(
        &self,
        stream: &str,
        partition_key: &str,
        explicit_hash_key: Option<&str>,
        data: Bytes,
        checked: Checked,
    ) -> Result<RecordFuture, PutError> {
        let inner = &self.inner;
        inner.shared.outstanding.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let (reply, rx) = ::oneshot::channel();
        let first = inner.shared.first_stream.get_or_init(|| Arc::from(stream));
        let stream = (**first != *stream).then(|| Arc::from(stream));
        let explicit = explicit_hash_key.map(|_| checked.hash_key);
        let (hold, ttl) = (inner.cfg.record_max_buffered_time, inner.cfg.record_ttl);
        let user = UserRecord::new(Key::new(partition_key), explicit, data, (now, hold, ttl), reply);
        if inner.inbox.push(Command::Put { stream, user }).is_err() {
            inner.shared.release(checked.size);
            return Err(PutError::ShutDown);
        }
        Ok(RecordFuture::new(rx, now))
    }

    /// Sends everything buffered now, without waiting for RecordMaxBufferedTime. Returns at
    /// once.
    pub fn flush(&self) {
        let _ = self.inner.inbox.push(Command::Flush);
    }

    /// Flushes, then waits until every record put before this call is answered (written or
    /// failed). Records put meanwhile do not hold it up, so it returns under steady load too;
    /// it takes at most RecordTtl plus RequestTimeout.
    pub async fn flush_and_wait(&self) {
        let (tx, rx) = oneshot::channel();
        if self.inner.inbox.push(Command::FlushWait(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Refuses further puts, sends everything buffered and returns once every record is
    /// answered. Never hangs: records not written within their TTL fail as expired, and after
    /// RecordTtl + RequestTimeout + 1 s anything left fails as shut down.
    pub async fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::Release);
        let (tx, rx) = oneshot::channel();
        if self.inner.inbox.push(Command::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
        if let Some(task) = self.inner.task.lock().await.take() {
            let _ = task.await;
        }
    }

    /// User records taken and not yet answered.
    pub fn outstanding_records(&self) -> usize {
        self.inner.shared.outstanding.load(Ordering::Relaxed)
    }

    /// Bytes of user records (data and keys) held under MaxBufferedBytes.
    pub fn buffered_bytes(&self) -> usize {
        self.inner.shared.limit - self.inner.shared.memory.available_permits().min(self.inner.shared.limit)
    }
}
