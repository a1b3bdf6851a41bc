//! The answers that describe a table: `TableDescription` (CreateTable, DescribeTable,
//! DeleteTable, UpdateTable), and the table's generated identity.

use super::Dynamo;
use crate::table::{IndexDef, KeySchema, Table};
use serde_json::{Value as Json, json};

fn key_schema_json(k: &KeySchema) -> Json {
    let mut out = vec![json!({"AttributeName": k.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &k.range {
        out.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Json::Array(out)
}

fn throughput_json(r: i64, w: i64) -> Json {
    json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": r, "WriteCapacityUnits": w})
}

/// A `TableDescription`. `creating` names an index just added (reported CREATING).
pub(crate) fn describe_table(d: &Dynamo, t: &Table, status: &str, creating: Option<&str>) -> Json {
    let def = &t.def;
    let arn = d.table_arn(&def.name);
    let count = t.items.len();
    let index = |i: &IndexDef, global: bool| {
        let mut j = json!({
            "IndexName": i.name,
            "KeySchema": key_schema_json(&i.schema),
            "Projection": {"ProjectionType": i.projection},
            "IndexSizeBytes": 0,
            "ItemCount": t.items.values().filter(|it| i.schema.try_key(it).is_some()).count(),
            "IndexArn": format!("{arn}/index/{}", i.name),
        });
        if !i.non_key_attributes.is_empty() {
            j["Projection"]["NonKeyAttributes"] = json!(i.non_key_attributes);
        }
        if global {
            j["IndexStatus"] = json!(if creating == Some(i.name.as_str()) { "CREATING" } else { "ACTIVE" });
            j["ProvisionedThroughput"] = throughput_json(i.read_capacity, i.write_capacity);
            j["Backfilling"] = json!(false);
        }
        j
    };
    let mut out = json!({
        "AttributeDefinitions": def.attributes.iter().map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty})).collect::<Vec<_>>(),
        "TableName": def.name,
        "KeySchema": key_schema_json(&def.schema),
        "TableStatus": status,
        "CreationDateTime": def.created_ms as f64 / 1000.0,
        "ProvisionedThroughput": throughput_json(def.read_capacity, def.write_capacity),
        "TableSizeBytes": t.size_bytes(),
        "ItemCount": count,
        "TableArn": arn,
        "TableId": def.id,
        "DeletionProtectionEnabled": def.deletion_protection,
    });
    if def.billing_mode == "PAY_PER_REQUEST" {
        out["BillingModeSummary"] = json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": def.created_ms as f64 / 1000.0});
    }
    if !def.global_indexes.is_empty() {
        out["GlobalSecondaryIndexes"] = def.global_indexes.iter().map(|i| index(i, true)).collect();
    }
    if !def.local_indexes.is_empty() {
        out["LocalSecondaryIndexes"] = def.local_indexes.iter().map(|i| index(i, false)).collect();
    }
    if let Some(c) = &def.table_class {
        out["TableClassSummary"] = json!({"TableClass": c});
    }
    if let Some(view) = &def.stream_view_type {
        out["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view});
    }
    out
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A random version-4 UUID, as DynamoDB's TableIds are.
pub(crate) fn uuid() -> String {
    let r: u128 = rand::random();
    // Version 4 in the 13th hex digit, the RFC 4122 variant in the 17th.
    let n = (r & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let field = |shift: u32, mask: u128| (n >> shift) & mask;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        field(96, 0xffff_ffff),
        field(80, 0xffff),
        field(64, 0xffff),
        field(48, 0xffff),
        field(0, 0xffff_ffff_ffff)
    )
}
