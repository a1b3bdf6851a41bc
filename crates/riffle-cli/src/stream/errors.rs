//! SDK errors turned into messages that say what went wrong *and what to do next*: the raw
//! `DispatchFailure(ConnectorError { .. })` tells a person nothing about a server not started.

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};

/// What an error message needs to know about the call that failed.
pub struct Target<'a> {
    /// The endpoint as a person would recognise it (the URL, or AWS's endpoint for a region).
    pub endpoint: &'a str,
    /// Whether the endpoint is this machine (then "is `riffle serve` running?" is the question).
    pub local: bool,
    pub stream: Option<&'a str>,
}

pub fn explain<E, R>(err: SdkError<E, R>, at: &Target<'_>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let endpoint = at.endpoint;
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) if at.local => {
            anyhow::anyhow!("cannot reach {endpoint} — is `riffle serve` running? (start it with `riffle serve`)")
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => anyhow::anyhow!(
            "cannot reach {endpoint}: {} — check --endpoint-url, --region and the network",
            root_cause(&err)
        ),
        SdkError::ConstructionFailure(_) => anyhow::anyhow!(
            "could not build the request: {} — set AWS credentials (AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, or a profile) and a region (--region or AWS_REGION)",
            root_cause(&err)
        ),
        SdkError::ResponseError(_) => anyhow::anyhow!(
            "{endpoint} answered something that is not a Kinesis response — is --endpoint-url a Kinesis endpoint?"
        ),
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("UnknownError");
            let message = e.message().unwrap_or("").trim_end_matches('.');
            service_message(code, message, at)
        }
        _ => anyhow::anyhow!("request to {endpoint} failed: {}", root_cause(&err)),
    }
}

fn service_message(code: &str, message: &str, at: &Target<'_>) -> anyhow::Error {
    let endpoint = at.endpoint;
    let name = at.stream.unwrap_or("?");
    match code {
        "ResourceNotFoundException" if message.contains("hard") => {
            anyhow::anyhow!("{message} — see its shards with `riffle stream describe {name}`")
        }
        "ResourceNotFoundException" => {
            anyhow::anyhow!("stream '{name}' not found at {endpoint} — list streams with `riffle stream list`")
        }
        "ResourceInUseException" if message.contains("already exists") => {
            anyhow::anyhow!(
                "stream '{name}' already exists at {endpoint} — see it with `riffle stream describe {name}`"
            )
        }
        "ResourceInUseException" => anyhow::anyhow!(
            "{message} — the stream is busy (CREATING, UPDATING or DELETING); wait for ACTIVE \
             (`riffle stream describe {name}`) and retry"
        ),
        "LimitExceededException" => anyhow::anyhow!("{message} — a limit was reached; wait, or ask for fewer shards"),
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "AccessDeniedException" => anyhow::anyhow!(
            "{endpoint} refused the credentials ({code}: {message}) — check AWS_ACCESS_KEY_ID, \
             AWS_SECRET_ACCESS_KEY and AWS_PROFILE (a `riffle serve --auth` accepts only its --access-key keys)"
        ),
        "InvalidArgumentException" | "ValidationException" => anyhow::anyhow!("{message}"),
        _ => anyhow::anyhow!("{code}: {message}"),
    }
}

/// The innermost cause, which is the one that names the problem (connection refused, DNS).
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
