//! Request authentication (`--auth`): SigV4 checked by `riffle-auth` against the configured
//! keys, failures answered as AWS's `__type` and message.

use http::request::Parts;
use riffle_auth::{AuthError, KeyStore, Rules, SignedRequest};
use riffle_proto::{ApiError, ErrorCode};
use std::time::SystemTime;

/// Authentication settings. Without them (the default) any signature, or none, is accepted.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The access keys accepted, with their secrets and, for temporary keys, session tokens.
    pub keys: KeyStore,
}

/// Verifies a Kinesis request signed for the server's region.
pub fn check(config: &AuthConfig, region: &str, head: &Parts, body: &[u8]) -> Result<(), ApiError> {
    verify(config, &Rules::kinesis(Some(region)), head, body).map_err(|e| {
        let code = match e {
            AuthError::MissingAuthenticationToken => ErrorCode::MissingAuthenticationToken,
            AuthError::IncompleteSignature(_) => ErrorCode::IncompleteSignature,
            AuthError::InvalidSignature(_) => ErrorCode::InvalidSignature,
            AuthError::UnrecognizedClient(_) => ErrorCode::UnrecognizedClient,
        };
        ApiError::new(code, e.message())
    })
}

/// Verifies a request's signature under `rules` (service and region); each service words the
/// refusal its own way.
pub fn verify(config: &AuthConfig, rules: &Rules<'_>, head: &Parts, body: &[u8]) -> Result<(), AuthError> {
    let mut headers: Vec<(&str, &[u8])> = head.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    // HTTP/2 carries the host as the `:authority` pseudo-header, which hyper moves into the URI.
    // Clients sign it as `host` (the Java and Rust SDKs) or as `:authority` itself (the
    // JavaScript SDK v3), so offer both names.
    if !head.headers.contains_key(http::header::HOST)
        && let Some(authority) = head.uri.authority()
    {
        headers.push(("host", authority.as_str().as_bytes()));
        headers.push((":authority", authority.as_str().as_bytes()));
    }
    let req = SignedRequest {
        method: head.method.as_str(),
        path: head.uri.path(),
        query: head.uri.query().unwrap_or_default(),
        headers: &headers,
        body,
    };
    riffle_auth::verify(&req, &config.keys, rules, SystemTime::now()).map(|_| ())
}
