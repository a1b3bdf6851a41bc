#![no_main]
//! The request path: an operation index, an encoding and a body, through the server's dispatch
//! on an in-memory server. Any input must get an AWS-shaped answer: never a panic, and never an
//! InternalFailure for a request that reached an operation.
//!
//! Input layout: byte 0 = operation index (past the last = unknown target), byte 1 bit 0 = CBOR,
//! the rest = the body.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = riffle_server::fuzzing::request(data[0] % 48, data[1] & 1 == 1, &data[2..]);
    assert!(matches!(status, 200 | 400 | 413 | 503), "status {status}");
});
