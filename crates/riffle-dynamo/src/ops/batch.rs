//! BatchGetItem and BatchWriteItem: many keys or writes across tables in one request.
//!
//! Each key is read, and each write prepared and decided, by the same code as GetItem, PutItem
//! and DeleteItem ([`super::items`]). Nothing is ever left unprocessed (`UnprocessedKeys` and
//! `UnprocessedItems` are always empty, but present, as DynamoDB sends them). DynamoDB does not
//! promise a batch write is atomic; ours is: every write of a batch is decided under one lock
//! and made durable as one log record with one fsync.

use super::items::{ItemInput, Prepared, lookup, prepare_delete, prepare_put, read_units, shown, write_units};
use super::{Dynamo, check_consumed, check_table_name, consumed, finish, key_param, no_mixing, params, projection};
use crate::error::DynamoError;
use crate::table::PrimaryKey;
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// Keys one BatchGetItem may ask for, across all its tables.
const MAX_GET_KEYS: usize = 100;
/// Writes one BatchWriteItem may carry, across all its tables.
const MAX_WRITES: usize = 25;

const DUPLICATES: &str = "Provided list of item keys contains duplicates";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetInput {
    request_items: Option<BTreeMap<String, KeysAndAttributes>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes {
    keys: Option<Vec<Json>>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteInput {
    request_items: Option<BTreeMap<String, Vec<WriteRequest>>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequest {
    put_request: Option<PutRequest>,
    delete_request: Option<DeleteRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequest {
    item: Option<Json>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequest {
    key: Option<Json>,
}

/// `RequestItems` (given as each table's name and list length): required, at least one table,
/// each named validly, each list within bounds.
fn check_request_items(v: &mut Violations, items: Option<Vec<(&str, usize)>>, d: &Dynamo, max: usize) {
    v.required(&items, "requestItems");
    let Some(items) = items else { return };
    if items.is_empty() {
        v.push(Some(&"{}"), "requestItems", "have length greater than or equal to 1");
    }
    for (name, len) in items {
        check_table_name(v, Some(&d.table_ref(name)));
        let path = format!("requestItems.{name}.member");
        if len == 0 {
            v.push(Some(&"[]"), &path, "have length greater than or equal to 1");
        } else if len > max {
            v.push(Some(&format!("{len} elements")), &path, format!("have length less than or equal to {max}"));
        }
    }
}

/// The `ConsumedCapacity` list of a multi-table answer, one entry per table.
pub(crate) fn consumed_per_table(mode: Option<&str>, units: &BTreeMap<String, f64>) -> Option<Json> {
    let list: Vec<Json> = units.iter().filter_map(|(t, u)| consumed(mode, t, *u)).collect();
    (!list.is_empty()).then_some(Json::Array(list))
}

/// One table's part of a BatchGetItem, checked and parsed.
struct TableGet {
    name: String,
    table: String,
    keys: Vec<crate::value::Item>,
    projection: Option<Vec<crate::expr::Path>>,
    consistent: bool,
}

fn plan_table_get(d: &Dynamo, name: &str, ka: KeysAndAttributes) -> Result<TableGet, DynamoError> {
    no_mixing(
        &[("AttributesToGet", ka.attributes_to_get.is_some())],
        &[("ProjectionExpression", ka.projection_expression.is_some())],
    )?;
    let mut p = params(ka.expression_attribute_names, None, ka.projection_expression.is_some())?;
    let proj = projection(ka.projection_expression.as_deref(), ka.attributes_to_get.as_deref(), &mut p)?;
    p.check_all_used()?;
    let mut keys = Vec::new();
    for k in ka.keys.unwrap_or_default() {
        let key = key_param(Some(&k))?;
        if keys.contains(&key) {
            return Err(DynamoError::validation(DUPLICATES));
        }
        keys.push(key);
    }
    let consistent = ka.consistent_read == Some(true);
    Ok(TableGet { name: name.to_string(), table: d.table_ref(name), keys, projection: proj, consistent })
}

pub fn get(d: &Dynamo, req: BatchGetInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    let lists = req
        .request_items
        .as_ref()
        .map(|m| m.iter().map(|(n, ka)| (n.as_str(), ka.keys.as_ref().map_or(0, Vec::len))).collect::<Vec<_>>());
    let total: usize = lists.iter().flatten().map(|(_, n)| n).sum();
    check_request_items(&mut v, lists, d, MAX_GET_KEYS);
    for (name, ka) in req.request_items.iter().flatten() {
        v.required(&ka.keys, &format!("requestItems.{name}.member.keys"));
    }
    check_consumed(&mut v, req.return_consumed_capacity.as_deref());
    finish(v)?;
    if total > MAX_GET_KEYS {
        return Err(DynamoError::validation("Too many items requested for the BatchGetItem call"));
    }
    let plans = req
        .request_items
        .unwrap_or_default()
        .into_iter()
        .map(|(name, ka)| plan_table_get(d, &name, ka))
        .collect::<Result<Vec<_>, _>>()?;
    let mode = req.return_consumed_capacity.as_deref();
    d.store.read(|tables| {
        let (mut responses, mut units) = (Map::new(), BTreeMap::new());
        for plan in &plans {
            let mut found = Vec::new();
            for key in &plan.keys {
                let item = lookup(tables, &plan.table, key)?;
                *units.entry(plan.table.clone()).or_insert(0.0) += read_units(item, plan.consistent);
                if let Some(i) = item {
                    found.push(crate::value::item_to_json(&shown(i, plan.projection.as_deref())));
                }
            }
            responses.insert(plan.name.clone(), Json::Array(found));
        }
        let mut out = json!({"Responses": responses, "UnprocessedKeys": {}});
        if let Some(c) = consumed_per_table(mode, &units) {
            out["ConsumedCapacity"] = c;
        }
        Ok(out)
    })
}

/// One write request as the PutItem or DeleteItem it stands for, unconditional.
fn prepare_write(d: &Dynamo, table: &str, w: WriteRequest) -> Result<Prepared, DynamoError> {
    let table_name = Some(d.table_ref(table));
    match (w.put_request, w.delete_request) {
        (Some(p), None) => prepare_put(ItemInput { table_name, item: p.item, ..ItemInput::default() }),
        (None, Some(del)) => prepare_delete(ItemInput { table_name, key: del.key, ..ItemInput::default() }),
        // Not confirmed against DynamoDB; the closest wording we could write.
        _ => Err(DynamoError::validation(
            "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest",
        )),
    }
}

pub fn write(d: &Dynamo, req: BatchWriteInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    let lists = req.request_items.as_ref().map(|m| m.iter().map(|(n, l)| (n.as_str(), l.len())).collect::<Vec<_>>());
    check_request_items(&mut v, lists, d, MAX_WRITES);
    for (name, list) in req.request_items.iter().flatten() {
        for (i, w) in list.iter().enumerate() {
            let at = format!("requestItems.{name}.member.{}.member", i + 1);
            if let Some(p) = &w.put_request {
                v.required(&p.item, &format!("{at}.putRequest.item"));
            }
            if let Some(del) = &w.delete_request {
                v.required(&del.key, &format!("{at}.deleteRequest.key"));
            }
        }
    }
    check_consumed(&mut v, req.return_consumed_capacity.as_deref());
    v.one_of(req.return_item_collection_metrics.as_deref(), "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    finish(v)?;
    let requests = req.request_items.unwrap_or_default();
    if requests.values().map(Vec::len).sum::<usize>() > MAX_WRITES {
        // DynamoDB's wording for BatchGetItem's limit, in BatchWriteItem's name (as emulators
        // word it; not confirmed against DynamoDB).
        return Err(DynamoError::validation("Too many items requested for the BatchWriteItem call"));
    }
    let mut writes = Vec::new();
    for (table, list) in requests {
        for w in list {
            writes.push(prepare_write(d, &table, w)?);
        }
    }
    let mode = req.return_consumed_capacity.as_deref();
    d.store.write(|tables| {
        let mut seen: BTreeSet<(&str, PrimaryKey)> = BTreeSet::new();
        for w in &writes {
            if !seen.insert((w.table_name(), w.key(tables)?)) {
                return Err(DynamoError::validation(DUPLICATES));
            }
        }
        let (mut mutations, mut units) = (Vec::new(), BTreeMap::new());
        for w in &writes {
            let decided = w.decide(tables)?;
            *units.entry(w.table_name().to_string()).or_insert(0.0) +=
                write_units(decided.new.as_ref().or(decided.old.as_ref()));
            mutations.extend(decided.mutation);
        }
        let mut out = json!({"UnprocessedItems": {}});
        if let Some(c) = consumed_per_table(mode, &units) {
            out["ConsumedCapacity"] = c;
        }
        Ok((out, mutations))
    })
}
