//! riffle-agent: the Kinesis Agent's job in Rust — tail log files and send their lines to a
//! stream through `riffle-producer`. [`config`] reads `agent.json`; [`tracker`] finds and follows
//! files by inode ([`discovery`], [`tailer`], [`identity`]); [`run`] reads, sends, and advances
//! durable [`checkpoint`]s only past what the stream acknowledged.

mod acker;
pub mod agent;
pub mod checkpoint;
pub mod config;
mod cursor;
pub mod discovery;
mod flow;
pub mod identity;
pub mod records;
pub mod sender;
pub mod stats;
pub mod tailer;
pub mod tracker;

pub use agent::{AgentError, AgentOptions, run};
pub use checkpoint::{Checkpoint, CheckpointError, CheckpointStore};
pub use config::{AgentConfig, ConfigError, FlowConfig};
pub use identity::FileIdentity;
pub use records::{BuiltRecord, RecordBuilder, RecordError, RecordStats};
pub use tailer::{Line, Poll, Rotation, Tailer};
