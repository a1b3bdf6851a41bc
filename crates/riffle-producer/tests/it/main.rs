//! The producer against a real `riffle serve`, in process: partial failures and throttling
//! (through the server's fault injection and enforced limits), TTL expiry, backpressure,
//! per-key order across retries, shutdown that never hangs, resharding mid-stream, metrics,
//! aggregates made by `aws-kinesis-agg` (committed fixtures), and PutRecords' encoding (CBOR,
//! JSON, and the fallback from one to the other).

mod common;
mod delivery;
mod failures;
mod interop;
mod metrics;
mod ordering;
mod resharding;
mod shutdown;
mod wire;
