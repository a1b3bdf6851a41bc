//! The Kinesis Client Library's job, in Rust: applications implement [`RecordProcessor`]; a
//! [`Worker`] does the distributed part — a lease per shard in a DynamoDB table with the KCL's
//! schema (every write conditional on `leaseCounter`), renewal and failover, balancing by
//! stealing, parents processed before children across splits and merges, fenced checkpoints
//! (also inside KPL aggregates), polling or enhanced fan-out retrieval, an explicit policy for
//! poison records, and metrics through the `metrics` facade. It speaks to any Kinesis and
//! DynamoDB endpoint through the official SDKs: AWS, or `riffle serve` (which answers both).
//!
//! [`StreamReader`] is the lease-free half: one process reading a whole stream in lineage
//! order, as `riffle tail` does.

mod checkpointer;
mod clients;
mod config;
mod error;
mod held;
mod lease;
mod lease_table;
pub mod metrics;
mod poison;
mod position;
mod processor;
mod reader;
mod record;
mod retrieval;
mod shard_consumer;
mod shard_sync;
mod taker;
mod worker;

pub use checkpointer::{Checkpointer, PreparedCheckpoint};
pub use clients::kinesis_client;
pub use config::{ConsumerConfig, Retrieval};
pub use error::{CheckpointError, KinesisError, LeaseTableError, ProcessError, WorkerError};
pub use lease::Lease;
pub use lease_table::LeaseTable;
pub use poison::{DeadLetter, DeadLetterSink, PoisonAction, PoisonPolicy};
pub use position::{Checkpoint, InitialPosition, SequencePosition};
pub use processor::{InitializeInput, ProcessRecordsInput, ProcessorFactory, RecordProcessor};
pub use reader::StreamReader;
pub use record::Record;
pub use worker::{Worker, WorkerHandle};
