//! Scan and Query, over a table or a secondary index: one page at a time, up to `Limit` items
//! examined or 1 MB read, resumed from `ExclusiveStartKey`; filters apply after the limit, as in
//! DynamoDB, so a page may hold fewer items than it examined.

use super::{Dynamo, check_consumed, check_table_name, consumed, finish, no_mixing, params, projection};
use crate::error::DynamoError;
use crate::expr::legacy::{self, Condition};
use crate::expr::{CmpOp, Cond, Kind, Operand, Params, Path, Step, eval, parse_condition, project};
use crate::table::{IndexDef, KeySchema, PrimaryKey, Table};
use crate::value::{Item, Value, item_from_json, item_size, item_to_json};
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A page stops after this many bytes of items read.
const PAGE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadInput {
    table_name: Option<String>,
    index_name: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    select: Option<String>,
    consistent_read: Option<bool>,
    scan_filter: Option<BTreeMap<String, Condition>>,
    query_filter: Option<BTreeMap<String, Condition>>,
    key_conditions: Option<BTreeMap<String, Condition>>,
    conditional_operator: Option<String>,
    exclusive_start_key: Option<Json>,
    return_consumed_capacity: Option<String>,
    total_segments: Option<i64>,
    segment: Option<i64>,
    scan_index_forward: Option<bool>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    key_condition_expression: Option<String>,
    expression_attribute_names: Option<BTreeMap<String, String>>,
    expression_attribute_values: Option<Json>,
}

/// Where an entry sits: its key in the table or index read, then (for an index) its table key.
type Position = (PrimaryKey, Option<PrimaryKey>);

/// What a read examines, in order.
struct Entries<'a> {
    list: Vec<(Position, &'a Item)>,
    /// The index read, if not the table.
    index: Option<&'a IndexDef>,
}

fn check_read(v: &mut Violations, req: &ReadInput) {
    check_table_name(v, req.table_name.as_deref());
    v.range(req.limit, "limit", Some(1), None);
    v.one_of(
        req.select.as_deref(),
        "select",
        &["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"],
    );
    check_consumed(v, req.return_consumed_capacity.as_deref());
    v.range(req.total_segments, "totalSegments", Some(1), Some(1_000_000));
    v.range(req.segment, "segment", Some(0), Some(999_999));
    if let Some(i) = req.index_name.as_deref() {
        v.length(Some(i), "indexName", 3, 255);
    }
}

/// What Scan and Query share: the filter, the projection and the start key, read after the
/// key condition (if any) has had its turn with the placeholders.
struct Plan {
    filter: Cond,
    projection: Option<Vec<Path>>,
    start: Option<Item>,
}

fn plan(
    req: &ReadInput,
    legacy_filter: Option<&BTreeMap<String, Condition>>,
    mut p: Params,
) -> Result<Plan, DynamoError> {
    let filter = match (&req.filter_expression, legacy_filter) {
        (Some(e), _) => parse_condition(e, Kind::Filter, &mut p)?,
        (None, Some(f)) => legacy::filter(f, req.conditional_operator.as_deref())?,
        (None, None) => Cond::True,
    };
    let proj = projection(req.projection_expression.as_deref(), req.attributes_to_get.as_deref(), &mut p)?;
    if proj.is_some() && matches!(req.select.as_deref(), Some("ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "COUNT"))
    {
        return Err(DynamoError::validation(format!(
            "Cannot specify the {} when choosing to get {}",
            if req.projection_expression.is_some() { "ProjectionExpression" } else { "AttributesToGet" },
            req.select.as_deref().unwrap_or_default()
        )));
    }
    if req.select.as_deref() == Some("SPECIFIC_ATTRIBUTES") && proj.is_none() {
        return Err(DynamoError::validation(
            "ProjectionExpression or AttributesToGet must be specified when choosing to get SPECIFIC_ATTRIBUTES",
        ));
    }
    p.check_all_used()?;
    let start = req.exclusive_start_key.as_ref().map(item_from_json).transpose()?;
    Ok(Plan { filter, projection: proj, start })
}

/// The index named, with DynamoDB's refusals.
fn index<'a>(t: &'a Table, req: &ReadInput) -> Result<Option<&'a IndexDef>, DynamoError> {
    let Some(name) = &req.index_name else { return Ok(None) };
    let idx = t
        .def
        .index(name)
        .ok_or_else(|| DynamoError::validation(format!("The table does not have the specified index: {name}")))?;
    if req.consistent_read == Some(true) && t.def.global_indexes.iter().any(|g| g.name == *name) {
        return Err(DynamoError::validation("Consistent reads are not supported on global secondary indexes"));
    }
    Ok(Some(idx))
}

