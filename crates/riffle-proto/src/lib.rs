//! Kinesis wire formats as pure codecs: no I/O, no server state.
//!
//! - [`Protocol`] decodes requests and encodes answers in JSON 1.1 or CBOR 1.1;
//! - [`shapes`] holds the members of each operation as the model names them;
//! - [`ErrorCode`] maps every error to its `__type`, HTTP status and retryability;
//! - [`Violations`] builds AWS's `ValidationException` messages;
//! - [`eventstream`] frames `application/vnd.amazon.eventstream` messages (SubscribeToShard);
//! - [`agg`] packs and unpacks KPL aggregated records (producer and consumer share it).

pub mod agg;
mod codec;
mod error;
pub mod eventstream;
mod fast_json;
mod lenient;
mod ops;
pub mod put_records_cbor;
pub mod put_records_json;
pub mod shapes;
pub mod shapes_more;
mod validate;

pub use codec::{Blob, Protocol, Timestamp};
pub use error::{ApiError, ErrorCode};
pub use ops::{Operation, TARGET_PREFIX};
pub use validate::Violations;

/// Encodes an error answer body in the request's encoding.
pub fn encode_error(protocol: Protocol, err: &ApiError) -> Vec<u8> {
    protocol.encode(&shapes::ErrorBody { kind: err.code.type_name(), message: &err.message })
}
