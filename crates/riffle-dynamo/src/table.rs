//! Tables: what CreateTable declared (kept as the definition, persisted as is), and the items,
//! ordered by primary key so Query reads a partition's range in order and pagination resumes
//! from any key.

use crate::error::DynamoError;
use crate::number::Number;
use crate::value::{Item, Value};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A key attribute's scalar value. Numbers order numerically, strings and binaries by bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyVal {
    S(String),
    N(Number),
    B(Vec<u8>),
}

impl Ord for KeyVal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyVal::S(a), KeyVal::S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (KeyVal::N(a), KeyVal::N(b)) => a.cmp(b),
            (KeyVal::B(a), KeyVal::B(b)) => a.cmp(b),
            // One attribute has one type in a table; order types anyway so the map is total.
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for KeyVal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl KeyVal {
    fn rank(&self) -> u8 {
        match self {
            KeyVal::S(_) => 0,
            KeyVal::N(_) => 1,
            KeyVal::B(_) => 2,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            KeyVal::S(s) => Value::S(s.clone()),
            KeyVal::N(n) => Value::N(n.clone()),
            KeyVal::B(b) => Value::B(b.clone()),
        }
    }

    /// Bytes the key takes, for the partition/sort key size limits and parallel-scan segments.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            KeyVal::S(s) => s.as_bytes().to_vec(),
            KeyVal::N(n) => n.to_string().into_bytes(),
            KeyVal::B(b) => b.clone(),
        }
    }
}

/// Partition key, then sort key if the table has one.
pub type PrimaryKey = (KeyVal, Option<KeyVal>);

/// `S`, `N` or `B`: what a key attribute may be.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyAttr {
    pub name: String,
    /// `S`, `N` or `B`.
    pub ty: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeySchema {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

/// Partition keys up to 2048 bytes, sort keys up to 1024.
const MAX_HASH_KEY: usize = 2048;
const MAX_RANGE_KEY: usize = 1024;

impl KeySchema {
    pub fn names(&self) -> Vec<&str> {
        std::iter::once(self.hash.name.as_str()).chain(self.range.as_ref().map(|r| r.name.as_str())).collect()
    }

    /// The primary key of an item to be written, with PutItem's complaints.
    pub fn key_of_item(&self, item: &Item) -> Result<PrimaryKey, DynamoError> {
        let one = |a: &KeyAttr, max: usize, what: &str| -> Result<KeyVal, DynamoError> {
            let v = item
                .get(&a.name)
                .ok_or_else(|| DynamoError::invalid(format!("Missing the key {} in the item", a.name)))?;
            let k = scalar_key(a, v).ok_or_else(|| {
                DynamoError::invalid(format!(
                    "Type mismatch for key {} expected: {} actual: {}",
                    a.name,
                    a.ty,
                    v.type_code()
                ))
            })?;
            check_key_value(a, &k, max, what)?;
            Ok(k)
        };
        Ok((
            one(&self.hash, MAX_HASH_KEY, "hashkey")?,
            self.range.as_ref().map(|r| one(r, MAX_RANGE_KEY, "rangekey")).transpose()?,
        ))
    }

    /// The primary key a `Key` parameter names: exactly the key attributes, of the right types.
    pub fn key_of_key(&self, key: &Item) -> Result<PrimaryKey, DynamoError> {
        let mismatch = || DynamoError::validation("The provided key element does not match the schema");
        if key.len() != 1 + usize::from(self.range.is_some()) {
            return Err(mismatch());
        }
        let one = |a: &KeyAttr, max: usize, what: &str| -> Result<KeyVal, DynamoError> {
            let k = key.get(&a.name).and_then(|v| scalar_key(a, v)).ok_or_else(mismatch)?;
            check_key_value(a, &k, max, what)?;
            Ok(k)
        };
        Ok((
            one(&self.hash, MAX_HASH_KEY, "hashkey")?,
            self.range.as_ref().map(|r| one(r, MAX_RANGE_KEY, "rangekey")).transpose()?,
        ))
    }

    /// The key attributes of an item, as an item (LastEvaluatedKey, ReturnValues on keys).
    pub fn key_item(&self, key: &PrimaryKey) -> Item {
        let mut out = Item::new();
        out.insert(self.hash.name.clone(), key.0.to_value());
        if let (Some(r), Some(v)) = (&self.range, &key.1) {
            out.insert(r.name.clone(), v.to_value());
        }
        out
    }

    /// The key of an item already stored (or of an index entry), if it has the attributes.
    pub fn try_key(&self, item: &Item) -> Option<PrimaryKey> {
        let h = scalar_key(&self.hash, item.get(&self.hash.name)?)?;
        let r = match &self.range {
            Some(r) => Some(scalar_key(r, item.get(&r.name)?)?),
            None => None,
        };
        Some((h, r))
    }
}

fn scalar_key(a: &KeyAttr, v: &Value) -> Option<KeyVal> {
    match (a.ty.as_str(), v) {
        ("S", Value::S(s)) => Some(KeyVal::S(s.clone())),
        ("N", Value::N(n)) => Some(KeyVal::N(n.clone())),
        ("B", Value::B(b)) => Some(KeyVal::B(b.clone())),
        _ => None,
    }
}

fn check_key_value(a: &KeyAttr, k: &KeyVal, max: usize, what: &str) -> Result<(), DynamoError> {
    match k {
        KeyVal::S(s) if s.is_empty() => Err(DynamoError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an \
             empty string value. Key: {}",
            a.name
        ))),
        KeyVal::B(b) if b.is_empty() => Err(DynamoError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an \
             empty binary value. Key: {}",
            a.name
        ))),
        _ if k.bytes().len() > max => {
            Err(DynamoError::invalid(format!("Size of {what} has exceeded the maximum size limit of{max} bytes")))
        }
        _ => Ok(()),
    }
}

