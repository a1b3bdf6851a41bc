//! The web console at `/console`: the AWS console's Kinesis pages at a glance, served by the
//! server itself with nothing to install.
//!
//! The page is plain HTML/CSS/JS embedded in the binary ([`assets`]); it polls the JSON
//! endpoints under `/console/api/` (GET only — the console is read-only), which read the
//! server's state directly: the catalog ([`api`]), per-shard throughput sampled once a second
//! from the metrics recorder while somebody watches ([`samples`]), the DynamoDB lease tables
//! ([`leases`]) and the log itself ([`records`], the record browser).
//!
//! `http.rs` routes `/console` here before the front door (which answers every other GET with
//! AWS's 403). Under `--auth` every console request needs HTTP Basic credentials: an access key
//! id as the user name and its secret as the password ([`authorized`]).

mod api;
mod assets;
mod leases;
mod records;
mod samples;

pub use samples::Samples;

use crate::http::ResponseBody;
use crate::state::App;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use std::sync::Arc;

/// Whether `path` belongs to the console (so `http.rs` hands the request here).
pub fn is_console(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

/// Answers one console request.
pub async fn handle<B>(app: &Arc<App>, req: Request<B>) -> Response<ResponseBody> {
    if !authorized(app, req.headers()) {
        let mut resp = text(StatusCode::UNAUTHORIZED, "text/plain; charset=utf-8", "Sign in with an access key.\n");
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"riffle console\", charset=\"UTF-8\""),
        );
        return resp;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "The console is read-only.\n");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let path = req.uri().path();
    if path == "/console" {
        let mut resp = text(StatusCode::MOVED_PERMANENTLY, "text/plain; charset=utf-8", "");
        resp.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/console/"));
        return resp;
    }
    let rest = &path["/console/".len()..];
    match rest.strip_prefix("api/") {
        Some(api_path) => {
            app.console.watched(app);
            let query = req.uri().query().unwrap_or_default();
            match api::route(app, api_path, query).await {
                Ok(value) => json(StatusCode::OK, &value),
                Err(e) => json(e.status, &serde_json::json!({ "error": e.message })),
            }
        }
        None => match assets::find(rest) {
            Some((content_type, body)) => secured(text(StatusCode::OK, content_type, body)),
            None => text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "No such console page.\n"),
        },
    }
}

/// An API error: the status and what the page shows.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: StatusCode,
    pub message: String,
}

impl ApiFailure {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: message.into() }
    }
}

/// With `--auth` off, everyone; with it on, HTTP Basic credentials naming a configured access
/// key id and its secret. Basic sends the secret with every request, as SigV4 does not, so
/// serve with `--tls` anywhere but loopback. The secret is compared in constant time.
fn authorized(app: &App, headers: &http::HeaderMap) -> bool {
    let Some(auth) = &app.config.auth else { return true };
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
    let Ok(decoded) = String::from_utf8(decoded) else { return false };
    let Some((id, secret)) = decoded.split_once(':') else { return false };
    auth.keys.get(id).is_some_and(|key| constant_time_eq(key.secret_access_key.as_bytes(), secret.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::Full(Full::new(body.into())));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The page loads nothing but its own files, and no other site may frame it.
fn secured(mut resp: Response<ResponseBody>) -> Response<ResponseBody> {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response<ResponseBody> {
    text(status, "application/json", serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(super::constant_time_eq(b"secret", b"secret"));
        assert!(!super::constant_time_eq(b"secret", b"secreT"));
        assert!(!super::constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn console_paths() {
        assert!(super::is_console("/console"));
        assert!(super::is_console("/console/api/streams"));
        assert!(!super::is_console("/consoles"));
        assert!(!super::is_console("/"));
    }
}
