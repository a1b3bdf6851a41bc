//! DynamoDB on the Kinesis port: requests whose `X-Amz-Target` starts with
//! `DynamoDB_20120810.` go to `riffle-dynamo` (the lease tables of KCL-style consumers) instead
//! of the Kinesis dispatch. This module only frames HTTP: the body limit, `--auth` (SigV4 scoped
//! to `dynamodb`), the store call off the async workers (writes fsync), and DynamoDB's answer
//! headers — JSON 1.0 and the `x-amz-crc32` checksum SDKs verify.

use crate::http::ResponseBody;
use crate::state::App;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use riffle_auth::{AuthError, Rules};
use riffle_dynamo::{DynamoError, ErrorKind, TARGET_PREFIX};
use std::sync::Arc;

/// DynamoDB refuses request bodies over 16 MB (BatchWriteItem's limit).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The DynamoDB operation a request names, if it is a DynamoDB request at all.
pub fn operation<B>(req: &Request<B>) -> Option<String> {
    let target = req.headers().get("x-amz-target")?.to_str().ok()?;
    target.strip_prefix(TARGET_PREFIX).map(str::to_string)
}

pub async fn handle(app: Arc<App>, op: String, req: Request<Incoming>) -> Response<ResponseBody> {
    let result = answer(app, op, req).await;
    respond(result)
}

async fn answer(app: Arc<App>, op: String, req: Request<Incoming>) -> Result<Vec<u8>, DynamoError> {
    if req.method() != Method::POST {
        return Err(DynamoError::unknown_operation());
    }
    let (head, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| DynamoError::serialization(format!("Could not read the request body: {e}")))?
        .to_bytes();
    if let Some(auth) = &app.config.auth {
        crate::auth::verify(auth, &Rules::dynamodb(Some(&app.config.region)), &head, &body).map_err(auth_error)?;
    }
    let app2 = Arc::clone(&app);
    tokio::task::spawn_blocking(move || app2.dynamo.call(&op, &body)).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "DynamoDB handler failed");
        Err(DynamoError::internal())
    })
}

/// AWS's authentication errors, in DynamoDB's namespace and words.
fn auth_error(e: AuthError) -> DynamoError {
    let kind = match e {
        AuthError::MissingAuthenticationToken => ErrorKind::MissingAuthenticationToken,
        AuthError::IncompleteSignature(_) => ErrorKind::IncompleteSignature,
        AuthError::InvalidSignature(_) => ErrorKind::InvalidSignature,
        AuthError::UnrecognizedClient(_) => ErrorKind::UnrecognizedClient,
    };
    let message = match kind {
        // DynamoDB words this one differently from Kinesis (dynalite's recording).
        ErrorKind::MissingAuthenticationToken => "Request is missing Authentication Token",
        _ => e.message(),
    };
    DynamoError::new(kind, message)
}

fn respond(result: Result<Vec<u8>, DynamoError>) -> Response<ResponseBody> {
    let (status, body, error_type) = match result {
        Ok(b) => (StatusCode::OK, b, None),
        Err(e) => {
            (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST), e.to_json(), Some(e.short_name()))
        }
    };
    let crc = crc32fast::hash(&body);
    let mut resp = Response::new(ResponseBody::Full(Full::new(Bytes::from(body))));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(riffle_dynamo::CONTENT_TYPE));
    h.insert("x-amz-crc32", HeaderValue::from(crc));
    if let Ok(id) = HeaderValue::from_str(&crate::http::request_id()) {
        h.insert("x-amzn-requestid", id);
    }
    if let Some(t) = error_type {
        h.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    resp
}