/// A secondary index as declared.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub schema: KeySchema,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
    #[serde(default)]
    pub read_capacity: i64,
    #[serde(default)]
    pub write_capacity: i64,
}

impl IndexDef {
    /// What of `item` the index holds.
    pub fn project(&self, item: &Item, table: &KeySchema) -> Item {
        if self.projection == "ALL" {
            return item.clone();
        }
        let keep: Vec<&str> = table
            .names()
            .into_iter()
            .chain(self.schema.names())
            .chain(self.non_key_attributes.iter().map(String::as_str))
            .collect();
        item.iter().filter(|(k, _)| keep.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Everything CreateTable and later control-plane calls said about a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableDef {
    pub name: String,
    pub id: String,
    pub schema: KeySchema,
    /// Name and type of every declared attribute, in declaration order.
    pub attributes: Vec<KeyAttr>,
    #[serde(default)]
    pub global_indexes: Vec<IndexDef>,
    #[serde(default)]
    pub local_indexes: Vec<IndexDef>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing_mode: String,
    pub read_capacity: i64,
    pub write_capacity: i64,
    /// Epoch milliseconds.
    pub created_ms: i64,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub point_in_time_recovery: bool,
    #[serde(default)]
    pub deletion_protection: bool,
    /// The TTL attribute, when time to live is enabled (recorded, not enforced).
    #[serde(default)]
    pub ttl_attribute: Option<String>,
    #[serde(default)]
    pub table_class: Option<String>,
    #[serde(default)]
    pub stream_view_type: Option<String>,
}

impl TableDef {
    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.global_indexes.iter().chain(self.local_indexes.iter()).find(|i| i.name == name)
    }
}

/// A table and its items.
#[derive(Debug, Clone)]
pub struct Table {
    pub def: TableDef,
    pub items: BTreeMap<PrimaryKey, Item>,
}

impl Table {
    pub fn new(def: TableDef) -> Table {
        Table { def, items: BTreeMap::new() }
    }

    pub fn size_bytes(&self) -> usize {
        self.items.values().map(crate::value::item_size).sum()
    }
}
