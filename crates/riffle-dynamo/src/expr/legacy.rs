//! The pre-expression parameters, still sent by the KCL and older clients: `Expected`,
//! `AttributeUpdates`, `AttributesToGet`, `ScanFilter`/`QueryFilter` and `KeyConditions`,
//! translated into the trees expressions parse to, with DynamoDB's complaints about misuse.

use super::ast::{CmpOp, Cond, Operand, Path, SetOperand, SetValue, Update};
use super::eval::compare;
use crate::error::DynamoError;
use crate::value::Value;
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// One entry of `Expected`, `ScanFilter`, `QueryFilter` or `KeyConditions`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Condition {
    pub value: Option<Json>,
    pub exists: Option<bool>,
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<Json>>,
}

/// One entry of `AttributeUpdates`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeUpdate {
    pub value: Option<Json>,
    pub action: Option<String>,
}

const OPERATORS: [&str; 13] = [
    "EQ",
    "NE",
    "IN",
    "LE",
    "LT",
    "GE",
    "GT",
    "BETWEEN",
    "NOT_NULL",
    "NULL",
    "CONTAINS",
    "NOT_CONTAINS",
    "BEGINS_WITH",
];

/// Joins conditions with `ConditionalOperator` (AND unless OR).
fn join(conds: Vec<Cond>, op: Option<&str>) -> Result<Cond, DynamoError> {
    let or = match op {
        None | Some("AND") => false,
        Some("OR") => true,
        Some(other) => {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{other}' at 'conditionalOperator' failed to satisfy \
                 constraint: Member must satisfy enum value set: [AND, OR]"
            )));
        }
    };
    let mut it = conds.into_iter();
    let Some(first) = it.next() else { return Ok(Cond::True) };
    Ok(it.fold(
        first,
        |acc, c| if or { Cond::Or(Box::new(acc), Box::new(c)) } else { Cond::And(Box::new(acc), Box::new(c)) },
    ))
}

/// `Expected`: per attribute, `Exists`/`Value` or `ComparisonOperator`/`AttributeValueList`.
pub fn expected(map: &BTreeMap<String, Condition>, op: Option<&str>) -> Result<Cond, DynamoError> {
    let mut out = Vec::new();
    for (attr, c) in map {
        let value = c.value.as_ref().map(Value::from_json).transpose()?;
        if let Some(cmp) = &c.comparison_operator {
            if c.exists.is_some() {
                return Err(DynamoError::invalid(format!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {attr}"
                )));
            }
            let args = match (value, &c.attribute_value_list) {
                (Some(_), Some(_)) => {
                    return Err(DynamoError::invalid(format!(
                        "Value and AttributeValueList cannot be used together for Attribute: {attr}"
                    )));
                }
                (Some(v), None) => vec![v],
                (None, list) => values(list.as_deref())?,
            };
            out.push(compare_op(attr, cmp, args)?);
            continue;
        }
        if c.attribute_value_list.is_some() {
            return Err(DynamoError::invalid(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {attr}"
            )));
        }
        out.push(match (c.exists, value) {
            (Some(false), Some(_)) => {
                return Err(DynamoError::invalid(format!(
                    "Value cannot be used when Exists is false for Attribute: {attr}"
                )));
            }
            (Some(false), None) => Cond::NotExists(Path::attr(attr)),
            (Some(true), None) => {
                return Err(DynamoError::invalid(format!(
                    "Value must be provided when Exists is true for Attribute: {attr}"
                )));
            }
            (None, None) => {
                return Err(DynamoError::invalid(format!(
                    "Value must be provided when Exists is null for Attribute: {attr}"
                )));
            }
            (_, Some(v)) => Cond::Cmp(Operand::Path(Path::attr(attr)), CmpOp::Eq, Operand::Value(v)),
        });
    }
    join(out, op)
}

/// `ScanFilter`, `QueryFilter` and `KeyConditions`: per attribute, an operator and its values.
pub fn filter(map: &BTreeMap<String, Condition>, op: Option<&str>) -> Result<Cond, DynamoError> {
    let mut out = Vec::new();
    for (attr, c) in map {
        let cmp = c.comparison_operator.as_deref().ok_or_else(|| {
            DynamoError::validation(format!(
                "1 validation error detected: Value null at 'comparisonOperator' failed to satisfy constraint: \
                 Member must not be null (attribute {attr})"
            ))
        })?;
        out.push(compare_op(attr, cmp, values(c.attribute_value_list.as_deref())?)?);
    }
    join(out, op)
}

fn values(list: Option<&[Json]>) -> Result<Vec<Value>, DynamoError> {
    list.unwrap_or_default().iter().map(Value::from_json).collect()
}

