//! A synchronous entry point into the request path, for the fuzz targets (`fuzz/`). Not an API.
//!
//! One in-memory server is started on first use; [`request`] runs the operation a target names
//! through the same dispatch the HTTP front uses and checks the answer is AWS-shaped: a body, or
//! an error whose `__type` and status agree. A panic, or an `InternalFailureException` (a 500
//! for a request that reached an operation), is a bug and aborts the fuzz run.

use crate::{ServerConfig, Storage, ops};
use riffle_proto::{ErrorCode, Operation, Protocol, encode_error};
use std::sync::OnceLock;
use std::time::Duration;

struct Harness {
    runtime: tokio::runtime::Runtime,
    server: crate::Server,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("tokio runtime");
        let config = ServerConfig {
            addr: "127.0.0.1:0".parse().expect("address"),
            storage: Storage::InMemory,
            create_delay: Duration::ZERO,
            delete_delay: Duration::ZERO,
            update_delay: Duration::ZERO,
            // Keep the catalog small however many streams the fuzzer creates.
            shard_limit: 64,
            ..ServerConfig::default()
        };
        let server = runtime.block_on(crate::start(config)).expect("server starts");
        let h = Harness { runtime, server };
        // A stream for valid requests to reach.
        let body = bytes::Bytes::from_static(br#"{"StreamName":"fuzz","ShardCount":2}"#);
        let _ = h.runtime.block_on(ops::dispatch(&h.server.app, Operation::CreateStream, Protocol::Json, &body));
        h
    })
}

/// Runs one request: `target` picks an operation (indices past the last are unknown targets),
/// `cbor` the encoding. Returns the HTTP status the server would answer with.
pub fn request(target: u8, cbor: bool, body: &[u8]) -> u16 {
    let h = harness();
    let proto = if cbor { Protocol::Cbor } else { Protocol::Json };
    let Some(&op) = Operation::ALL.get(usize::from(target)) else {
        // What the HTTP front answers for an unknown target; nothing further runs.
        return ErrorCode::UnknownOperation.status();
    };
    // Keep the fuzz stream alive: deleting it would leave later inputs only not-found answers.
    if op == Operation::DeleteStream && body.windows(4).any(|w| w == b"fuzz") {
        return 200;
    }
    match h.runtime.block_on(ops::dispatch(&h.server.app, op, proto, &bytes::Bytes::copy_from_slice(body))) {
        Ok(_) => 200,
        Err(e) => {
            assert!(e.code != ErrorCode::InternalFailure, "{} answered InternalFailure: {e}", op.name());
            // The error body must be well-formed in the request's encoding (values are echoed
            // back verbatim, NULs and all, as AWS does).
            let encoded = encode_error(proto, &e);
            if proto == Protocol::Json {
                let doc: serde_json::Value = serde_json::from_slice(&encoded).expect("error body is JSON");
                assert_eq!(doc["__type"], e.code.type_name());
            }
            e.code.status()
        }
    }
}
