//! GetItem, PutItem, UpdateItem and DeleteItem: the lease table's reads and its conditional
//! writes. A write's condition is checked against the item as stored, under the store's lock,
//! so conditional writes on `leaseCounter` are a real compare-and-set.

use super::{Dynamo, check_consumed, check_table_name, consumed, finish, key_param, no_mixing, params, projection};
use crate::error::DynamoError;
use crate::expr::legacy::{self, AttributeUpdate, Condition};
use crate::expr::{Cond, Kind, Params, Path, Update, apply, eval, parse_condition, parse_update, project};
use crate::store::Mutation;
use crate::table::Table;
use crate::value::{Item, MAX_ITEM_BYTES, item_from_json, item_size, item_to_json};
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Members every item operation shares.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemInput {
    table_name: Option<String>,
    key: Option<Json>,
    item: Option<Json>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    projection_expression: Option<String>,
    expected: Option<BTreeMap<String, Condition>>,
    conditional_operator: Option<String>,
    condition_expression: Option<String>,
    attribute_updates: Option<BTreeMap<String, AttributeUpdate>>,
    update_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
    expression_attribute_values: Option<Json>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

const RETURN_VALUES: [&str; 5] = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];

fn check_common(v: &mut Violations, req: &ItemInput) {
    check_table_name(v, req.table_name.as_deref());
    v.one_of(req.return_values.as_deref(), "returnValues", &RETURN_VALUES);
    check_consumed(v, req.return_consumed_capacity.as_deref());
    v.one_of(req.return_item_collection_metrics.as_deref(), "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    v.one_of(
        req.return_values_on_condition_check_failure.as_deref(),
        "returnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    );
}

/// The write's condition, from `Expected` or `ConditionExpression`.
fn condition(req: &ItemInput, p: &mut Params) -> Result<Cond, DynamoError> {
    match (&req.condition_expression, &req.expected) {
        (Some(e), _) => parse_condition(e, Kind::Condition, p),
        (None, Some(exp)) => legacy::expected(exp, req.conditional_operator.as_deref()),
        (None, None) => Ok(Cond::True),
    }
}

fn table<'a>(tables: &'a crate::store::Tables, name: &str) -> Result<&'a Table, DynamoError> {
    tables.get(name).ok_or_else(DynamoError::table_not_found)
}

/// Refuses a failed condition, with the old item if the client asked for it.
fn check(cond: &Cond, old: Option<&Item>, req: &ItemInput) -> Result<(), DynamoError> {
    let empty = Item::new();
    if eval(cond, old.unwrap_or(&empty)) {
        return Ok(());
    }
    let with_item = req.return_values_on_condition_check_failure.as_deref() == Some("ALL_OLD");
    Err(DynamoError::condition_failed(old.filter(|_| with_item).cloned()))
}

fn write_units(item: Option<&Item>) -> f64 {
    item.map_or(1.0, |i| (item_size(i).max(1)).div_ceil(1024) as f64)
}

fn answer(req: &ItemInput, attributes: Option<Item>, units: f64) -> Json {
    let mut out = Map::new();
    if let Some(a) = attributes.filter(|a| !a.is_empty()) {
        out.insert("Attributes".into(), item_to_json(&a));
    }
    if let Some(c) =
        consumed(req.return_consumed_capacity.as_deref(), req.table_name.as_deref().unwrap_or_default(), units)
    {
        out.insert("ConsumedCapacity".into(), c);
    }
    Json::Object(out)
}

pub fn get(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    check_common(&mut v, &req);
    v.required(&req.key, "key");
    finish(v)?;
    no_mixing(
        &[("AttributesToGet", req.attributes_to_get.is_some())],
        &[("ProjectionExpression", req.projection_expression.is_some())],
    )?;
    let mut p = params(
        req.expression_attribute_names.clone(),
        req.expression_attribute_values.as_ref(),
        req.projection_expression.is_some(),
    )?;
    let proj = projection(req.projection_expression.as_deref(), req.attributes_to_get.as_deref(), &mut p)?;
    p.check_all_used()?;
    let key = key_param(req.key.as_ref())?;
    let name = req.table_name.as_deref().unwrap_or_default();
    d.store.read(|tables| {
        let t = table(tables, name)?;
        let k = t.def.schema.key_of_key(&key)?;
        let item = t.items.get(&k);
        let factor = if req.consistent_read == Some(true) { 1.0 } else { 0.5 };
        let units = item.map_or(1, |i| item_size(i).max(1).div_ceil(4096)) as f64 * factor;
        let mut out = Map::new();
        if let Some(i) = item {
            let shown = match &proj {
                Some(paths) => project(i, paths),
                None => i.clone(),
            };
            out.insert("Item".into(), item_to_json(&shown));
        }
        if let Some(c) = consumed(req.return_consumed_capacity.as_deref(), name, units) {
            out.insert("ConsumedCapacity".into(), c);
        }
        Ok(Json::Object(out))
    })
}

