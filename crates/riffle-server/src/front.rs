//! The front door: what Kinesis answers before any operation sees a request — wrong methods,
//! content types it does not speak, CORS preflights — in the shapes AWS uses for them, which are
//! not the JSON errors of the API proper (kinesalite's connection tests, recorded against AWS):
//!
//! - a method other than POST: 403 with an XML `AccessDeniedException` and no content type
//!   (`MissingAuthenticationTokenException` instead when `--auth` is on and nothing is signed);
//! - a content type that is neither JSON 1.1 nor CBOR 1.1: the same 403, or a bare
//!   `<UnknownOperationException/>` 404 when the target names a real operation;
//! - `application/json`: the Coral service's deprecated envelope, status 200;
//! - an `Origin` header: `Access-Control-Allow-Origin: *` on the answer; OPTIONS with one is a
//!   preflight, answered 200 with the requested headers and method allowed, so the JavaScript
//!   SDK works from a browser page.

use crate::http::ResponseBody;
use crate::state::App;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use riffle_proto::{Operation, Protocol};

/// How a request's content type is spoken.
enum Speech {
    Api(Protocol),
    /// `application/json`: Coral's pre-1.1 JSON, which Kinesis no longer serves.
    DeprecatedJson,
    /// Anything else, or no content type at all.
    Foreign,
}

fn speech(headers: &HeaderMap) -> Speech {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return Speech::Foreign;
    };
    match Protocol::from_content_type(ct) {
        Some(proto) => Speech::Api(proto),
        None if ct.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json") => {
            Speech::DeprecatedJson
        }
        None => Speech::Foreign,
    }
}

/// The encoding to speak to the API with, or the whole answer when the request never reaches it.
pub(crate) async fn screen(
    app: &App,
    req: Request<Incoming>,
) -> Result<(Protocol, Request<Incoming>), Response<ResponseBody>> {
    if req.method() == Method::OPTIONS && req.headers().contains_key(header::ORIGIN) {
        return Err(preflight(req.headers()));
    }
    let unsigned = app.config.auth.is_some() && !is_signed(&req);
    if req.method() != Method::POST {
        return Err(if unsigned { missing_token() } else { access_denied() });
    }
    match speech(req.headers()) {
        Speech::Api(proto) => Ok((proto, req)),
        Speech::Foreign if unsigned => Err(missing_token()),
        Speech::Foreign => {
            let target = req.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
            Err(match Operation::from_target(target) {
                Some(_) => xml(StatusCode::NOT_FOUND, "<UnknownOperationException/>\n".to_string()),
                None => access_denied(),
            })
        }
        Speech::DeprecatedJson => {
            let body = Limited::new(req.into_body(), crate::http::MAX_BODY_BYTES).collect().await;
            let is_object = body
                .is_ok_and(|b| serde_json::from_slice::<serde_json::Value>(&b.to_bytes()).is_ok_and(|v| v.is_object()));
            // The envelope's member is `Message` for one and `message` for the other, as recorded.
            let output = if is_object {
                r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException","message":null},"Version":"1.0"}"#
            } else {
                r#"{"Output":{"__type":"com.amazon.coral.service#SerializationException","Message":null},"Version":"1.0"}"#
            };
            let mut resp = Response::new(ResponseBody::Full(Full::new(Bytes::from_static(output.as_bytes()))));
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Err(with_request_id(resp))
        }
    }
}

/// Adds the CORS answer headers when the request came from a browser page.
pub(crate) fn cors(origin: bool, mut resp: Response<ResponseBody>) -> Response<ResponseBody> {
    if origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date",
            ),
        );
    }
    resp
}

fn preflight(headers: &HeaderMap) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::Full(Full::new(Bytes::new())));
    let h = resp.headers_mut();
    if let Some(v) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
    }
    if let Some(v) = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD) {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v.clone());
    }
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("172800"));
    with_request_id(resp)
}

/// Whether the request carries any signature at all (header or query-string form).
fn is_signed<B>(req: &Request<B>) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv.split('=').next() == Some("X-Amz-Algorithm")))
}

fn access_denied() -> Response<ResponseBody> {
    xml_error("AccessDeniedException", "Unable to determine service/operation name to be authorized")
}

fn missing_token() -> Response<ResponseBody> {
    xml_error("MissingAuthenticationTokenException", "Missing Authentication Token")
}

fn xml_error(kind: &str, message: &str) -> Response<ResponseBody> {
    xml(StatusCode::FORBIDDEN, format!("<{kind}>\n  <Message>{message}</Message>\n</{kind}>\n"))
}

/// AWS sends these bodies without a content type.
fn xml(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut resp = Response::new(ResponseBody::Full(Full::new(Bytes::from(body))));
    *resp.status_mut() = status;
    with_request_id(resp)
}

fn with_request_id(mut resp: Response<ResponseBody>) -> Response<ResponseBody> {
    if let Ok(id) = HeaderValue::from_str(&crate::http::request_id()) {
        resp.headers_mut().insert("x-amzn-requestid", id);
    }
    resp
}