/// Every entry of the table or index, in key order.
fn entries<'a>(t: &'a Table, idx: Option<&'a IndexDef>) -> Entries<'a> {
    let mut list: Vec<(Position, &Item)> = match idx {
        None => t.items.iter().map(|(k, i)| ((k.clone(), None), i)).collect(),
        Some(ix) => t.items.iter().filter_map(|(k, i)| Some(((ix.schema.try_key(i)?, Some(k.clone())), i))).collect(),
    };
    if idx.is_some() {
        list.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Entries { list, index: idx }
}

/// The position `ExclusiveStartKey` names.
fn start_position(t: &Table, idx: Option<&IndexDef>, esk: &Item) -> Result<Position, DynamoError> {
    let bad = |e: DynamoError| {
        DynamoError::validation(format!("The provided starting key is invalid: {}", e.message.unwrap_or_default()))
    };
    match idx {
        None => Ok((t.def.schema.key_of_key(esk).map_err(bad)?, None)),
        Some(ix) => {
            let table_key: Item =
                t.def.schema.names().iter().filter_map(|n| Some((n.to_string(), esk.get(*n)?.clone()))).collect();
            let tk = t.def.schema.key_of_key(&table_key).map_err(bad)?;
            let ik = ix
                .schema
                .try_key(esk)
                .ok_or_else(|| bad(DynamoError::validation("The provided key element does not match the schema")))?;
            Ok((ik, Some(tk)))
        }
    }
}

/// What a read of the table or index sees of an item.
fn visible<'a>(t: &Table, idx: Option<&IndexDef>, item: &'a Item) -> Cow<'a, Item> {
    match idx {
        Some(ix) => Cow::Owned(ix.project(item, &t.def.schema)),
        None => Cow::Borrowed(item),
    }
}

/// Reads one page from `list` (already in reading order, already past the start key).
fn page(
    t: &Table,
    req: &ReadInput,
    e: &Entries<'_>,
    list: Vec<&(Position, &Item)>,
    filter: &Cond,
    proj: Option<&[Path]>,
) -> Json {
    let limit = req.limit.map_or(usize::MAX, |l| l as usize);
    let (mut scanned, mut bytes, mut items, mut last) = (0usize, 0usize, Vec::new(), None);
    let total = list.len();
    for (n, (pos, item)) in list.into_iter().enumerate() {
        let visible = visible(t, e.index, item);
        scanned += 1;
        bytes += item_size(&visible);
        if eval(filter, &visible) {
            items.push(match proj {
                Some(paths) => project(&visible, paths),
                None => visible.into_owned(),
            });
        }
        // DynamoDB names a last key whenever the limit ends a page, even at the very end.
        if scanned >= limit || (bytes >= PAGE_BYTES && n + 1 < total) {
            last = Some(last_key(t, e.index, pos, item));
            break;
        }
    }
    let mut out = Map::new();
    out.insert("Count".into(), items.len().into());
    out.insert("ScannedCount".into(), scanned.into());
    if req.select.as_deref() != Some("COUNT") {
        out.insert("Items".into(), items.iter().map(item_to_json).collect());
    }
    if let Some(k) = last {
        out.insert("LastEvaluatedKey".into(), item_to_json(&k));
    }
    let factor = if req.consistent_read == Some(true) { 1.0 } else { 0.5 };
    let units = (bytes.max(1).div_ceil(4096)) as f64 * factor;
    if let Some(c) = consumed(req.return_consumed_capacity.as_deref(), &d_name(req), units) {
        out.insert("ConsumedCapacity".into(), c);
    }
    Json::Object(out)
}

