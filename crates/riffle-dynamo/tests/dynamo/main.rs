//! Tests of the DynamoDB model against simple models: the store under random lease-table
//! operations, batches and transactions (with reopenings and snapshots between them), the condition evaluator against a
//! direct interpretation of random conditions, and decimal arithmetic against integers.

mod batches;
mod expressions;
mod numbers;
mod store_model;

use riffle_dynamo::{Dynamo, DynamoError};
use serde_json::Value;

/// Calls an operation with a JSON body, answering JSON.
pub fn call(d: &Dynamo, op: &str, body: Value) -> Result<Value, DynamoError> {
    let out = d.call(op, &serde_json::to_vec(&body).unwrap())?;
    Ok(serde_json::from_slice(&out).unwrap())
}
