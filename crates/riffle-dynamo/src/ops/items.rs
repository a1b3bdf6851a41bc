//! GetItem, PutItem, UpdateItem and DeleteItem: the lease table's reads and its conditional
//! writes. A write's condition is checked against the item as stored, under the store's lock,
//! so conditional writes on `leaseCounter` are a real compare-and-set.
//!
//! Every write is *prepared* first (checked, its expressions parsed — no lock needed), then
//! *decided* against the tables under the store's lock. BatchWriteItem and TransactWriteItems
//! prepare and decide each of their actions through the same two steps, so one code path owns
//! the checks, conditions and updates of all of them.

use super::{Dynamo, check_consumed, check_table_name, consumed, finish, key_param, no_mixing, params, projection};
use crate::error::DynamoError;
use crate::expr::legacy::{self, AttributeUpdate, Condition};
use crate::expr::{Cond, Kind, Params, Path, Update, apply, eval, parse_condition, parse_update, project};
use crate::store::{Mutation, Tables};
use crate::table::{PrimaryKey, Table};
use crate::value::{Item, MAX_ITEM_BYTES, item_from_json, item_size, item_to_json};
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Members every item operation shares (and the batch and transaction actions use a subset of).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemInput {
    pub(crate) table_name: Option<String>,
    pub(crate) key: Option<Json>,
    pub(crate) item: Option<Json>,
    pub(crate) attributes_to_get: Option<Vec<String>>,
    pub(crate) consistent_read: Option<bool>,
    pub(crate) projection_expression: Option<String>,
    pub(crate) expected: Option<BTreeMap<String, Condition>>,
    pub(crate) conditional_operator: Option<String>,
    pub(crate) condition_expression: Option<String>,
    pub(crate) attribute_updates: Option<BTreeMap<String, AttributeUpdate>>,
    pub(crate) update_expression: Option<String>,
    pub(crate) expression_attribute_names: Option<BTreeMap<String, String>>,
    pub(crate) expression_attribute_values: Option<Json>,
    pub(crate) return_values: Option<String>,
    pub(crate) return_consumed_capacity: Option<String>,
    pub(crate) return_item_collection_metrics: Option<String>,
    pub(crate) return_values_on_condition_check_failure: Option<String>,
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

pub(crate) fn table<'a>(tables: &'a Tables, name: &str) -> Result<&'a Table, DynamoError> {
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

pub(crate) fn write_units(item: Option<&Item>) -> f64 {
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

/// The stored item a `Key` names, if any: the table must exist and the key match its schema.
pub(crate) fn lookup<'a>(tables: &'a Tables, name: &str, key: &Item) -> Result<Option<&'a Item>, DynamoError> {
    let t = table(tables, name)?;
    let k = t.def.schema.key_of_key(key)?;
    Ok(t.items.get(&k))
}

/// Read units: 4 KB each, half for an eventually consistent read.
pub(crate) fn read_units(item: Option<&Item>, consistent: bool) -> f64 {
    let factor = if consistent { 1.0 } else { 0.5 };
    item.map_or(1, |i| item_size(i).max(1).div_ceil(4096)) as f64 * factor
}

