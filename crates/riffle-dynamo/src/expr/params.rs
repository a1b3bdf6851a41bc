//! `ExpressionAttributeNames` and `ExpressionAttributeValues`, and the bookkeeping DynamoDB does
//! on them: every placeholder used must be defined, and every one defined must be used by some
//! expression of the request.

use crate::error::DynamoError;
use crate::value::{Item, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Params {
    names: Option<BTreeMap<String, String>>,
    values: Option<Item>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Params {
    /// Checks the maps as DynamoDB does before it reads any expression: present means non-empty,
    /// and only when the request uses expressions at all.
    pub fn new(
        names: Option<BTreeMap<String, String>>,
        values: Option<Item>,
        uses_expressions: bool,
    ) -> Result<Params, DynamoError> {
        if !uses_expressions {
            if values.is_some() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
            if names.is_some() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
        }
        if values.as_ref().is_some_and(|v| v.is_empty()) {
            return Err(DynamoError::validation("ExpressionAttributeValues must not be empty"));
        }
        if names.as_ref().is_some_and(|v| v.is_empty()) {
            return Err(DynamoError::validation("ExpressionAttributeNames must not be empty"));
        }
        if let Some(v) = &values
            && let Some(bad) = v.keys().find(|k| !valid_placeholder(k, ':'))
        {
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{bad}\""
            )));
        }
        if let Some(n) = &names
            && let Some(bad) = n.keys().find(|k| !valid_placeholder(k, '#'))
        {
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{bad}\""
            )));
        }
        Ok(Params { names, values, ..Params::default() })
    }

    /// What `#name` stands for.
    pub fn name(&mut self, placeholder: &str) -> Option<String> {
        let v = self.names.as_ref()?.get(placeholder)?.clone();
        self.used_names.insert(placeholder.to_string());
        Some(v)
    }

    /// What `:value` stands for.
    pub fn value(&mut self, placeholder: &str) -> Option<Value> {
        let v = self.values.as_ref()?.get(placeholder)?.clone();
        self.used_values.insert(placeholder.to_string());
        Some(v)
    }

    /// After every expression is parsed: defined but unused placeholders are an error.
    pub fn check_all_used(&self) -> Result<(), DynamoError> {
        let unused = |defined: Option<Vec<&String>>, used: &BTreeSet<String>| -> Vec<String> {
            defined.unwrap_or_default().into_iter().filter(|k| !used.contains(*k)).cloned().collect()
        };
        let names = unused(self.names.as_ref().map(|m| m.keys().collect()), &self.used_names);
        if !names.is_empty() {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.as_ref().map(|m| m.keys().collect()), &self.used_values);
        if !values.is_empty() {
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }
}

fn valid_placeholder(k: &str, sigil: char) -> bool {
    k.strip_prefix(sigil).is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}
