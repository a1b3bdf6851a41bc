//! A minimal Kinesis JSON 1.1 client over hyper-util's pooled HTTP/1.1 client.
//!
//! It is deliberately not the AWS SDK: the load tool shares the machine with the server under
//! test, so a call is one pre-encoded body plus a handful of pre-built headers, and nothing is
//! re-serialised or re-signed per request.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::CallError;
use crate::wire::Operation;

/// A cheap-to-share handle on one endpoint. Cloning shares the connection pool.
#[derive(Clone)]
pub(crate) struct KinesisClient {
    http: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
    amz_date: HeaderValue,
    authorization: HeaderValue,
}

impl KinesisClient {
    /// `connections` bounds the idle pool: with one request in flight per worker, that is the
    /// number of keep-alive connections a run holds open.
    pub(crate) fn new(endpoint: &Uri, connections: usize) -> Self {
        let mut connector = HttpConnector::new();
        // Small request/response pairs on keep-alive connections: Nagle would add latency.
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(connections).build(connector);
        let (amz_date, authorization) = signature_headers(SystemTime::now());
        KinesisClient { http, uri: endpoint.clone(), amz_date, authorization }
    }

    /// Sends one operation and returns the 2xx body, or the service's error as a
    /// [`CallError::Service`] with the bare `__type`.
    pub(crate) async fn call(&self, op: impl Operation, body: Bytes) -> Result<Bytes, CallError> {
        let resp = self.open(op, body).await?;
        Ok(resp.into_body().collect().await.map_err(CallError::Body)?.to_bytes())
    }

    /// Sends one operation and returns the 2xx response as soon as its head arrives, body
    /// unread: SubscribeToShard's body is a stream that lasts minutes. A non-2xx answer is read
    /// to the end and returned as a [`CallError::Service`].
    pub(crate) async fn open(&self, op: impl Operation, body: Bytes) -> Result<Response<Incoming>, CallError> {
        let mut req = Request::post(self.uri.clone()).body(Full::new(body)).expect("static request parts are valid");
        let h = req.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
        h.insert("x-amz-target", HeaderValue::from_static(op.target_str()));
        h.insert("x-amz-date", self.amz_date.clone());
        h.insert(AUTHORIZATION, self.authorization.clone());
        let resp = self.http.request(req).await.map_err(CallError::Transport)?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.map_err(CallError::Body)?.to_bytes();
        Err(service_error(parts.status, &parts.headers, &bytes))
    }
}

/// Builds `X-Amz-Date` and an `Authorization` header of valid SigV4 *shape*.
///
/// The signature is NOT computed: the targets are local emulators (kinesalite, moto) that check
/// only that the header and its parts are present, and Riffle in its default mode. Computing a
/// real HMAC chain per request would cost CPU on the machine being measured for no benefit; a
/// real AWS endpoint would reject these requests (and needs TLS, which this tool does not speak).
pub(crate) fn signature_headers(now: SystemTime) -> (HeaderValue, HeaderValue) {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let stamp = amz_timestamp(secs);
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/us-east-1/kinesis/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
        &stamp[..8],
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
    (
        HeaderValue::from_str(&stamp).expect("timestamp is ASCII"),
        HeaderValue::from_str(&auth).expect("authorization is ASCII"),
    )
}

/// Formats epoch seconds as `yyyymmddThhmmssZ` (UTC) without a date-time dependency.
pub(crate) fn amz_timestamp(epoch_secs: u64) -> String {
    let days = epoch_secs / 86_400;
    let rem = epoch_secs % 86_400;
    let (y, m, d) = riffle_types::civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Turns a non-2xx response into a [`CallError::Service`]. The type comes from the body's
/// `__type` (stripped of a `ns#` prefix and `:suffix`, as SDKs do), else the
/// `x-amzn-ErrorType` header, else `HTTP <status>` for bare answers such as kinesalite's 413.
pub(crate) fn service_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> CallError {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(rename = "__type")]
        ty: Option<String>,
        #[serde(alias = "Message")]
        message: Option<String>,
    }
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let (ty, message) = match parsed {
        Some(b) => (b.ty, b.message),
        None => (None, None),
    };
    let header_ty = headers.get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let error_type = ty
        .or(header_ty)
        .map(|t| bare_error_type(&t).to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    let message = message.unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    CallError::Service { status: status.as_u16(), error_type, message }
}

/// `com.amazonaws.kinesis#ResourceNotFoundException:http://...` -> `ResourceNotFoundException`.
pub(crate) fn bare_error_type(t: &str) -> &str {
    let t = t.rsplit_once('#').map_or(t, |(_, rest)| rest);
    t.split_once(':').map_or(t, |(head, _)| head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        assert_eq!(amz_timestamp(0), "19700101T000000Z");
        assert_eq!(amz_timestamp(1_459_799_926), "20160404T195846Z");
        assert_eq!(amz_timestamp(951_782_400 + 86_399), "20000229T235959Z");
    }

    #[test]
    fn authorization_has_sigv4_shape() {
        let t = UNIX_EPOCH + Duration::from_secs(1_459_799_926);
        let (date, auth) = signature_headers(t);
        assert_eq!(date, "20160404T195846Z");
        let auth = auth.to_str().unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20160404/us-east-1/kinesis/aws4_request, "));
        let sig = auth.rsplit_once("Signature=").unwrap().1;
        assert_eq!(sig.len(), 64);
        assert!(sig.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn error_types_are_bare() {
        let e = service_error(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"__type":"com.amazonaws.kinesis#ResourceNotFoundException:x","message":"gone"}"#,
        );
        assert!(e.is_type("ResourceNotFoundException"));
        assert_eq!(e.to_string(), "ResourceNotFoundException (HTTP 400): gone");

        let mut h = HeaderMap::new();
        h.insert("x-amzn-errortype", HeaderValue::from_static("ThrottlingException:"));
        let e = service_error(StatusCode::BAD_REQUEST, &h, b"");
        assert!(e.is_throttle());

        let e = service_error(StatusCode::PAYLOAD_TOO_LARGE, &HeaderMap::new(), b"");
        assert_eq!(e.kind(), "HTTP 413");
    }
}