/// What a read shows of an item: the projection, if one was asked for.
pub(crate) fn shown(item: &Item, proj: Option<&[Path]>) -> Item {
    match proj {
        Some(paths) => project(item, paths),
        None => item.clone(),
    }
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
        let item = lookup(tables, name, &key)?;
        let mut out = Map::new();
        if let Some(i) = item {
            out.insert("Item".into(), item_to_json(&shown(i, proj.as_deref())));
        }
        let units = read_units(item, req.consistent_read == Some(true));
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

/// What a prepared write does.
pub(crate) enum Action {
    Put(Item),
    Delete {
        key: Item,
    },
    /// `None`: the legacy `AttributeUpdates` (read with the table's key names), or nothing.
    Update {
        key: Item,
        update: Option<Update>,
    },
    /// TransactWriteItems' ConditionCheck: the condition alone.
    Check {
        key: Item,
    },
}

/// A write checked and parsed, ready to be decided under the store's lock.
pub(crate) struct Prepared {
    pub req: ItemInput,
    pub cond: Cond,
    pub action: Action,
}

/// What deciding a write found: the item before and after, and the mutation (none for a
/// delete of nothing or a condition check).
pub(crate) struct Decided {
    pub old: Option<Item>,
    pub new: Option<Item>,
    /// The paths an update touched, for `UPDATED_OLD`/`UPDATED_NEW`.
    pub paths: Vec<Path>,
    pub mutation: Option<Mutation>,
}

pub(crate) fn prepare_put(req: ItemInput) -> Result<Prepared, DynamoError> {
    let cond = put_or_delete_condition(&req, (&req.item, "item"))?;
    let item = item_from_json(req.item.as_ref().unwrap_or(&Json::Null))?;
    Ok(Prepared { req, cond, action: Action::Put(item) })
}

pub(crate) fn prepare_delete(req: ItemInput) -> Result<Prepared, DynamoError> {
    let cond = put_or_delete_condition(&req, (&req.key, "key"))?;
    let key = key_param(req.key.as_ref())?;
    Ok(Prepared { req, cond, action: Action::Delete { key } })
}

pub(crate) fn prepare_update(req: ItemInput) -> Result<Prepared, DynamoError> {
    let mut v = Violations::new();
    check_common(&mut v, &req);
    v.required(&req.key, "key");
    finish(v)?;
    let mut p = write_params(&req, true)?;
    let update = req.update_expression.as_deref().map(|e| parse_update(e, &mut p)).transpose()?;
    let cond = condition(&req, &mut p)?;
    p.check_all_used()?;
    let key = key_param(req.key.as_ref())?;
    Ok(Prepared { req, cond, action: Action::Update { key, update } })
}

/// A ConditionCheck: a key and a required condition.
pub(crate) fn prepare_check(req: ItemInput) -> Result<Prepared, DynamoError> {
    let mut v = Violations::new();
    check_common(&mut v, &req);
    v.required(&req.key, "key");
    v.required(&req.condition_expression, "conditionExpression");
    finish(v)?;
    let mut p = write_params(&req, false)?;
    let cond = condition(&req, &mut p)?;
    p.check_all_used()?;
    let key = key_param(req.key.as_ref())?;
    Ok(Prepared { req, cond, action: Action::Check { key } })
}

impl Prepared {
    pub(crate) fn table_name(&self) -> &str {
        self.req.table_name.as_deref().unwrap_or_default()
    }

    /// The primary key the write touches, with DynamoDB's complaints about the table and key.
    pub(crate) fn key(&self, tables: &Tables) -> Result<PrimaryKey, DynamoError> {
        let t = table(tables, self.table_name())?;
        match &self.action {
            Action::Put(item) => t.def.schema.key_of_item(item),
            Action::Delete { key } | Action::Update { key, .. } | Action::Check { key } => t.def.schema.key_of_key(key),
        }
    }

    /// Decides the write against the stored tables: a failed condition is refused as
    /// ConditionalCheckFailed (with the old item if the request asked for it).
    pub(crate) fn decide(&self, tables: &Tables) -> Result<Decided, DynamoError> {
        let name = self.table_name();
        let t = table(tables, name)?;
        let k = self.key(tables)?;
        let old = t.items.get(&k);
        let decided = |new: Option<Item>, paths, mutation| Decided { old: old.cloned(), new, paths, mutation };
        match &self.action {
            Action::Put(item) => {
                if item_size(item) > MAX_ITEM_BYTES {
                    return Err(DynamoError::validation("Item size has exceeded the maximum allowed size"));
                }
                check(&self.cond, old, &self.req)?;
                let m = Mutation::Put { table: name.to_string(), item: item.clone() };
                Ok(decided(Some(item.clone()), Vec::new(), Some(m)))
            }
            Action::Delete { key } => {
                check(&self.cond, old, &self.req)?;
                let m = old.map(|_| Mutation::Delete { table: name.to_string(), key: key.clone() });
                Ok(decided(None, Vec::new(), m))
            }
            Action::Check { .. } => {
                check(&self.cond, old, &self.req)?;
                Ok(decided(None, Vec::new(), None))
            }
            Action::Update { key, update } => {
                let key_names = t.def.schema.names();
                let legacy_update;
                let upd = match (update, &self.req.attribute_updates) {
                    (Some(u), _) => u,
                    (None, au) => {
                        legacy_update = match au {
                            Some(au) => legacy::attribute_updates(au, &key_names)?,
                            None => Update::default(),
                        };
                        &legacy_update
                    }
                };
                if let Some(p) = upd.paths().find(|p| key_names.contains(&p.root())) {
                    return Err(DynamoError::invalid(format!(
                        "Cannot update attribute {}. This attribute is part of the key",
                        p.root()
                    )));
                }
                check(&self.cond, old, &self.req)?;
                let mut new = old.cloned().unwrap_or_else(|| key.clone());
                apply(upd, &mut new)?;
                if item_size(&new) > MAX_ITEM_BYTES {
                    return Err(DynamoError::validation("Item size has exceeded the maximum allowed size"));
                }
                let m = Mutation::Put { table: name.to_string(), item: new.clone() };
                Ok(decided(Some(new), upd.paths().cloned().collect(), Some(m)))
            }
        }
    }
}

/// PutItem, UpdateItem and DeleteItem: one prepared write, decided and made durable.
fn write_one(d: &Dynamo, p: Prepared) -> Result<Json, DynamoError> {
    d.store.write(|tables| {
        let w = p.decide(tables)?;
        let shown = match p.req.return_values.as_deref() {
            Some("ALL_OLD") => w.old.clone(),
            Some("UPDATED_OLD") => w.old.as_ref().map(|o| project(o, &w.paths)),
            Some("ALL_NEW") => w.new.clone(),
            Some("UPDATED_NEW") => w.new.as_ref().map(|n| project(n, &w.paths)),
            _ => None,
        };
        let out = answer(&p.req, shown, write_units(w.new.as_ref().or(w.old.as_ref())));
        Ok((out, w.mutation.into_iter().collect()))
    })
}

pub fn put(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    write_one(d, prepare_put(req)?)
}

pub fn delete(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    write_one(d, prepare_delete(req)?)
}

pub fn update(d: &Dynamo, req: ItemInput) -> Result<Json, DynamoError> {
    write_one(d, prepare_update(req)?)
}
