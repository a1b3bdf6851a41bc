//! DynamoDB's errors: the `__type` each one carries on the wire (namespaced, unlike Kinesis's)
//! and the message wording DynamoDB uses, so clients that match on either keep working.

use crate::value::{Item, item_to_json};
use std::fmt;

/// Every error type this endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    ConditionalCheckFailed,
    /// A transaction refused as a whole; the reasons say which actions failed.
    TransactionCanceled,
    /// A `ClientRequestToken` reused with a different request.
    IdempotentParameterMismatch,
    ResourceNotFound,
    ResourceInUse,
    /// The backup operations' own "no such table".
    TableNotFound,
    Validation,
    Serialization,
    UnknownOperation,
    LimitExceeded,
    InternalServer,
    /// Signature checks (`--auth`), answered in the request framework's namespace.
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
}

impl ErrorKind {
    /// The fully qualified `__type`. DynamoDB's own errors live in its service namespace; the
    /// generic request errors in the Coral framework's, as DynamoDB sends them.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::ConditionalCheckFailed => "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            ErrorKind::TransactionCanceled => "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            ErrorKind::IdempotentParameterMismatch => {
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
            }
            ErrorKind::ResourceNotFound => "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
            ErrorKind::ResourceInUse => "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
            ErrorKind::TableNotFound => "com.amazonaws.dynamodb.v20120810#TableNotFoundException",
            ErrorKind::LimitExceeded => "com.amazonaws.dynamodb.v20120810#LimitExceededException",
            ErrorKind::InternalServer => "com.amazonaws.dynamodb.v20120810#InternalServerError",
            ErrorKind::Validation => "com.amazon.coral.validate#ValidationException",
            ErrorKind::Serialization => "com.amazon.coral.service#SerializationException",
            ErrorKind::UnknownOperation => "com.amazon.coral.service#UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => "com.amazon.coral.service#MissingAuthenticationTokenException",
            ErrorKind::IncompleteSignature => "com.amazon.coral.service#IncompleteSignatureException",
            ErrorKind::InvalidSignature => "com.amazon.coral.service#InvalidSignatureException",
            ErrorKind::UnrecognizedClient => "com.amazon.coral.service#UnrecognizedClientException",
        }
    }

    /// The type name without its namespace, as the `x-amzn-errortype` header carries it.
    pub fn short_name(self) -> &'static str {
        let t = self.type_name();
        t.rsplit('#').next().unwrap_or(t)
    }

    /// 400 for every client error; 500 only when the server failed.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::InternalServer => 500,
            ErrorKind::ConditionalCheckFailed
            | ErrorKind::TransactionCanceled
            | ErrorKind::IdempotentParameterMismatch
            | ErrorKind::ResourceNotFound
            | ErrorKind::ResourceInUse
            | ErrorKind::TableNotFound
            | ErrorKind::Validation
            | ErrorKind::Serialization
            | ErrorKind::UnknownOperation
            | ErrorKind::LimitExceeded
            | ErrorKind::MissingAuthenticationToken
            | ErrorKind::IncompleteSignature
            | ErrorKind::InvalidSignature
            | ErrorKind::UnrecognizedClient => 400,
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct DynamoError {
    pub kind: ErrorKind,
    /// `None` for errors DynamoDB sends without a message (UnknownOperationException).
    pub message: Option<String>,
    /// The item as it was, for a failed condition with `ReturnValuesOnConditionCheckFailure`.
    pub item: Option<Item>,
    /// One reason per action of a cancelled transaction, in request order.
    pub reasons: Option<Vec<CancellationReason>>,
}

/// Why one action of a cancelled transaction failed: `Code` `None` (with no message) for the
/// actions that would have succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    pub code: String,
    pub message: Option<String>,
    /// The item as it was, when the action asked for `ALL_OLD` on a failed condition.
    pub item: Option<Item>,
}

impl CancellationReason {
    pub fn none() -> Self {
        Self { code: "None".into(), message: None, item: None }
    }

    fn to_json(&self) -> serde_json::Value {
        let mut r = serde_json::Map::new();
        if let Some(item) = &self.item {
            r.insert("Item".into(), item_to_json(item));
        }
        r.insert("Code".into(), self.code.clone().into());
        if let Some(m) = &self.message {
            r.insert("Message".into(), m.clone().into());
        }
        serde_json::Value::Object(r)
    }
}

impl fmt::Display for DynamoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.short_name(), self.message.as_deref().unwrap_or(""))
    }
}

impl DynamoError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: Some(message.into()), item: None, reasons: None }
    }

    /// An operation this endpoint does not serve (DynamoDB sends no message).
    pub fn unknown_operation() -> Self {
        Self { kind: ErrorKind::UnknownOperation, message: None, item: None, reasons: None }
    }

    /// `TransactionCanceledException`, its message listing every reason's code in order, as
    /// DynamoDB words it.
    pub fn transaction_canceled(reasons: Vec<CancellationReason>) -> Self {
        let codes = reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ");
        Self {
            reasons: Some(reasons),
            ..Self::new(
                ErrorKind::TransactionCanceled,
                format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"),
            )
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// `One or more parameter values were invalid: ...`, DynamoDB's prefix for bad input values.
    pub fn invalid(detail: impl fmt::Display) -> Self {
        Self::validation(format!("One or more parameter values were invalid: {detail}"))
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }

    /// Item operations on a missing table say no more than this.
    pub fn table_not_found() -> Self {
        Self::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }

    /// Control-plane operations name the table.
    pub fn table_not_found_named(table: &str) -> Self {
        Self::new(ErrorKind::ResourceNotFound, format!("Requested resource not found: Table: {table} not found"))
    }

    pub fn condition_failed(item: Option<Item>) -> Self {
        Self { item, ..Self::new(ErrorKind::ConditionalCheckFailed, "The conditional request failed") }
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    pub fn short_name(&self) -> &'static str {
        self.kind.short_name()
    }

    pub fn internal() -> Self {
        Self::new(ErrorKind::InternalServer, "Internal server error")
    }

    /// The wire body: `{"__type": ..., "message": ...}` (plus `Item` after a failed condition).
    /// A cancelled transaction carries `CancellationReasons` and, as DynamoDB sends it, a
    /// capitalised `Message`.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.kind.type_name().into());
        if let Some(reasons) = &self.reasons {
            body.insert("CancellationReasons".into(), reasons.iter().map(CancellationReason::to_json).collect());
        }
        if let Some(m) = &self.message {
            let member = if self.reasons.is_some() { "Message" } else { "message" };
            body.insert(member.into(), m.clone().into());
        }
        if let Some(item) = &self.item {
            body.insert("Item".into(), item_to_json(item));
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

/// Model constraints, collected and reported as DynamoDB does (`N validation errors detected:`),
/// with the same wording Kinesis uses, so the collector is shared with `riffle-proto`.
pub(crate) fn violations_to_error(v: riffle_proto::Violations) -> Result<(), DynamoError> {
    v.finish().map_err(|e| DynamoError::validation(e.message))
}
