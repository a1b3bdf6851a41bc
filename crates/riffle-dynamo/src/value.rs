//! Attribute values and items, and their JSON form — the same on the wire and on disk.

use crate::error::DynamoError;
use crate::number::Number;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// An item: attribute name to value.
pub type Item = BTreeMap<String, Value>;

/// One attribute value. Sets are ordered sets, so equal sets compare equal whatever order the
/// client listed them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    S(String),
    N(Number),
    B(Vec<u8>),
    Ss(BTreeSet<String>),
    Ns(BTreeSet<Number>),
    Bs(BTreeSet<Vec<u8>>),
    M(BTreeMap<String, Value>),
    L(Vec<Value>),
    Null,
    Bool(bool),
}

/// Maps and lists may nest this deep (DynamoDB's limit).
const MAX_DEPTH: usize = 32;

impl Value {
    /// The type descriptor: `S`, `N`, `B`, `SS`, `NS`, `BS`, `M`, `L`, `NULL`, `BOOL`.
    pub fn type_code(&self) -> &'static str {
        match self {
            Value::S(_) => "S",
            Value::N(_) => "N",
            Value::B(_) => "B",
            Value::Ss(_) => "SS",
            Value::Ns(_) => "NS",
            Value::Bs(_) => "BS",
            Value::M(_) => "M",
            Value::L(_) => "L",
            Value::Null => "NULL",
            Value::Bool(_) => "BOOL",
        }
    }

    /// The type as DynamoDB names it in expression type errors.
    pub fn type_word(&self) -> &'static str {
        match self {
            Value::S(_) => "STRING",
            Value::N(_) => "NUMBER",
            Value::B(_) => "BINARY",
            Value::Ss(_) => "STRING_SET",
            Value::Ns(_) => "NUMBER_SET",
            Value::Bs(_) => "BINARY_SET",
            Value::M(_) => "MAP",
            Value::L(_) => "LIST",
            Value::Null => "NULL",
            Value::Bool(_) => "BOOLEAN",
        }
    }

    pub fn is_set(&self) -> bool {
        matches!(self, Value::Ss(_) | Value::Ns(_) | Value::Bs(_))
    }

    /// Bytes this value counts for in the 400 KB item limit (DynamoDB's accounting: strings and
    /// binaries by length, numbers by about one byte per two digits, containers 3 bytes each plus
    /// a byte per element).
    pub fn size(&self) -> usize {
        match self {
            Value::S(s) => s.len(),
            Value::N(n) => n.significant_digits().div_ceil(2) + 1,
            Value::B(b) => b.len(),
            Value::Ss(s) => s.iter().map(String::len).sum(),
            Value::Ns(s) => s.iter().map(|n| n.significant_digits().div_ceil(2) + 1).sum(),
            Value::Bs(s) => s.iter().map(Vec::len).sum(),
            Value::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            Value::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            Value::Null | Value::Bool(_) => 1,
        }
    }

    pub fn to_json(&self) -> Json {
        let (tag, body) = match self {
            Value::S(s) => ("S", Json::String(s.clone())),
            Value::N(n) => ("N", Json::String(n.to_string())),
            Value::B(b) => ("B", Json::String(STANDARD.encode(b))),
            Value::Ss(s) => ("SS", s.iter().map(|x| Json::String(x.clone())).collect()),
            Value::Ns(s) => ("NS", s.iter().map(|x| Json::String(x.to_string())).collect()),
            Value::Bs(s) => ("BS", s.iter().map(|x| Json::String(STANDARD.encode(x))).collect()),
            Value::M(m) => ("M", item_to_json(m)),
            Value::L(l) => ("L", l.iter().map(Value::to_json).collect()),
            Value::Null => ("NULL", Json::Bool(true)),
            Value::Bool(b) => ("BOOL", Json::Bool(*b)),
        };
        let mut m = Map::with_capacity(1);
        m.insert(tag.to_string(), body);
        Json::Object(m)
    }

    /// Reads a wire `AttributeValue`, with DynamoDB's complaints about malformed ones.
    pub fn from_json(j: &Json) -> Result<Value, DynamoError> {
        Self::from_json_at(j, 0)
    }

    fn from_json_at(j: &Json, depth: usize) -> Result<Value, DynamoError> {
        if depth > MAX_DEPTH {
            return Err(DynamoError::validation("Nesting Levels have exceeded supported limits"));
        }
        let Json::Object(m) = j else {
            return Err(DynamoError::serialization("Unexpected value type in payload"));
        };
        // Members set to null count as absent, as the SDKs' serializers leave them out.
        let mut set = m.iter().filter(|(_, v)| !v.is_null());
        let (tag, body) = match (set.next(), set.next()) {
            (None, _) => {
                return Err(DynamoError::validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
                ));
            }
            (Some(one), None) => one,
            (Some(_), Some(_)) => {
                return Err(DynamoError::validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the \
                     supported datatypes",
                ));
            }
        };
        let text = |v: &Json| v.as_str().map(str::to_string).ok_or_else(|| wrong_type(tag));
        let list = |v: &Json| v.as_array().cloned().ok_or_else(|| wrong_type(tag));
        Ok(match tag.as_str() {
            "S" => Value::S(text(body)?),
            "N" => Value::N(Number::parse(&text(body)?)?),
            "B" => Value::B(decode_b64(&text(body)?)?),
            "BOOL" => Value::Bool(body.as_bool().ok_or_else(|| wrong_type(tag))?),
            "NULL" => match body.as_bool() {
                Some(true) => Value::Null,
                Some(false) => {
                    return Err(DynamoError::invalid("Null attribute value types must have the value of true"));
                }
                None => return Err(wrong_type(tag)),
            },
            "SS" => {
                let v = list(body)?.iter().map(text).collect::<Result<Vec<_>, _>>()?;
                Value::Ss(unique(v, "An string set  may not be empty", |s| s.clone())?)
            }
            "NS" => {
                let v = list(body)?.iter().map(|x| Number::parse(&text(x)?)).collect::<Result<Vec<_>, _>>()?;
                Value::Ns(unique(v, "An number set  may not be empty", Number::to_string)?)
            }
            "BS" => {
                let v = list(body)?.iter().map(|x| decode_b64(&text(x)?)).collect::<Result<Vec<_>, _>>()?;
                Value::Bs(unique(v, "Binary sets should not be empty", |b| STANDARD.encode(b))?)
            }
            "L" => Value::L(list(body)?.iter().map(|x| Self::from_json_at(x, depth + 1)).collect::<Result<_, _>>()?),
            "M" => {
                let Json::Object(m) = body else { return Err(wrong_type(tag)) };
                Value::M(
                    m.iter()
                        .map(|(k, v)| Ok((k.clone(), Self::from_json_at(v, depth + 1)?)))
                        .collect::<Result<_, _>>()?,
                )
            }
            other => {
                return Err(DynamoError::serialization(format!("Unknown AttributeValue member {other}")));
            }
        })
    }
}

