//! TransactGetItems and TransactWriteItems: up to 100 actions, all or nothing.
//!
//! Each action is prepared by the code of the single-item operation it names
//! ([`super::items`]). Under the store's one lock every key is resolved, no item may be named
//! twice, then every action is decided against the same state; if any condition fails nothing
//! is written and the answer lists a reason per action, in order. Otherwise every mutation goes
//! to the log as one record with one fsync, so a crash leaves all of it or none. The lock also
//! makes transactions isolated from every other read and write.

use super::batch::consumed_per_table;
use super::items::{ItemInput, Prepared, lookup, prepare_check, prepare_delete, prepare_put, prepare_update, shown};
use super::{Dynamo, check_consumed, check_table_name, decode, finish, key_param, params, projection};
use crate::error::{CancellationReason, DynamoError, ErrorKind};
use crate::expr::Path;
use crate::table::PrimaryKey;
use crate::value::{Item, item_size, item_to_json};
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

const MAX_ACTIONS: usize = 100;

const SAME_ITEM: &str = "Transaction request cannot include multiple operations on one item";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetInput {
    transact_items: Option<Vec<TransactGetItem>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactGetItem {
    get: Option<Get>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Get {
    key: Option<Json>,
    table_name: Option<String>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteInput {
    transact_items: Option<Vec<TransactWriteItem>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    client_request_token: Option<String>,
}

/// Exactly one of the four must be given. Each is read as the single-item request it is a part
/// of; the members its shape lacks are dropped before it is prepared.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactWriteItem {
    condition_check: Option<ItemInput>,
    put: Option<ItemInput>,
    delete: Option<ItemInput>,
    update: Option<ItemInput>,
}

/// `TransactItems`: required, 1 to 100 actions. DynamoDB's message also echoes the list, which
/// we leave out (moto's wording).
fn check_actions<T>(items: Option<&Vec<T>>) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    v.required(&items, "transactItems");
    finish(v)?;
    let n = items.map_or(0, Vec::len);
    let rule = match n {
        0 => "greater than or equal to 1",
        n if n > MAX_ACTIONS => "less than or equal to 100",
        _ => return Ok(()),
    };
    Err(DynamoError::validation(format!(
        "1 validation error detected at 'transactItems' failed to satisfy constraint: Member must have length {rule}."
    )))
}

/// The members of a transaction action's shape; the rest of ItemInput does not apply.
fn action_input(d: &Dynamo, req: ItemInput) -> ItemInput {
    ItemInput {
        table_name: req.table_name.map(|t| d.table_ref(&t)),
        key: req.key,
        item: req.item,
        condition_expression: req.condition_expression,
        update_expression: req.update_expression,
        expression_attribute_names: req.expression_attribute_names,
        expression_attribute_values: req.expression_attribute_values,
        return_values_on_condition_check_failure: req.return_values_on_condition_check_failure,
        ..ItemInput::default()
    }
}

fn prepare_action(d: &Dynamo, a: TransactWriteItem) -> Result<Prepared, DynamoError> {
    match (a.condition_check, a.put, a.delete, a.update) {
        (Some(c), None, None, None) => prepare_check(action_input(d, c)),
        (None, Some(p), None, None) => prepare_put(action_input(d, p)),
        (None, None, Some(del), None) => prepare_delete(action_input(d, del)),
        (None, None, None, Some(u)) => {
            let mut v = Violations::new();
            v.required(&u.update_expression, "updateExpression");
            finish(v)?;
            prepare_update(action_input(d, u))
        }
        // Not confirmed against DynamoDB; the wording emulators use.
        _ => Err(DynamoError::validation("TransactItems can only contain one of Check, Put, Update or Delete")),
    }
}

/// Refuses a second action on an item.
fn distinct<'a>(keys: impl IntoIterator<Item = (&'a str, PrimaryKey)>) -> Result<(), DynamoError> {
    let mut seen = BTreeSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(DynamoError::validation(SAME_ITEM));
        }
    }
    Ok(())
}

/// Transactional reads and writes cost twice the units of plain ones.
fn transactional_units(item: Option<&Item>, per_unit: usize) -> f64 {
    2.0 * item.map_or(1, |i| item_size(i).max(1).div_ceil(per_unit)) as f64
}

