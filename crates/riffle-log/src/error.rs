//! The log's one error type, and helpers that attach a file (and offset) to a cause.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("I/O error on {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the log is poisoned after a failed fsync and accepts no writes")]
    Poisoned,
    #[error("corrupt data in {path} at offset {offset}: {reason}")]
    Corrupt { path: String, offset: u64, reason: String },
    #[error("the log is shut down")]
    Closed,
    /// The append broke a limit of the on-disk format (partition key over 65,535 bytes, or a
    /// request over [`crate::MAX_APPEND_BYTES`]); nothing was written. Kinesis' own limits are
    /// far below these, so a server that validates requests never sees it.
    #[error("append rejected: {reason}")]
    InvalidAppend { reason: String },
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> LogError {
    LogError::Io { path: path.display().to_string(), source }
}

pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl ToString) -> LogError {
    LogError::Corrupt { path: path.display().to_string(), offset, reason: reason.to_string() }
}

/// A copy of an I/O error for each of the many appends one failed write or fsync answers.
pub(crate) fn io_copy(path: &Path, e: &std::io::Error) -> LogError {
    io_err(path, std::io::Error::new(e.kind(), e.to_string()))
}
