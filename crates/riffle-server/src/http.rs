//! The HTTP front: one `POST /` route; `X-Amz-Target` names the operation and the content type
//! picks the encoding, for the request and its answer alike. Answers are whole bodies, except
//! SubscribeToShard's, an `application/vnd.amazon.eventstream` body fed as events happen.

use crate::fanout::EventBody;
use crate::ops;
use crate::state::App;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use riffle_proto::{ApiError, ErrorCode, Operation, Protocol, encode_error};
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Largest request body accepted. A 10 MiB PutRecords is about 13.4 MiB as base64 JSON.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// An answer's body: a whole one (every operation but one), or an event stream.
#[derive(Debug)]
pub enum ResponseBody {
    Full(Full<Bytes>),
    Events(EventBody),
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResponseBody::Full(b) => Pin::new(b).poll_frame(cx),
            ResponseBody::Events(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(b) => b.is_end_stream(),
            ResponseBody::Events(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(b) => b.size_hint(),
            ResponseBody::Events(b) => b.size_hint(),
        }
    }
}

/// What an operation answers with.
enum Reply {
    Body(Vec<u8>),
    Events(EventBody),
}

const EVENT_STREAM_CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Response<ResponseBody>, Infallible> {
    // Before the front door, which answers every other GET as AWS does. Under --auth a scraper
    // cannot sign, so the metrics are only on --metrics-addr (bind it where only you reach).
    if req.method() == http::Method::GET && req.uri().path() == "/metrics" && app.config.auth.is_none() {
        return Ok(crate::metrics::exposition(crate::metrics::render(&app)).map(ResponseBody::Full));
    }
    // The read-only web console and its JSON (`crate::console`), before the front door too.
    if crate::console::is_console(req.uri().path()) {
        return Ok(crate::console::handle(&app, req).await);
    }
    let origin = req.headers().contains_key(http::header::ORIGIN);
    // The lease tables of KCL-style consumers share the port (`crate::dynamo`).
    if let Some(op) = crate::dynamo::operation(&req) {
        return Ok(crate::front::cors(origin, crate::dynamo::handle(app, op, req).await));
    }
    let (proto, req) = match crate::front::screen(&app, req).await {
        Ok(pass) => pass,
        Err(answer) => return Ok(crate::front::cors(origin, answer)),
    };
    // A bug must cost one request a 500, never the connection or the process.
    let result = match CatchUnwind(Box::pin(answer(&app, proto, req))).await {
        Ok(r) => r,
        Err(()) => {
            tracing::error!("request handler panicked");
            Err(ApiError::internal())
        }
    };
    Ok(crate::front::cors(origin, respond(proto, result)))
}

async fn answer(app: &Arc<App>, proto: Protocol, req: Request<Incoming>) -> Result<Reply, ApiError> {
    let target = req.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    // Kinesis names no operation it does not know, nor says why (kinesalite's recording).
    let Some(op) = Operation::from_target(target) else {
        return Err(ApiError::new(ErrorCode::UnknownOperation, ""));
    };
    let (head, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY_BYTES).collect().await.map_err(|e| {
        if e.is::<http_body_util::LengthLimitError>() {
            ApiError::new(ErrorCode::RequestEntityTooLarge, "Request Entity Too Large")
        } else {
            ApiError::serialization(format!("Could not read the request body: {e}"))
        }
    })?;
    let body = body.to_bytes();
    // As Kinesis does (kinesalite's record): method and target first, then the signature, then
    // the body's contents.
    if let Some(auth) = &app.config.auth {
        crate::auth::check(auth, &app.config.region, &head, &body)?;
    }
    if op == Operation::SubscribeToShard {
        return ops::subscribe(app, proto, &body).await.map(Reply::Events);
    }
    ops::dispatch(app, op, proto, &body).await.map(Reply::Body)
}

/// Turns a panic while polling the inner future into `Err(())`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || fut.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

fn respond(proto: Protocol, result: Result<Reply, ApiError>) -> Response<ResponseBody> {
    let (status, body, error_type) = match result {
        Ok(Reply::Body(body)) => (StatusCode::OK, ResponseBody::Full(Full::new(Bytes::from(body))), None),
        Ok(Reply::Events(events)) => (StatusCode::OK, ResponseBody::Events(events), None),
        Err(e) => {
            let status = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let body = ResponseBody::Full(Full::new(Bytes::from(encode_error(proto, &e))));
            (status, body, Some(e.code.type_name()))
        }
    };
    let content_type = match body {
        ResponseBody::Events(_) => EVENT_STREAM_CONTENT_TYPE,
        ResponseBody::Full(_) => proto.content_type(),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        h.insert("x-amzn-requestid", id);
    }
    if let Some(t) = error_type {
        h.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    resp
}

/// A random version-4 UUID, as AWS request ids are.
pub(crate) fn request_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(x >> 4)] as char);
        out.push(HEX[usize::from(x & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_version_4_uuids() {
        let id = super::request_id();
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(groups[2].starts_with('4'));
        assert!(matches!(&groups[3][..1], "8" | "9" | "a" | "b"));
        assert_ne!(id, super::request_id());
    }
}