pub fn write(d: &Dynamo, body: Json) -> Result<Json, DynamoError> {
    let req: TransactWriteInput = decode(body.clone())?;
    check_actions(req.transact_items.as_ref())?;
    let mut v = Violations::new();
    check_consumed(&mut v, req.return_consumed_capacity.as_deref());
    v.one_of(req.return_item_collection_metrics.as_deref(), "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    v.length(req.client_request_token.as_deref(), "clientRequestToken", 1, 36);
    finish(v)?;
    let actions = req
        .transact_items
        .unwrap_or_default()
        .into_iter()
        .map(|a| prepare_action(d, a))
        .collect::<Result<Vec<_>, _>>()?;
    let mode = req.return_consumed_capacity.as_deref();
    // The token lock is held across the write, so a retry racing its original waits for it.
    let mut tokens = d.tokens.lock();
    let now = Instant::now();
    if let Some(token) = &req.client_request_token
        && let Some(answer) = tokens.check(token, &body, now)?
    {
        return Ok(answer);
    }
    let answer = d.store.write(|tables| {
        distinct(actions.iter().map(|a| Ok((a.table_name(), a.key(tables)?))).collect::<Result<Vec<_>, _>>()?)?;
        let (mut reasons, mut mutations, mut units) = (Vec::new(), Vec::new(), BTreeMap::new());
        for a in &actions {
            match a.decide(tables) {
                Ok(w) => {
                    let u = transactional_units(w.new.as_ref().or(w.old.as_ref()), 1024);
                    *units.entry(a.table_name().to_string()).or_insert(0.0) += u;
                    mutations.extend(w.mutation);
                    reasons.push(CancellationReason::none());
                }
                Err(e) => reasons.push(reason(e)?),
            }
        }
        if reasons.iter().any(|r| r.code != "None") {
            return Err(DynamoError::transaction_canceled(reasons));
        }
        let mut out = json!({});
        if let Some(c) = consumed_per_table(mode, &units) {
            out["ConsumedCapacity"] = c;
        }
        Ok((out, mutations))
    })?;
    if let Some(token) = req.client_request_token {
        tokens.remember(token, body, answer.clone(), now);
    }
    Ok(answer)
}

/// An action's refusal as its cancellation reason. A failed condition or a write DynamoDB
/// would refuse for what it makes of the item (too large, a bad update operand) cancels the
/// transaction; anything else refuses the whole request as it is.
fn reason(e: DynamoError) -> Result<CancellationReason, DynamoError> {
    match e.kind {
        ErrorKind::ConditionalCheckFailed => {
            Ok(CancellationReason { code: "ConditionalCheckFailed".into(), message: e.message, item: e.item })
        }
        ErrorKind::Validation => {
            Ok(CancellationReason { code: "ValidationError".into(), message: e.message, item: None })
        }
        _ => Err(e),
    }
}

/// One Get of a TransactGetItems, checked and parsed.
struct PlannedGet {
    table: String,
    key: Item,
    projection: Option<Vec<Path>>,
}

fn plan_get(d: &Dynamo, g: Option<Get>) -> Result<PlannedGet, DynamoError> {
    let mut v = Violations::new();
    v.required(&g, "get");
    let g = g.unwrap_or_default();
    let table = g.table_name.map(|t| d.table_ref(&t));
    check_table_name(&mut v, table.as_deref());
    v.required(&g.key, "key");
    finish(v)?;
    let mut p = params(g.expression_attribute_names, None, g.projection_expression.is_some())?;
    let proj = projection(g.projection_expression.as_deref(), None, &mut p)?;
    p.check_all_used()?;
    Ok(PlannedGet { table: table.unwrap_or_default(), key: key_param(g.key.as_ref())?, projection: proj })
}

pub fn get(d: &Dynamo, req: TransactGetInput) -> Result<Json, DynamoError> {
    check_actions(req.transact_items.as_ref())?;
    let mut v = Violations::new();
    check_consumed(&mut v, req.return_consumed_capacity.as_deref());
    finish(v)?;
    let gets = req
        .transact_items
        .unwrap_or_default()
        .into_iter()
        .map(|t| plan_get(d, t.get))
        .collect::<Result<Vec<_>, _>>()?;
    let mode = req.return_consumed_capacity.as_deref();
    d.store.read(|tables| {
        let keys = gets
            .iter()
            .map(|g| {
                let t = super::items::table(tables, &g.table)?;
                Ok((g.table.as_str(), t.def.schema.key_of_key(&g.key)?))
            })
            .collect::<Result<Vec<_>, DynamoError>>()?;
        distinct(keys)?;
        let (mut responses, mut units) = (Vec::new(), BTreeMap::new());
        for g in &gets {
            let item = lookup(tables, &g.table, &g.key)?;
            *units.entry(g.table.clone()).or_insert(0.0) += transactional_units(item, 4096);
            // A missing item answers an ItemResponse without `Item`; a found one with nothing
            // projected, an empty `Item`.
            responses.push(match item {
                Some(i) => json!({"Item": item_to_json(&shown(i, g.projection.as_deref()))}),
                None => json!({}),
            });
        }
        let mut out = json!({"Responses": responses});
        if let Some(c) = consumed_per_table(mode, &units) {
            out["ConsumedCapacity"] = c;
        }
        Ok(out)
    })
}
