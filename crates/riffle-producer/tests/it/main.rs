//! The producer against a real `riffle serve`, in process: partial failures and throttling
//! (through the server's fault injection and enforced limits), TTL expiry, backpressure,
//! per-key order across retries, shutdown that never hangs, resharding mid-stream, metrics,
//! and aggregates made by `aws-kinesis-agg` (committed fixtures).

mod common;
mod delivery;
mod failures;
mod interop;
mod metrics;
mod ordering;
mod resharding;
mod shutdown;