fn d_name(req: &ReadInput) -> String {
    req.table_name.clone().unwrap_or_default()
}

/// `LastEvaluatedKey`: the table key, plus the index key for an index read.
fn last_key(t: &Table, idx: Option<&IndexDef>, pos: &Position, item: &Item) -> Item {
    let table_key = pos.1.as_ref().unwrap_or(&pos.0);
    let mut out = t.def.schema.key_item(table_key);
    if let Some(ix) = idx {
        for n in ix.schema.names() {
            if let Some(v) = item.get(n) {
                out.insert(n.to_string(), v.clone());
            }
        }
    }
    out
}

pub fn scan(d: &Dynamo, req: ReadInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    check_read(&mut v, &req);
    finish(v)?;
    match (req.segment, req.total_segments) {
        (Some(_), None) => {
            return Err(DynamoError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(DynamoError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(s), Some(n)) if s >= n => {
            return Err(DynamoError::validation(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {n}"
            )));
        }
        _ => {}
    }
    no_mixing(
        &[("AttributesToGet", req.attributes_to_get.is_some()), ("ScanFilter", req.scan_filter.is_some())],
        &[
            ("ProjectionExpression", req.projection_expression.is_some()),
            ("FilterExpression", req.filter_expression.is_some()),
        ],
    )?;
    let uses = req.projection_expression.is_some() || req.filter_expression.is_some();
    let p = params(req.expression_attribute_names.clone(), req.expression_attribute_values.as_ref(), uses)?;
    let plan = plan(&req, req.scan_filter.as_ref(), p)?;
    let name = d_name(&req);
    d.store.read(|tables| {
        let t = tables.get(&name).ok_or_else(DynamoError::table_not_found)?;
        let idx = index(t, &req)?;
        let e = entries(t, idx);
        let start = plan.start.as_ref().map(|k| start_position(t, idx, k)).transpose()?;
        let segment = req.segment.zip(req.total_segments);
        let list: Vec<&(Position, &Item)> = e
            .list
            .iter()
            .filter(|(pos, _)| start.as_ref().is_none_or(|s| pos > s))
            .filter(|(pos, _)| {
                segment.is_none_or(|(s, n)| {
                    let table_key = pos.1.as_ref().unwrap_or(&pos.0);
                    i64::from(crc32c::crc32c(&table_key.0.bytes()) % n as u32) == s
                })
            })
            .collect();
        Ok(page(t, &req, &e, list, &plan.filter, plan.projection.as_deref()))
    })
}

/// The key condition, checked to be one equality on the partition key and at most one
/// supported condition on the sort key.
fn key_condition(c: &Cond, schema: &KeySchema) -> Result<Cond, DynamoError> {
    fn leaves<'a>(c: &'a Cond, out: &mut Vec<&'a Cond>) -> Result<(), DynamoError> {
        let op = match c {
            Cond::And(a, b) => {
                leaves(a, out)?;
                return leaves(b, out);
            }
            Cond::Cmp(_, CmpOp::Ne, _) => "<>",
            Cond::Cmp(..) | Cond::Between(..) | Cond::BeginsWith(..) => {
                out.push(c);
                return Ok(());
            }
            Cond::Or(..) => "OR",
            Cond::Not(..) => "NOT",
            Cond::In(..) => "IN",
            Cond::Exists(_) => "attribute_exists",
            Cond::NotExists(_) => "attribute_not_exists",
            Cond::AttrType(..) => "attribute_type",
            Cond::Contains(..) => "contains",
            Cond::True => return Ok(()),
        };
        Err(DynamoError::validation(format!("Invalid operator used in KeyConditionExpression: {op}")))
    }
    let mut list = Vec::new();
    leaves(c, &mut list)?;
    if list.len() > 2 {
        return Err(DynamoError::validation("Conditions can be of length 1 or 2 only"));
    }
    let unsupported = || DynamoError::validation("Query key condition not supported");
    let mut hash = None;
    let mut range = None;
    for leaf in list {
        let (path, values): (&Path, Vec<&Value>) = match leaf {
            Cond::Cmp(Operand::Path(p), _, Operand::Value(v)) | Cond::Cmp(Operand::Value(v), _, Operand::Path(p)) => {
                (p, vec![v])
            }
            Cond::Between(Operand::Path(p), Operand::Value(a), Operand::Value(b)) => (p, vec![a, b]),
            Cond::BeginsWith(Operand::Path(p), Operand::Value(v)) => (p, vec![v]),
            _ => return Err(unsupported()),
        };
        let [Step::Attr(attr)] = path.0.as_slice() else { return Err(unsupported()) };
        let slot = if *attr == schema.hash.name {
            if !matches!(leaf, Cond::Cmp(_, CmpOp::Eq, _)) {
                return Err(unsupported());
            }
            (&mut hash, &schema.hash)
        } else if let Some(r) = schema.range.as_ref().filter(|r| r.name == *attr) {
            (&mut range, r)
        } else {
            let missing = if hash.is_none() { &schema.hash.name } else { attr };
            return Err(DynamoError::validation(format!("Query condition missed key schema element: {missing}")));
        };
        if slot.0.is_some() {
            return Err(DynamoError::validation("KeyConditionExpressions must only contain one condition per key"));
        }
        if values.iter().any(|v| v.type_code() != slot.1.ty) {
            return Err(DynamoError::invalid("Condition parameter type does not match schema type"));
        }
        *slot.0 = Some(leaf.clone());
    }
    let Some(h) = hash else {
        return Err(DynamoError::validation(format!(
            "Query condition missed key schema element: {}",
            schema.hash.name
        )));
    };
    Ok(match range {
        Some(r) => Cond::And(Box::new(h), Box::new(r)),
        None => h,
    })
}

