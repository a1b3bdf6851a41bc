//! Typed errors. Two layers: [`CallError`] is one failed Kinesis call (a workload counts these
//! and keeps going), [`BenchError`] is what stops a whole run (bad arguments, unusable endpoint,
//! a stream that never became ACTIVE).

use std::io;

/// Why one Kinesis call failed. Workloads bucket these by [`CallError::kind`] in their report.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The request never got an HTTP response (refused, reset, timed out while connecting).
    #[error("transport error: {0}")]
    Transport(#[source] hyper_util::client::legacy::Error),
    /// The response head arrived but its body could not be read to the end.
    #[error("reading response body: {0}")]
    Body(#[source] hyper::Error),
    /// The service answered with a non-2xx status; `error_type` is the bare `__type`.
    #[error("{error_type} (HTTP {status}): {message}")]
    Service { status: u16, error_type: String, message: String },
    /// A 2xx response whose body does not have the shape the operation promises.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The peer said nothing for too long (a response head, or a subscription's next event).
    #[error("timed out: {0}")]
    Timeout(&'static str),
}

impl CallError {
    /// The bucket this error is counted under: the service's `__type`, or a fixed name for
    /// failures that never reached the service's error model.
    pub fn kind(&self) -> &str {
        match self {
            CallError::Transport(_) => "TransportError",
            CallError::Body(_) => "BodyError",
            CallError::Service { error_type, .. } => error_type,
            CallError::Malformed(_) => "MalformedResponse",
            CallError::Timeout(_) => "Timeout",
        }
    }

    /// The message with its whole source chain, for reports: a transport error's useful part
    /// ("Connection refused") is several sources deep. Capped so one bad answer cannot flood a
    /// report.
    pub fn detail(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            let text = s.to_string();
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            source = s.source();
        }
        if out.len() > 300 {
            let cut = (0..=300).rev().find(|&i| out.is_char_boundary(i)).unwrap_or(0);
            out.truncate(cut);
            out.push('…');
        }
        out
    }

    /// True for a service error of the given bare `__type`.
    pub fn is_type(&self, ty: &str) -> bool {
        matches!(self, CallError::Service { error_type, .. } if error_type == ty)
    }

    /// Throttling answers: the caller should back off and retry rather than give up.
    pub fn is_throttle(&self) -> bool {
        self.is_type("ProvisionedThroughputExceededException")
            || self.is_type("LimitExceededException")
            || self.is_type("ThrottlingException")
    }

    /// True when the peer does not implement the operation at all (older emulators), so a
    /// fallback operation is worth trying.
    pub fn is_unsupported_operation(&self) -> bool {
        match self {
            CallError::Service { status, error_type, .. } => {
                *status == 404
                    || *status == 501
                    || error_type.contains("UnknownOperation")
                    || error_type.contains("InvalidAction")
                    || error_type.contains("NotImplemented")
            }
            _ => false,
        }
    }
}

/// What stops a whole benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A flag value that cannot work (checked before any traffic is sent).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A setup call (create/describe/list) failed; the workload cannot start.
    #[error("{op} on stream {stream} failed: {source}")]
    Setup {
        op: &'static str,
        stream: String,
        #[source]
        source: CallError,
    },
    /// The stream exists but never reached ACTIVE in time.
    #[error("stream {stream} not ACTIVE after {waited_secs} s (last status {status})")]
    StreamNotActive { stream: String, waited_secs: u64, status: String },
    /// An enhanced fan-out consumer never reached ACTIVE in time.
    #[error("consumer {consumer} not ACTIVE after {waited_secs} s (last status {status})")]
    ConsumerNotActive { consumer: String, waited_secs: u64, status: String },
    /// SubscribeToShard never answered with a stream on some shards, so delivery cannot be timed.
    #[error("SubscribeToShard did not start on {failed} of {shards} shards: {detail}")]
    NotSubscribed { failed: usize, shards: usize, detail: String },
    /// The endpoint listed no shards, so there is nothing to read.
    #[error("stream {0} has no shards")]
    NoShards(String),
    /// The null server could not bind its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: io::Error,
    },
}
