//! The operations: the wire shapes each one reads, its checks (in DynamoDB's order and words),
//! and its answer. One exhaustive table of operation names dispatches them.

mod admin;
mod batch;
mod describe;
mod items;
mod read;
mod tables;
mod tokens;
mod transact;

use crate::error::{DynamoError, violations_to_error};
use crate::expr::{Params, Path, parse_projection};
use crate::store::Store;
use crate::value::{Item, item_from_json};
use parking_lot::Mutex;
use riffle_proto::Violations;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// The DynamoDB endpoint: a store and the names its ARNs use.
pub struct Dynamo {
    pub(crate) store: Store,
    pub(crate) region: String,
    pub(crate) account: String,
    /// TransactWriteItems' recent client request tokens.
    tokens: Mutex<tokens::Tokens>,
}

impl Dynamo {
    pub fn new(store: Store, region: impl Into<String>, account: impl Into<String>) -> Dynamo {
        Dynamo { store, region: region.into(), account: account.into(), tokens: Mutex::default() }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Answers one request: `op` is the part of `X-Amz-Target` after `DynamoDB_20120810.`,
    /// `body` the JSON 1.0 request. The answer is the JSON body to send with HTTP 200.
    pub fn call(&self, op: &str, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
        let req: Json = if body.iter().all(u8::is_ascii_whitespace) {
            Json::Object(Default::default())
        } else {
            serde_json::from_slice(body).map_err(|e| DynamoError::serialization(e.to_string()))?
        };
        if !req.is_object() {
            return Err(DynamoError::serialization("Start of list found where not expected"));
        }
        let out = match op {
            "CreateTable" => tables::create(self, decode(req)?)?,
            "DescribeTable" => tables::describe(self, decode(req)?)?,
            "DeleteTable" => tables::delete(self, decode(req)?)?,
            "ListTables" => tables::list(self, decode(req)?)?,
            "UpdateTable" => tables::update(self, decode(req)?)?,
            "GetItem" => items::get(self, decode(req)?)?,
            "PutItem" => items::put(self, decode(req)?)?,
            "UpdateItem" => items::update(self, decode(req)?)?,
            "DeleteItem" => items::delete(self, decode(req)?)?,
            "BatchGetItem" => batch::get(self, decode(req)?)?,
            "BatchWriteItem" => batch::write(self, decode(req)?)?,
            "TransactGetItems" => transact::get(self, decode(req)?)?,
            "TransactWriteItems" => transact::write(self, req)?,
            "Scan" => read::scan(self, decode(req)?)?,
            "Query" => read::query(self, decode(req)?)?,
            "DescribeContinuousBackups" => admin::describe_backups(self, decode(req)?)?,
            "UpdateContinuousBackups" => admin::update_backups(self, decode(req)?)?,
            "DescribeTimeToLive" => admin::describe_ttl(self, decode(req)?)?,
            "UpdateTimeToLive" => admin::update_ttl(self, decode(req)?)?,
            "TagResource" => admin::tag(self, decode(req)?)?,
            "UntagResource" => admin::untag(self, decode(req)?)?,
            "ListTagsOfResource" => admin::list_tags(self, decode(req)?)?,
            "DescribeLimits" => admin::limits(),
            _ => return Err(DynamoError::unknown_operation()),
        };
        serde_json::to_vec(&out).map_err(|_| DynamoError::internal())
    }

    pub(crate) fn table_arn(&self, table: &str) -> String {
        format!("arn:aws:dynamodb:{}:{}:table/{table}", self.region, self.account)
    }

    /// The table a batch or transaction names: its name, or the ARN of one of ours (those
    /// members take either).
    pub(crate) fn table_ref(&self, name_or_arn: &str) -> String {
        name_or_arn.strip_prefix(&self.table_arn("")).unwrap_or(name_or_arn).to_string()
    }
}

fn decode<T: DeserializeOwned>(req: Json) -> Result<T, DynamoError> {
    serde_json::from_value(req).map_err(|e| DynamoError::serialization(e.to_string()))
}

/// `TableName`: required, 3–255 of `[a-zA-Z0-9_.-]`.
pub(crate) fn check_table_name(v: &mut Violations, name: Option<&str>) {
    v.required(&name, "tableName");
    if let Some(n) = name {
        if !n.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
            v.pattern_failed(n, "tableName", "[a-zA-Z0-9_.-]+");
        }
        v.length(Some(n), "tableName", 3, 255);
    }
}

pub(crate) fn finish(v: Violations) -> Result<(), DynamoError> {
    violations_to_error(v)
}

/// Refuses requests that mix legacy and expression parameters, naming both sides as DynamoDB
/// does.
pub(crate) fn no_mixing(legacy: &[(&str, bool)], expressions: &[(&str, bool)]) -> Result<(), DynamoError> {
    let names = |l: &[(&str, bool)]| l.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let (l, e) = (names(legacy), names(expressions));
    if l.is_empty() || e.is_empty() {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: \
         {{{l}}} Expression parameters: {{{e}}}"
    )))
}

/// Reads `ExpressionAttributeValues` and sets up placeholder bookkeeping.
pub(crate) fn params(
    names: Option<BTreeMap<String, String>>,
    values: Option<&Json>,
    uses_expressions: bool,
) -> Result<Params, DynamoError> {
    let values = values.map(item_from_json).transpose()?;
    Params::new(names, values, uses_expressions)
}

/// A projection from `ProjectionExpression` or `AttributesToGet`, if either is given.
pub(crate) fn projection(
    expr: Option<&str>,
    to_get: Option<&[String]>,
    p: &mut Params,
) -> Result<Option<Vec<Path>>, DynamoError> {
    match (expr, to_get) {
        (Some(e), _) => parse_projection(e, p).map(Some),
        (None, Some(names)) => crate::expr::legacy::attributes_to_get(names).map(Some),
        (None, None) => Ok(None),
    }
}

/// A required key map.
pub(crate) fn key_param(key: Option<&Json>) -> Result<Item, DynamoError> {
    key.map(item_from_json).transpose().map(Option::unwrap_or_default)
}

/// The `ConsumedCapacity` answer member, when `ReturnConsumedCapacity` asks for it.
pub(crate) fn consumed(mode: Option<&str>, table: &str, units: f64) -> Option<Json> {
    match mode {
        Some("TOTAL") => Some(json!({"TableName": table, "CapacityUnits": units})),
        Some("INDEXES") => Some(json!({"TableName": table, "CapacityUnits": units, "Table": {"CapacityUnits": units}})),
        _ => None,
    }
}

pub(crate) fn check_consumed(v: &mut Violations, mode: Option<&str>) {
    v.one_of(mode, "returnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]);
}
