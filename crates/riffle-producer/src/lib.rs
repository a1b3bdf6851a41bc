//! The Kinesis Producer Library's job, in process, in Rust — no native daemon.
//!
//! A [`Producer`] takes user records with [`Producer::put`] and answers each with a
//! [`RecordFuture`] (await it, attach a callback, or drop it). Behind it one task:
//!
//! - aggregates records predicted (from a ListShards shard map) to land on one shard into KPL
//!   aggregates (`riffle_proto::agg`), re-routing them when the stream is resharded;
//! - collects Kinesis records into PutRecords calls of at most 500 records and 5 MiB, sent in
//!   CBOR as the AWS SDK for Java sends them (JSON for an endpoint that refuses CBOR, or when
//!   `AWS_CBOR_DISABLE` is set);
//! - paces each shard with token buckets at RateLimit% of its limits;
//! - retries only the failed entries of a call, with exponential backoff and full jitter,
//!   until RecordTtl, then fails the record as expired — to its future and to an optional
//!   dead-letter sink;
//! - holds at most MaxBufferedBytes of records: `put` then waits, or fails fast;
//! - keeps records with the same partition key in put order, retries included;
//! - reports the KPL's metrics through the `metrics` facade.
//!
//! Settings carry the KPL's names and defaults ([`ProducerConfig`]) and load from a KPL
//! `.properties` file. The client is the official AWS SDK with the standard credential chain,
//! so the same producer writes to AWS or to `riffle serve` (set an endpoint URL).

mod aggregator;
mod body;
mod cbor;
mod client;
mod config;
mod dead_letter;
mod encoder;
mod key_hash;
mod limiter;
pub mod metrics;
mod outcome;
mod pipeline;
mod producer;
mod properties;
mod record;
mod sender;
mod shard_map;

pub use config::{ConfigError, ProducerConfig, WhenFull};
pub use dead_letter::{DeadLetter, DeadLetterSink};
pub use outcome::{Attempt, FailureKind, RecordError, RecordFuture, RecordOutcome, RecordResult};
pub use producer::{BuildError, Producer, ProducerBuilder, PutError};
pub use properties::{LoadedProperties, PropertiesError};