fn wrong_type(tag: &str) -> DynamoError {
    DynamoError::serialization(format!("Unexpected value type for AttributeValue member {tag}"))
}

fn decode_b64(s: &str) -> Result<Vec<u8>, DynamoError> {
    STANDARD.decode(s).map_err(|_| DynamoError::serialization("Base64 encoded data is not valid"))
}

/// A set from a list, refusing empty lists and duplicates as DynamoDB does.
fn unique<T: Ord>(v: Vec<T>, empty: &str, show: impl Fn(&T) -> String) -> Result<BTreeSet<T>, DynamoError> {
    if v.is_empty() {
        return Err(DynamoError::invalid(empty));
    }
    let shown: Vec<String> = v.iter().map(&show).collect();
    let n = v.len();
    let set: BTreeSet<T> = v.into_iter().collect();
    if set.len() != n {
        return Err(DynamoError::invalid(format!("Input collection [{}] contains duplicates.", shown.join(", "))));
    }
    Ok(set)
}

pub fn item_to_json(item: &BTreeMap<String, Value>) -> Json {
    Json::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

/// Reads a map of attribute values (an item, a key, `ExpressionAttributeValues`).
pub fn item_from_json(j: &Json) -> Result<Item, DynamoError> {
    let Json::Object(m) = j else {
        return Err(DynamoError::serialization("Unexpected value type in payload"));
    };
    m.iter().map(|(k, v)| Ok((k.clone(), Value::from_json(v)?))).collect()
}

/// Bytes an item counts for against the 400 KB limit.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

/// The item limit, 400 KB.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_refusals() {
        let j = json!({"M": {"a": {"SS": ["y", "x"]}, "b": {"L": [{"N": "1E2"}, {"NULL": true}, {"B": "AAE="}]}}});
        let v = Value::from_json(&j).unwrap();
        assert_eq!(
            v.to_json(),
            json!({"M": {"a": {"SS": ["x", "y"]}, "b": {"L": [{"N": "100"}, {"NULL": true}, {"B": "AAE="}]}}})
        );
        let msg = |j: Json| Value::from_json(&j).unwrap_err().message.unwrap();
        assert!(msg(json!({})).starts_with("Supplied AttributeValue is empty"));
        assert!(msg(json!({"S": "a", "N": "1"})).starts_with("Supplied AttributeValue has more than one"));
        assert_eq!(
            msg(json!({"SS": ["a", "a"]})),
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
        );
        assert_eq!(msg(json!({"N": "x"})), "The parameter cannot be converted to a numeric value: x");
        assert_eq!(
            msg(json!({"NULL": false})),
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        );
    }
}
