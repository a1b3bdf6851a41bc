//! CreateTable, DescribeTable, DeleteTable, ListTables and UpdateTable.
//!
//! Tables become usable at once: CreateTable answers CREATING, as DynamoDB does, and every
//! DescribeTable after it reports ACTIVE, so pollers (the KCL, SDK waiters) move on immediately.

use super::describe::{describe_table, now_ms, uuid};
use super::{Dynamo, check_table_name, finish};
use crate::error::{DynamoError, ErrorKind};
use crate::store::Mutation;
use crate::table::{IndexDef, KeyAttr, KeySchema, Table, TableDef};
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    attribute_name: Option<String>,
    attribute_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    attribute_name: Option<String>,
    key_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Throughput {
    read_capacity_units: Option<i64>,
    write_capacity_units: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    projection_type: Option<String>,
    non_key_attributes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexInput {
    index_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElement>>,
    projection: Option<Projection>,
    provisioned_throughput: Option<Throughput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    stream_enabled: Option<bool>,
    stream_view_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableInput {
    table_name: Option<String>,
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    key_schema: Option<Vec<KeySchemaElement>>,
    global_secondary_indexes: Option<Vec<IndexInput>>,
    local_secondary_indexes: Option<Vec<IndexInput>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<Throughput>,
    tags: Option<Vec<Tag>>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    stream_specification: Option<StreamSpecification>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableNameInput {
    pub table_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesInput {
    exclusive_start_table_name: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexUpdate {
    create: Option<IndexInput>,
    delete: Option<IndexInput>,
    update: Option<IndexInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableInput {
    table_name: Option<String>,
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<Throughput>,
    global_secondary_index_updates: Option<Vec<IndexUpdate>>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    stream_specification: Option<StreamSpecification>,
}

fn check_attributes(v: &mut Violations, defs: Option<&[AttributeDefinition]>, path: &str) {
    for (i, d) in defs.unwrap_or_default().iter().enumerate() {
        v.required(&d.attribute_name, &format!("{path}.{}.member.attributeName", i + 1));
        v.required(&d.attribute_type, &format!("{path}.{}.member.attributeType", i + 1));
        v.one_of(d.attribute_type.as_deref(), &format!("{path}.{}.member.attributeType", i + 1), &["B", "N", "S"]);
    }
}

fn check_key_schema(v: &mut Violations, ks: Option<&[KeySchemaElement]>, path: &str) {
    v.required(&ks, path);
    if let Some(ks) = ks {
        if ks.is_empty() {
            v.push(Some(&"[]"), path, "have length greater than or equal to 1");
        } else if ks.len() > 2 {
            v.push(Some(&format!("{} elements", ks.len())), path, "have length less than or equal to 2");
        }
        for (i, k) in ks.iter().enumerate() {
            v.required(&k.attribute_name, &format!("{path}.{}.member.attributeName", i + 1));
            v.required(&k.key_type, &format!("{path}.{}.member.keyType", i + 1));
            v.one_of(k.key_type.as_deref(), &format!("{path}.{}.member.keyType", i + 1), &["HASH", "RANGE"]);
        }
    }
}

/// The key schema, its attributes' declared types looked up.
fn key_schema(ks: &[KeySchemaElement], defs: &[KeyAttr]) -> Result<KeySchema, DynamoError> {
    let name = |k: &KeySchemaElement| k.attribute_name.clone().unwrap_or_default();
    if ks.first().and_then(|k| k.key_type.as_deref()) != Some("HASH") {
        return Err(DynamoError::validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
    }
    if let Some(second) = ks.get(1) {
        if second.key_type.as_deref() != Some("RANGE") {
            return Err(DynamoError::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        if name(second) == name(&ks[0]) {
            return Err(DynamoError::validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name",
            ));
        }
    }
    let lookup = |k: &KeySchemaElement| -> Result<KeyAttr, DynamoError> {
        defs.iter().find(|d| d.name == name(k)).cloned().ok_or_else(|| {
            let keys: Vec<String> = ks.iter().map(name).collect();
            let declared: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
            DynamoError::invalid(format!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                keys.join(", "),
                declared.join(", ")
            ))
        })
    };
    Ok(KeySchema { hash: lookup(&ks[0])?, range: ks.get(1).map(lookup).transpose()? })
}

fn index_def(i: &IndexInput, defs: &[KeyAttr], pay_per_request: bool) -> Result<IndexDef, DynamoError> {
    let name = i.index_name.clone().unwrap_or_default();
    let schema = key_schema(i.key_schema.as_deref().unwrap_or_default(), defs)?;
    let projection = i.projection.as_ref().and_then(|p| p.projection_type.clone()).unwrap_or_else(|| "ALL".into());
    let (rcu, wcu) = throughput(i.provisioned_throughput.as_ref(), pay_per_request, Some(&name))?;
    Ok(IndexDef {
        name,
        schema,
        projection,
        non_key_attributes: i.projection.as_ref().and_then(|p| p.non_key_attributes.clone()).unwrap_or_default(),
        read_capacity: rcu,
        write_capacity: wcu,
    })
}

fn throughput(t: Option<&Throughput>, pay_per_request: bool, index: Option<&str>) -> Result<(i64, i64), DynamoError> {
    match (t, pay_per_request) {
        (None, true) => Ok((0, 0)),
        (Some(_), true) => Err(DynamoError::invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (Some(Throughput { read_capacity_units: Some(r), write_capacity_units: Some(w) }), false) => {
            if *r < 1 || *w < 1 {
                return Err(DynamoError::invalid("Provisioned throughput must be at least 1"));
            }
            Ok((*r, *w))
        }
        (_, false) => Err(match index {
            Some(i) => DynamoError::validation(format!(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {i}"
            )),
            None => DynamoError::invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ),
        }),
    }
}

fn attr_defs(defs: &[AttributeDefinition]) -> Vec<KeyAttr> {
    defs.iter()
        .map(|d| KeyAttr {
            name: d.attribute_name.clone().unwrap_or_default(),
            ty: d.attribute_type.clone().unwrap_or_default(),
        })
        .collect()
}

pub fn create(d: &Dynamo, req: CreateTableInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    check_attributes(&mut v, req.attribute_definitions.as_deref(), "attributeDefinitions");
    v.required(&req.attribute_definitions, "attributeDefinitions");
    check_table_name(&mut v, req.table_name.as_deref());
    check_key_schema(&mut v, req.key_schema.as_deref(), "keySchema");
    v.one_of(req.billing_mode.as_deref(), "billingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
    finish(v)?;
    let name = req.table_name.unwrap_or_default();
    let defs = attr_defs(req.attribute_definitions.as_deref().unwrap_or_default());
    let schema = key_schema(req.key_schema.as_deref().unwrap_or_default(), &defs)?;
    let pay = req.billing_mode.as_deref() == Some("PAY_PER_REQUEST");
    if req.billing_mode.is_none() && req.provisioned_throughput.is_none() {
        return Err(DynamoError::validation("No provisioned throughput specified for the table"));
    }
    let (rcu, wcu) = throughput(req.provisioned_throughput.as_ref(), pay, None)?;
    let gsis = req
        .global_secondary_indexes
        .unwrap_or_default()
        .iter()
        .map(|i| index_def(i, &defs, pay))
        .collect::<Result<Vec<_>, _>>()?;
    let lsis = req
        .local_secondary_indexes
        .unwrap_or_default()
        .iter()
        .map(|i| index_def(i, &defs, true))
        .collect::<Result<Vec<_>, _>>()?;
    let used: Vec<&str> =
        schema.names().into_iter().chain(gsis.iter().chain(&lsis).flat_map(|i| i.schema.names())).collect();
    if defs.iter().any(|a| !used.contains(&a.name.as_str())) {
        return Err(DynamoError::invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let tags = tags_map(req.tags.unwrap_or_default())?;
    let def = TableDef {
        name: name.clone(),
        id: uuid(),
        schema,
        attributes: defs,
        global_indexes: gsis,
        local_indexes: lsis,
        billing_mode: if pay { "PAY_PER_REQUEST" } else { "PROVISIONED" }.into(),
        read_capacity: rcu,
        write_capacity: wcu,
        created_ms: now_ms(),
        tags,
        point_in_time_recovery: false,
        deletion_protection: req.deletion_protection_enabled.unwrap_or(false),
        ttl_attribute: None,
        table_class: req.table_class,
        stream_view_type: req
            .stream_specification
            .filter(|s| s.stream_enabled == Some(true))
            .and_then(|s| s.stream_view_type),
    };
    d.store.write(|tables| {
        if tables.contains_key(&name) {
            return Err(DynamoError::new(ErrorKind::ResourceInUse, format!("Table already exists: {name}")));
        }
        let out = json!({"TableDescription": describe_table(d, &Table::new(def.clone()), "CREATING", None)});
        Ok((out, vec![Mutation::CreateTable(def)]))
    })
}

pub(crate) fn tags_map(tags: Vec<Tag>) -> Result<BTreeMap<String, String>, DynamoError> {
    tags.into_iter()
        .map(|t| match (t.key, t.value) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(DynamoError::validation("1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null")),
        })
        .collect()
}

/// A table name alone, checked.
pub(crate) fn name_only(name: Option<&str>) -> Result<String, DynamoError> {
    let mut v = Violations::new();
    check_table_name(&mut v, name);
    finish(v)?;
    Ok(name.unwrap_or_default().to_string())
}

pub fn describe(d: &Dynamo, req: TableNameInput) -> Result<Json, DynamoError> {
    let name = name_only(req.table_name.as_deref())?;
    d.store.read(|tables| {
        let t = tables.get(&name).ok_or_else(|| DynamoError::table_not_found_named(&name))?;
        Ok(json!({"Table": describe_table(d, t, "ACTIVE", None)}))
    })
}

pub fn delete(d: &Dynamo, req: TableNameInput) -> Result<Json, DynamoError> {
    let name = name_only(req.table_name.as_deref())?;
    d.store.write(|tables| {
        let t = tables.get(&name).ok_or_else(|| DynamoError::table_not_found_named(&name))?;
        if t.def.deletion_protection {
            return Err(DynamoError::validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
            ));
        }
        let out = json!({"TableDescription": describe_table(d, t, "DELETING", None)});
        Ok((out, vec![Mutation::DeleteTable(name.clone())]))
    })
}

pub fn list(d: &Dynamo, req: ListTablesInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    v.range(req.limit, "limit", Some(1), Some(100));
    if let Some(s) = req.exclusive_start_table_name.as_deref() {
        check_table_name(&mut v, Some(s));
    }
    finish(v)?;
    let limit = req.limit.unwrap_or(100) as usize;
    d.store.read(|tables| {
        let mut names: Vec<&String> = tables
            .keys()
            .filter(|n| req.exclusive_start_table_name.as_ref().is_none_or(|s| n.as_str() > s.as_str()))
            .take(limit + 1)
            .collect();
        let more = names.len() > limit;
        names.truncate(limit);
        let mut out = json!({"TableNames": names});
        if more && let Some(last) = names.last() {
            out["LastEvaluatedTableName"] = json!(last);
        }
        Ok(out)
    })
}

pub fn update(d: &Dynamo, req: UpdateTableInput) -> Result<Json, DynamoError> {
    let name = name_only(req.table_name.as_deref())?;
    let mut v = Violations::new();
    check_attributes(&mut v, req.attribute_definitions.as_deref(), "attributeDefinitions");
    v.one_of(req.billing_mode.as_deref(), "billingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
    finish(v)?;
    if req.billing_mode.is_none()
        && req.provisioned_throughput.is_none()
        && req.global_secondary_index_updates.is_none()
        && req.deletion_protection_enabled.is_none()
        && req.table_class.is_none()
        && req.stream_specification.is_none()
    {
        return Err(DynamoError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or \
             SSESpecification or ReplicaUpdates is required",
        ));
    }
    d.store.write(|tables| {
        let t = tables.get(&name).ok_or_else(|| DynamoError::table_not_found_named(&name))?;
        let mut def = t.def.clone();
        for a in attr_defs(req.attribute_definitions.as_deref().unwrap_or_default()) {
            def.attributes.retain(|x| x.name != a.name);
            def.attributes.push(a);
        }
        if let Some(mode) = &req.billing_mode {
            def.billing_mode = mode.clone();
        }
        let pay = def.billing_mode == "PAY_PER_REQUEST";
        if req.provisioned_throughput.is_some() || req.billing_mode.is_some() {
            (def.read_capacity, def.write_capacity) = throughput(req.provisioned_throughput.as_ref(), pay, None)?;
        }
        let mut creating = None;
        for u in req.global_secondary_index_updates.as_deref().unwrap_or_default() {
            if let Some(c) = &u.create {
                let idx = index_def(c, &def.attributes, pay)?;
                if def.index(&idx.name).is_some() {
                    return Err(DynamoError::invalid(format!("Index already exists: {}", idx.name)));
                }
                creating = Some(idx.name.clone());
                def.global_indexes.push(idx);
            }
            if let Some(del) = &u.delete {
                let n = del.index_name.clone().unwrap_or_default();
                if def.index(&n).is_none() {
                    return Err(DynamoError::new(ErrorKind::ResourceNotFound, "Requested resource not found"));
                }
                def.global_indexes.retain(|i| i.name != n);
            }
            if let Some(up) = &u.update {
                let n = up.index_name.clone().unwrap_or_default();
                let (r, w) = throughput(up.provisioned_throughput.as_ref(), pay, Some(&n))?;
                let idx = def.global_indexes.iter_mut().find(|i| i.name == n);
                let idx =
                    idx.ok_or_else(|| DynamoError::new(ErrorKind::ResourceNotFound, "Requested resource not found"))?;
                (idx.read_capacity, idx.write_capacity) = (r, w);
            }
        }
        if let Some(p) = req.deletion_protection_enabled {
            def.deletion_protection = p;
        }
        if let Some(c) = &req.table_class {
            def.table_class = Some(c.clone());
        }
        if let Some(s) = &req.stream_specification {
            def.stream_view_type = if s.stream_enabled == Some(true) { s.stream_view_type.clone() } else { None };
        }
        let shown = Table { def: def.clone(), items: t.items.clone() };
        let out = json!({"TableDescription": describe_table(d, &shown, "UPDATING", creating.as_deref())});
        Ok((out, vec![Mutation::UpdateTable(def)]))
    })
}
