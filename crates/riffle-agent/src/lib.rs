//! riffle-agent: the Kinesis Agent's job in Rust — tail log files and send their lines to a
//! stream through `riffle-producer`. **In progress** (issue 7): so far the configuration
//! ([`config`]) and durable per-file checkpoints ([`checkpoint`]) and a single-file
//! tailer that detects rotation ([`tailer`]); file discovery, the sender and `riffle agent` follow.

pub mod checkpoint;
pub mod config;
pub mod identity;
pub mod tailer;

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointStore};
pub use config::{AgentConfig, ConfigError, FlowConfig};
pub use identity::FileIdentity;
pub use tailer::{Line, Poll, Rotation, Tailer};