pub fn query(d: &Dynamo, req: ReadInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    check_read(&mut v, &req);
    finish(v)?;
    no_mixing(
        &[
            ("AttributesToGet", req.attributes_to_get.is_some()),
            ("QueryFilter", req.query_filter.is_some()),
            ("KeyConditions", req.key_conditions.is_some()),
        ],
        &[
            ("ProjectionExpression", req.projection_expression.is_some()),
            ("FilterExpression", req.filter_expression.is_some()),
            ("KeyConditionExpression", req.key_condition_expression.is_some()),
        ],
    )?;
    let uses = req.projection_expression.is_some()
        || req.filter_expression.is_some()
        || req.key_condition_expression.is_some();
    let mut p = params(req.expression_attribute_names.clone(), req.expression_attribute_values.as_ref(), uses)?;
    let keys = match (&req.key_condition_expression, &req.key_conditions) {
        (Some(e), _) => parse_condition(e, Kind::KeyCondition, &mut p)?,
        (None, Some(k)) => legacy::filter(k, None)?,
        (None, None) => {
            return Err(DynamoError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ));
        }
    };
    let plan = plan(&req, req.query_filter.as_ref(), p)?;
    let name = d_name(&req);
    d.store.read(|tables| {
        let t = tables.get(&name).ok_or_else(DynamoError::table_not_found)?;
        let idx = index(t, &req)?;
        let keys = key_condition(&keys, idx.map_or(&t.def.schema, |i| &i.schema))?;
        let e = entries(t, idx);
        let start = plan.start.as_ref().map(|k| start_position(t, idx, k)).transpose()?;
        let forward = req.scan_index_forward != Some(false);
        let mut list: Vec<&(Position, &Item)> =
            e.list.iter().filter(|(_, item)| eval(&keys, &visible(t, idx, item))).collect();
        if !forward {
            list.reverse();
        }
        let list = list
            .into_iter()
            .filter(|(pos, _)| start.as_ref().is_none_or(|s| if forward { pos > s } else { pos < s }))
            .collect();
        Ok(page(t, &req, &e, list, &plan.filter, plan.projection.as_deref()))
    })
}
