//! Why a request was refused, with the `__type` and the message text AWS answers with.
//!
//! The wording is AWS's, as clients and emulators have recorded it (sources beside each
//! constant). Several messages end in `". "` — AWS joins its findings that way, trailing
//! space included.

use std::fmt;

/// A refused request. Each variant is one AWS error type; the string is AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm` in the query string.
    MissingAuthenticationToken,
    /// The signature's parts are missing or malformed (no Credential, bad date, ...).
    IncompleteSignature(String),
    /// The signature does not verify: wrong secret, wrong scope, expired, not yet current, ...
    InvalidSignature(String),
    /// The access key id (or the session token) is not one we know.
    UnrecognizedClient(String),
}

impl AuthError {
    /// The `__type` AWS sends for this error.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
            AuthError::UnrecognizedClient(_) => "UnrecognizedClientException",
        }
    }

    /// The message AWS sends for this error.
    pub fn message(&self) -> &str {
        match self {
            AuthError::MissingAuthenticationToken => MISSING_TOKEN,
            AuthError::IncompleteSignature(m) | AuthError::InvalidSignature(m) | AuthError::UnrecognizedClient(m) => m,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.type_name(), self.message())
    }
}

impl std::error::Error for AuthError {}

/// Kinesis, as recorded by kinesalite (`index.js`, `test/connection.js`).
pub(crate) const MISSING_TOKEN: &str = "Missing Authentication Token";

/// Every JSON-protocol AWS service. Since about 2020 AWS no longer appends the canonical request
/// and string-to-sign: a CloudWatch Logs answer quoted in vectordotdev/vector#16629 (2023) is
/// exactly this message in a 229-byte body, and a Kinesis one in apache/camel-k#1608 (2020)
/// ends here too.
pub(crate) const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you \
     provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Unknown access key id. With the final period: Kinesis through the KPL
/// (awslabs/amazon-kinesis-producer#116) and the Java SDK (qubole/kinesis-sql#12), DynamoDB as
/// recorded by dynalite.
pub(crate) const UNKNOWN_KEY: &str = "The security token included in the request is invalid.";

/// A session token that does not belong to the key. Without the period: dynalite's record of
/// DynamoDB's answer to a bad `X-Amz-Security-Token`.
pub(crate) const BAD_SESSION_TOKEN: &str = "The security token included in the request is invalid";

/// kinesalite `test/connection.js`.
pub(crate) const FOUND_BOTH: &str =
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";

/// dynalite `index.js` (recorded DynamoDB answers).
pub(crate) const HOST_NOT_SIGNED: &str = "'Host' must be a 'SignedHeader' in the AWS Authorization.";
