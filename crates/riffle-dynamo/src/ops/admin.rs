//! The calls a KCL makes around its lease table, answered cheaply: continuous backups (point in
//! time recovery is recorded, there are no backups), time to live (recorded, items do not
//! expire), tags, and the account's limits.

use super::describe::now_ms;
use super::tables::{TableNameInput, Tag, name_only as table_name, tags_map};
use super::{Dynamo, finish};
use crate::error::{DynamoError, ErrorKind};
use crate::store::Mutation;
use crate::table::TableDef;
use riffle_proto::Violations;
use serde::Deserialize;
use serde_json::{Value as Json, json};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PitrSpec {
    point_in_time_recovery_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateBackupsInput {
    table_name: Option<String>,
    point_in_time_recovery_specification: Option<PitrSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlSpec {
    enabled: Option<bool>,
    attribute_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTtlInput {
    table_name: Option<String>,
    time_to_live_specification: Option<TtlSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    resource_arn: Option<String>,
    tags: Option<Vec<Tag>>,
    tag_keys: Option<Vec<String>>,
}

/// The backup operations answer a missing table with their own error type.
fn table_not_found(name: &str) -> DynamoError {
    DynamoError::new(ErrorKind::TableNotFound, format!("Table not found: {name}"))
}

fn backups_json(def: &TableDef) -> Json {
    let mut pitr =
        json!({"PointInTimeRecoveryStatus": if def.point_in_time_recovery { "ENABLED" } else { "DISABLED" }});
    if def.point_in_time_recovery {
        let now = now_ms() as f64 / 1000.0;
        pitr["EarliestRestorableDateTime"] = json!(def.created_ms as f64 / 1000.0);
        pitr["LatestRestorableDateTime"] = json!(now);
        pitr["RecoveryPeriodInDays"] = json!(35);
    }
    json!({"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}})
}

pub fn describe_backups(d: &Dynamo, req: TableNameInput) -> Result<Json, DynamoError> {
    let name = table_name(req.table_name.as_deref())?;
    d.store.read(|t| t.get(&name).map(|t| backups_json(&t.def)).ok_or_else(|| table_not_found(&name)))
}

pub fn update_backups(d: &Dynamo, req: UpdateBackupsInput) -> Result<Json, DynamoError> {
    let name = table_name(req.table_name.as_deref())?;
    let mut v = Violations::new();
    v.required(&req.point_in_time_recovery_specification, "pointInTimeRecoverySpecification");
    finish(v)?;
    let enabled =
        req.point_in_time_recovery_specification.and_then(|s| s.point_in_time_recovery_enabled).unwrap_or(false);
    d.store.write(|tables| {
        let t = tables.get(&name).ok_or_else(|| table_not_found(&name))?;
        let mut def = t.def.clone();
        def.point_in_time_recovery = enabled;
        Ok((backups_json(&def), vec![Mutation::UpdateTable(def)]))
    })
}

pub fn describe_ttl(d: &Dynamo, req: TableNameInput) -> Result<Json, DynamoError> {
    let name = table_name(req.table_name.as_deref())?;
    d.store.read(|tables| {
        let t = tables.get(&name).ok_or_else(|| DynamoError::table_not_found_named(&name))?;
        Ok(match &t.def.ttl_attribute {
            Some(a) => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": a}}),
            None => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
        })
    })
}

pub fn update_ttl(d: &Dynamo, req: UpdateTtlInput) -> Result<Json, DynamoError> {
    let name = table_name(req.table_name.as_deref())?;
    let mut v = Violations::new();
    v.required(&req.time_to_live_specification, "timeToLiveSpecification");
    finish(v)?;
    let spec = req.time_to_live_specification.unwrap_or(TtlSpec { enabled: None, attribute_name: None });
    let enabled = spec.enabled.unwrap_or(false);
    let attr = spec.attribute_name.unwrap_or_default();
    d.store.write(|tables| {
        let t = tables.get(&name).ok_or_else(|| DynamoError::table_not_found_named(&name))?;
        let mut def = t.def.clone();
        match (&def.ttl_attribute, enabled) {
            (Some(_), true) => return Err(DynamoError::validation("TimeToLive is already enabled")),
            (None, false) => return Err(DynamoError::validation("TimeToLive is already disabled")),
            _ => {}
        }
        def.ttl_attribute = enabled.then(|| attr.clone());
        let out = json!({"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attr}});
        Ok((out, vec![Mutation::UpdateTable(def)]))
    })
}

/// The table an ARN names, if it is one of ours.
fn table_of_arn(d: &Dynamo, arn: Option<&str>) -> Result<String, DynamoError> {
    let arn = arn.unwrap_or_default();
    let prefix = format!("arn:aws:dynamodb:{}:{}:table/", d.region, d.account);
    match arn.strip_prefix(&prefix) {
        Some(name) if !name.is_empty() && !name.contains('/') => Ok(name.to_string()),
        _ if arn.starts_with("arn:aws:dynamodb:") && arn.contains(":table/") => Err(resource_not_found(arn)),
        _ => Err(DynamoError::validation(format!("Invalid TableArn: Invalid ResourceArn provided as input {arn}"))),
    }
}

/// DynamoDB's wording, its typo included.
fn resource_not_found(arn: &str) -> DynamoError {
    DynamoError::new(ErrorKind::ResourceNotFound, format!("Requested resource not found: ResourcArn: {arn} not found"))
}

fn change_tags(d: &Dynamo, arn: Option<&str>, f: impl FnOnce(&mut TableDef)) -> Result<Json, DynamoError> {
    let name = table_of_arn(d, arn)?;
    d.store.write(|tables| {
        let t = tables.get(&name).ok_or_else(|| resource_not_found(arn.unwrap_or_default()))?;
        let mut def = t.def.clone();
        f(&mut def);
        Ok((json!({}), vec![Mutation::UpdateTable(def)]))
    })
}

pub fn tag(d: &Dynamo, req: TagInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    v.required(&req.resource_arn, "resourceArn");
    v.required(&req.tags, "tags");
    finish(v)?;
    let tags = tags_map(req.tags.unwrap_or_default())?;
    change_tags(d, req.resource_arn.as_deref(), |def| def.tags.extend(tags))
}

pub fn untag(d: &Dynamo, req: TagInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    v.required(&req.resource_arn, "resourceArn");
    v.required(&req.tag_keys, "tagKeys");
    finish(v)?;
    let keys = req.tag_keys.unwrap_or_default();
    change_tags(d, req.resource_arn.as_deref(), |def| def.tags.retain(|k, _| !keys.contains(k)))
}

pub fn list_tags(d: &Dynamo, req: TagInput) -> Result<Json, DynamoError> {
    let mut v = Violations::new();
    v.required(&req.resource_arn, "resourceArn");
    finish(v)?;
    let arn = req.resource_arn.as_deref();
    let name = table_of_arn(d, arn)?;
    d.store.read(|tables| {
        let t = tables.get(&name).ok_or_else(|| resource_not_found(arn.unwrap_or_default()))?;
        let tags: Vec<Json> = t.def.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
        Ok(json!({"Tags": tags}))
    })
}

pub fn limits() -> Json {
    json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    })
}