fn only_old_or_none(req: &ItemInput) -> Result<(), DynamoError> {
    match req.return_values.as_deref() {
        None | Some("NONE" | "ALL_OLD") => Ok(()),
        Some(_) => Err(DynamoError::validation("ReturnValues can only be ALL_OLD or NONE")),
    }
}

fn write_params(req: &ItemInput, update: bool) -> Result<Params, DynamoError> {
    let mut legacy = vec![("Expected", req.expected.is_some())];
    let mut exprs = vec![("ConditionExpression", req.condition_expression.is_some())];
    if update {
        legacy.insert(0, ("AttributeUpdates", req.attribute_updates.is_some()));
        exprs.insert(0, ("UpdateExpression", req.update_expression.is_some()));
    }
    no_mixing(&legacy, &exprs)?;
    let uses = req.condition_expression.is_some() || req.update_expression.is_some();
    params(req.expression_attribute_names.clone(), req.expression_attribute_values.as_ref(), uses)
}

/// PutItem's and DeleteItem's checks, in DynamoDB's order, and their condition. `required` is
/// the member the operation cannot do without (`Item` or `Key`).
fn put_or_delete_condition(req: &ItemInput, required: (&Option<Json>, &str)) -> Result<Cond, DynamoError> {
    let mut v = Violations::new();
    check_common(&mut v, req);
    v.required(required.0, required.1);
    finish(v)?;
    only_old_or_none(req)?;
    let mut p = write_params(req, false)?;
    let cond = condition(req, &mut p)?;
    p.check_all_used()?;
    Ok(cond)
}

pub fn put(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    let cond = put_or_delete_condition(&req, (&req.item, "item"))?;
    let item = item_from_json(req.item.as_ref().unwrap_or(&Json::Null))?;
    let name = req.table_name.clone().unwrap_or_default();
    d.store.write(|tables| {
        let t = table(tables, &name)?;
        let k = t.def.schema.key_of_item(&item)?;
        if item_size(&item) > MAX_ITEM_BYTES {
            return Err(DynamoError::validation("Item size has exceeded the maximum allowed size"));
        }
        let old = t.items.get(&k);
        check(&cond, old, &req)?;
        let shown = old.filter(|_| req.return_values.as_deref() == Some("ALL_OLD")).cloned();
        let out = answer(&req, shown, write_units(Some(&item)));
        Ok((out, vec![Mutation::Put { table: name.clone(), item: item.clone() }]))
    })
}

pub fn delete(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    let cond = put_or_delete_condition(&req, (&req.key, "key"))?;
    let key = key_param(req.key.as_ref())?;
    let name = req.table_name.clone().unwrap_or_default();
    d.store.write(|tables| {
        let t = table(tables, &name)?;
        let k = t.def.schema.key_of_key(&key)?;
        let old = t.items.get(&k);
        check(&cond, old, &req)?;
        let shown = old.filter(|_| req.return_values.as_deref() == Some("ALL_OLD")).cloned();
        let out = answer(&req, shown, write_units(old));
        let m = old.map(|_| Mutation::Delete { table: name.clone(), key: key.clone() });
        Ok((out, m.into_iter().collect()))
    })
}

pub fn update(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    check_common(&mut v, &req);
    v.required(&req.key, "key");
    finish(v)?;
    let mut p = write_params(&req, true)?;
    let mut upd = match &req.update_expression {
        Some(e) => Some(parse_update(e, &mut p)?),
        None => None,
    };
    let cond = condition(&req, &mut p)?;
    p.check_all_used()?;
    let key = key_param(req.key.as_ref())?;
    let name = req.table_name.clone().unwrap_or_default();
    d.store.write(|tables| {
        let t = table(tables, &name)?;
        let k = t.def.schema.key_of_key(&key)?;
        let key_names = t.def.schema.names();
        let upd = match (upd.take(), &req.attribute_updates) {
            (Some(u), _) => u,
            (None, Some(au)) => legacy::attribute_updates(au, &key_names)?,
            (None, None) => Update::default(),
        };
        if let Some(p) = upd.paths().find(|p| key_names.contains(&p.root())) {
            return Err(DynamoError::invalid(format!(
                "Cannot update attribute {}. This attribute is part of the key",
                p.root()
            )));
        }
        let old = t.items.get(&k);
        check(&cond, old, &req)?;
        let mut new = old.cloned().unwrap_or_else(|| key.clone());
        apply(&upd, &mut new)?;
        if item_size(&new) > MAX_ITEM_BYTES {
            return Err(DynamoError::validation("Item size has exceeded the maximum allowed size"));
        }
        let paths: Vec<Path> = upd.paths().cloned().collect();
        let shown = match req.return_values.as_deref() {
            Some("ALL_OLD") => old.cloned(),
            Some("UPDATED_OLD") => old.map(|o| project(o, &paths)),
            Some("ALL_NEW") => Some(new.clone()),
            Some("UPDATED_NEW") => Some(project(&new, &paths)),
            _ => None,
        };
        let out = answer(&req, shown, write_units(Some(&new)));
        Ok((out, vec![Mutation::Put { table: name.clone(), item: new }]))
    })
}
