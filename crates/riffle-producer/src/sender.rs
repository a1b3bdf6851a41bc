//! One PutRecords call, and how its errors are told apart: what is worth retrying (throttling,
//! internal failures, timeouts, lost connections) and what is not (a missing stream, a refused
//! request, bad credentials).

use crate::cbor::{CborAnswers, Wire};
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use riffle_proto::ErrorCode;
use std::sync::Arc;

/// A call that failed as a whole.
#[derive(Debug, Clone)]
pub(crate) struct RequestError {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

impl RequestError {
    pub fn retryable(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_string(), message: message.into(), retryable: true }
    }

    pub fn non_retryable(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_string(), message: message.into(), retryable: false }
    }

    pub fn is_throttling(&self) -> bool {
        is_throttling(&self.code)
    }
}

pub(crate) fn is_throttling(code: &str) -> bool {
    matches!(code, "ProvisionedThroughputExceededException" | "ThrottlingException")
}

/// Per-entry codes are retryable: AWS sends only throttling and `InternalFailure` there.
pub(crate) fn is_retryable_code(code: &str) -> bool {
    code == "InternalFailure" || ErrorCode::from_type_name(code).is_none_or(ErrorCode::is_retryable)
}

/// Sorts an SDK error into retryable or not, keeping AWS's code and message.
pub(crate) fn classify<E, R>(err: SdkError<E, R>) -> RequestError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().unwrap_or_default().to_string();
            // Unknown codes are retried: a record's TTL bounds the cost of being wrong.
            let retryable = ErrorCode::from_type_name(&code).is_none_or(ErrorCode::is_retryable);
            RequestError { code, message, retryable }
        }
        SdkError::TimeoutError(_) => RequestError::retryable("RequestTimeout", "PutRecords timed out (RequestTimeout)"),
        SdkError::DispatchFailure(d) => {
            let message = format!("could not reach the endpoint: {}", source_chain(&err));
            if d.is_user() {
                RequestError::non_retryable("DispatchFailure", message)
            } else {
                RequestError::retryable("DispatchFailure", message)
            }
        }
        SdkError::ResponseError(_) => {
            RequestError::retryable("ResponseError", format!("unreadable response: {}", source_chain(&err)))
        }
        SdkError::ConstructionFailure(_) => RequestError::non_retryable("ConstructionFailure", source_chain(&err)),
        _ => RequestError::retryable("Unknown", source_chain(&err)),
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// One entry, cheap to clone out of the pipeline's buffers.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Bytes,
}

/// The answer for one entry, in request order.
#[derive(Debug, Clone)]
pub(crate) enum EntryResult {
    Written { shard_id: Arc<str>, sequence_number: Arc<str> },
    Failed { code: String, message: String },
}

/// Sends one PutRecords call. The body is ours ([`crate::body`]), in CBOR unless the wire says
/// JSON ([`crate::cbor`]); the SDK is asked for a call without records and its request's body
/// is swapped for ours before it signs. The SDK's own retries are off (the pipeline retries
/// only the failed entries), and its timeouts are RequestTimeout and ConnectTimeout.
pub(crate) async fn put_records(
    client: &aws_sdk_kinesis::Client,
    wire: &Arc<Wire>,
    stream: &str,
    entries: Vec<Entry>,
) -> Result<Vec<EntryResult>, RequestError> {
    let n = entries.len();
    let cbor = wire.cbor();
    let body =
        if cbor { crate::body::put_records_cbor(stream, &entries) } else { crate::body::put_records(stream, &entries) };
    drop(entries);
    let mut call =
        client.put_records().stream_name(stream).set_records(Some(Vec::new())).customize().mutate_request(move |req| {
            req.headers_mut().insert("content-length", body.len().to_string());
            if cbor {
                req.headers_mut().insert("content-type", riffle_proto::Protocol::CBOR_CONTENT_TYPE);
            }
            *req.body_mut() = SdkBody::from(body.clone());
        });
    let answers = cbor.then(|| CborAnswers::new(wire.clone()));
    if let Some(answers) = &answers {
        call = call.interceptor(answers.clone());
    }
    let out = match call.send().await {
        Ok(out) => out,
        // Refused for its encoding: worth sending again, now in JSON.
        Err(e) if answers.as_ref().is_some_and(CborAnswers::refused) => {
            let e = classify(e);
            return Err(RequestError::retryable(&e.code, format!("{} (sent in CBOR; JSON from now on)", e.message)));
        }
        Err(e) => return Err(classify(e)),
    };
    if out.records().len() != n {
        // Which entry is which is unknowable; everything is tried again.
        return Err(RequestError::retryable(
            "Record Count Mismatch",
            format!("PutRecords answered {} results for {n} records", out.records().len()),
        ));
    }
    Ok(out
        .records()
        .iter()
        .map(|r| match (r.shard_id(), r.sequence_number(), r.error_code()) {
            (Some(shard), Some(seq), None) => {
                EntryResult::Written { shard_id: Arc::from(shard), sequence_number: Arc::from(seq) }
            }
            (_, _, code) => EntryResult::Failed {
                code: code.unwrap_or("Unknown").to_string(),
                message: r.error_message().unwrap_or_default().to_string(),
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_codes_are_retryable_unless_known_otherwise() {
        assert!(is_retryable_code("InternalFailure"));
        assert!(is_retryable_code("ProvisionedThroughputExceededException"));
        assert!(is_retryable_code("SomethingNew"));
        assert!(!is_retryable_code("KMSDisabledException"));
        assert!(is_throttling("ProvisionedThroughputExceededException"));
    }
}
