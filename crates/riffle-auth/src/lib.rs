//! AWS Signature Version 4 verification, as AWS's JSON-protocol services (Kinesis, DynamoDB)
//! answer it: the `Authorization` header and presigned (query-string) forms, clock skew,
//! credential scope, session tokens — and, when a request fails, the exact `__type` and message
//! AWS would send.
//!
//! Pure: no HTTP server, no I/O, no async. The caller hands over the request as received
//! ([`SignedRequest`]), the accepted keys ([`KeyStore`]), what the request must be signed for
//! ([`Rules`]) and the current time; [`verify`] answers with the signer's [`Identity`] or an
//! [`AuthError`].

mod canonical;
mod error;
mod keys;
mod time;
mod verify;

pub use error::AuthError;
pub use keys::{AccessKey, AccessKeyError, KeyFileError, KeyStore, parse_key_file};
pub use verify::{ALGORITHM, Identity, Rules, SignedRequest, verify};