fn compare_op(attr: &str, op: &str, args: Vec<Value>) -> Result<Cond, DynamoError> {
    if !OPERATORS.contains(&op) {
        return Err(DynamoError::validation(format!(
            "1 validation error detected: Value '{op}' at 'comparisonOperator' failed to satisfy constraint: Member \
             must satisfy enum value set: [{}]",
            OPERATORS.join(", ")
        )));
    }
    let arity_ok = match op {
        "NULL" | "NOT_NULL" => args.is_empty(),
        "BETWEEN" => args.len() == 2,
        "IN" => !args.is_empty(),
        _ => args.len() == 1,
    };
    if !arity_ok {
        return Err(DynamoError::invalid(format!("Invalid number of argument(s) for the {op} ComparisonOperator")));
    }
    let scalar_only = matches!(op, "LE" | "LT" | "GE" | "GT" | "BETWEEN" | "CONTAINS" | "NOT_CONTAINS" | "IN");
    for a in &args {
        let ok = match op {
            "BEGINS_WITH" => matches!(a, Value::S(_) | Value::B(_)),
            _ if scalar_only => matches!(a, Value::S(_) | Value::N(_) | Value::B(_)),
            _ => !matches!(a, Value::M(_) | Value::L(_)) || op == "EQ" || op == "NE",
        };
        if !ok {
            return Err(DynamoError::invalid(format!(
                "ComparisonOperator {op} is not valid for {} AttributeValue type",
                a.type_code()
            )));
        }
    }
    let path = || Operand::Path(Path::attr(attr));
    let mut args = args.into_iter().map(Operand::Value);
    let mut arg = || args.next().unwrap_or(Operand::Value(Value::Null));
    let cmp = |o: CmpOp, v: Operand| Cond::Cmp(path(), o, v);
    Ok(match op {
        "EQ" => cmp(CmpOp::Eq, arg()),
        "NE" => cmp(CmpOp::Ne, arg()),
        "LE" => cmp(CmpOp::Le, arg()),
        "LT" => cmp(CmpOp::Lt, arg()),
        "GE" => cmp(CmpOp::Ge, arg()),
        "GT" => cmp(CmpOp::Gt, arg()),
        "NULL" => Cond::NotExists(Path::attr(attr)),
        "NOT_NULL" => Cond::Exists(Path::attr(attr)),
        "CONTAINS" => Cond::Contains(path(), arg()),
        "NOT_CONTAINS" => Cond::Not(Box::new(Cond::Contains(path(), arg()))),
        "BEGINS_WITH" => Cond::BeginsWith(path(), arg()),
        "IN" => Cond::In(path(), args.collect()),
        _ => {
            let (lo, hi) = (arg(), arg());
            if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
                if l.type_code() != h.type_code() {
                    return Err(DynamoError::invalid("AttributeValues inside AttributeValueList must be of same type"));
                }
                if compare(l, h).is_some_and(|o| o.is_gt()) {
                    return Err(DynamoError::validation(
                        "The BETWEEN condition was provided a range where the lower bound is greater than the upper \
                         bound",
                    ));
                }
            }
            Cond::Between(path(), lo, hi)
        }
    })
}

/// `AttributeUpdates`: PUT (the default), DELETE (attribute, or elements of a set) and ADD
/// (numbers, sets, and lists appended).
pub fn attribute_updates(map: &BTreeMap<String, AttributeUpdate>, key: &[&str]) -> Result<Update, DynamoError> {
    let mut u = Update::default();
    for (attr, a) in map {
        if key.contains(&attr.as_str()) {
            return Err(DynamoError::invalid(format!(
                "Cannot update attribute {attr}. This attribute is part of the key"
            )));
        }
        let value = a.value.as_ref().map(Value::from_json).transpose()?;
        let path = Path::attr(attr);
        match (a.action.as_deref().unwrap_or("PUT"), value) {
            ("DELETE", None) => u.remove.push(path),
            ("DELETE", Some(v)) if v.is_set() => u.delete.push((path, v)),
            ("DELETE", Some(v)) => {
                return Err(DynamoError::invalid(format!(
                    "DELETE action with value is not supported for the type {}",
                    v.type_code()
                )));
            }
            ("PUT" | "ADD", None) => {
                return Err(DynamoError::invalid("Only DELETE action is allowed when no attribute value is specified"));
            }
            ("PUT", Some(v)) => u.set.push((path, SetValue::Operand(SetOperand::Value(v)))),
            ("ADD", Some(v)) if matches!(v, Value::N(_) | Value::L(_)) || v.is_set() => u.add.push((path, v)),
            ("ADD", Some(v)) => {
                return Err(DynamoError::invalid(format!(
                    "ADD action is not supported for the type {}",
                    v.type_code()
                )));
            }
            (other, _) => {
                return Err(DynamoError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeUpdates.{attr}.member.action' failed \
                     to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                )));
            }
        }
    }
    Ok(u)
}

/// `AttributesToGet`: top-level names, no duplicates.
pub fn attributes_to_get(names: &[String]) -> Result<Vec<Path>, DynamoError> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(DynamoError::invalid(format!("Duplicate value in attribute name: {n}")));
        }
    }
    Ok(names.iter().map(Path::attr).collect())
}
