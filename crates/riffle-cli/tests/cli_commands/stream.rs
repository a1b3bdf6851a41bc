//! `riffle stream` through a stream's whole life, in both output modes, and the errors a person
//! meets first: a stream that is not there, a server that is not running.

use super::{fails, ok, ok_json, server};
use serde_json::Value;

/// The shards of a describe/split/merge/scale answer, by id.
fn shard<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["shards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shard_id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {answer}"))
}

#[test]
fn a_stream_is_created_listed_described_resharded_and_deleted() {
    let (server, _dir) = server(&[]);
    let url = server.endpoint();
    let at = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(["--endpoint-url".to_string(), url.clone()]);
        v
    };
    let json = |args: &[&str]| ok_json(&at(args).iter().map(String::as_str).chain(["-o", "json"]).collect::<Vec<_>>());
    let text = |args: &[&str]| ok(&at(args).iter().map(String::as_str).collect::<Vec<_>>());

    // create: waits for ACTIVE, in both modes.
    let created = json(&["stream", "create", "orders", "--shards", "2"]);
    assert_eq!(created["name"], "orders");
    assert_eq!(created["status"], "ACTIVE");
    assert_eq!(created["mode"], "PROVISIONED");
    assert_eq!(created["open_shards"], 2);
    assert_eq!(created["retention_hours"], 24);
    assert!(created["arn"].as_str().unwrap().ends_with(":stream/orders"), "{created}");
    let created = text(&["stream", "create", "clicks", "--on-demand"]);
    assert!(created.contains("created stream 'clicks' (ACTIVE)") && created.contains("ON_DEMAND"), "{created}");

    // list: a row per stream; JSON with both.
    let listed = text(&["stream", "list"]);
    let header = listed.lines().next().unwrap();
    assert!(header.starts_with("NAME") && header.contains("OPEN SHARDS") && header.contains("RETENTION"), "{listed}");
    let row = listed.lines().find(|l| l.starts_with("orders")).unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(row.split_whitespace().collect::<Vec<_>>(), ["orders", "ACTIVE", "PROVISIONED", "2", "24h"]);
    let listed = json(&["stream", "list"]);
    let names: Vec<&str> = listed["streams"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["clicks", "orders"]);

    // describe: summary and shard table.
    let described = json(&["stream", "describe", "orders"]);
    assert_eq!(described["stream"]["open_shards"], 2);
    let first = shard(&described, "shardId-000000000000");
    assert_eq!(first["starting_hash_key"], "0");
    assert_eq!(first["ending_hash_key"], ((1u128 << 127) - 1).to_string());
    assert_eq!(first["open"], true);
    assert_eq!(first["parent_shard_id"], Value::Null);
    let described = text(&["stream", "describe", "orders"]);
    assert!(described.lines().any(|l| l.starts_with("status") && l.ends_with("ACTIVE")), "{described}");
    let row = described.lines().find(|l| l.starts_with("shardId-000000000001")).unwrap();
    assert!(row.contains("50-100%") && row.trim_end().ends_with("open"), "{row}");

    // split at the midpoint by default: the lower half of shard 0 in two.
    let split = json(&["stream", "split", "orders", "0"]);
    assert_eq!(split["stream"]["status"], "ACTIVE");
    assert_eq!(split["stream"]["open_shards"], 3);
    assert_eq!(shard(&split, "shardId-000000000000")["open"], false);
    assert!(shard(&split, "shardId-000000000000")["ending_sequence_number"].is_string());
    let upper = shard(&split, "shardId-000000000003");
    assert_eq!(upper["starting_hash_key"], (1u128 << 126).to_string());
    assert_eq!(upper["parent_shard_id"], "shardId-000000000000");

    // merge the two children back: the table names what was done and shows the lineage.
    let merged = text(&["stream", "merge", "orders", "shardId-000000000002", "3"]);
    assert!(merged.starts_with("stream 'orders': merged shardId-000000000002 and shardId-000000000003"), "{merged}");
    let row = merged.lines().find(|l| l.starts_with("shardId-000000000004")).unwrap_or_else(|| panic!("{merged}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[1..4], ["0-50%", "shardId-000000000002", "shardId-000000000003"], "{row}");
    assert_eq!(cells.last(), Some(&"open"));

    // scale: UpdateShardCount, waited for.
    let scaled = json(&["stream", "scale", "orders", "--shards", "4"]);
    assert_eq!(scaled["stream"]["status"], "ACTIVE");
    assert_eq!(scaled["stream"]["open_shards"], 4);
    let open = scaled["shards"].as_array().unwrap().iter().filter(|s| s["open"] == true).count();
    assert_eq!(open, 4);

    // delete: waits until gone; then the stream is reported missing, with what to do next.
    let deleted = json(&["stream", "delete", "orders"]);
    assert_eq!(deleted, serde_json::json!({ "name": "orders", "status": "DELETED" }));
    assert_eq!(text(&["stream", "delete", "clicks", "--enforce-consumer-deletion"]).trim(), "stream 'clicks' deleted");
    let listed = text(&["stream", "list"]);
    assert!(listed.starts_with("no streams at"), "{listed}");
    let err = fails(&at(&["stream", "describe", "orders"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        err.contains(&format!("stream 'orders' not found at {url} — list streams with `riffle stream list`")),
        "{err}"
    );
}

#[test]
fn errors_say_what_to_do_next() {
    let (server, _dir) = server(&[]);
    let url = server.endpoint();
    ok(&["stream", "create", "busy", "--endpoint-url", &url]);
    let err = fails(&["stream", "create", "busy", "--endpoint-url", &url]);
    assert!(err.contains("stream 'busy' already exists") && err.contains("riffle stream describe busy"), "{err}");
    let err = fails(&["stream", "split", "busy", "9", "--endpoint-url", &url]);
    assert!(err.contains("has no shard shardId-000000000009"), "{err}");

    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = format!("http://127.0.0.1:{port}");
    let err = fails(&["stream", "list", "--endpoint-url", &nowhere]);
    assert!(err.contains(&format!("cannot reach {nowhere} — is `riffle serve` running?")), "{err}");
}

/// `riffle serve` takes any credentials, so a fresh machine with none configured still works
/// against it: placeholder credentials sign requests to a loopback endpoint.
#[test]
fn a_local_server_needs_no_configured_credentials() {
    let (server, dir) = server(&[]);
    let out = std::process::Command::new(super::bin())
        .args(["stream", "list", "-o", "json", "--endpoint-url", &server.endpoint()])
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let listed: Value = serde_json::from_str(&super::stdout_of(&out, &["stream", "list"])).unwrap();
    assert_eq!(listed, serde_json::json!({ "streams": [] }));
}
