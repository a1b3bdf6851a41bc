//! The web console (issue 8): its embedded pages, its read-only JSON under `/console/api/`
//! (streams, shards and lineage, sampled throughput, the record browser with KPL aggregates
//! unpacked, lease tables with lag), and HTTP Basic sign-in under `--auth`.

use crate::{http, wait_active};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kinesis::primitives::Blob;
use riffle_server::{AuthConfig, KeyStore, ServerConfig};
use riffle_testkit::{TestServer, create_active_stream};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;

async fn get_json(addr: SocketAddr, path: &str) -> Value {
    let (head, body) = http(addr, "GET", path, "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}\n{body}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn b64(s: &str) -> String {
    use base64::Engine;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s).unwrap()).unwrap()
}

#[tokio::test]
async fn console_api_shows_streams_shards_records_and_leases() {
    let server = TestServer::start().await;
    let client = server.client().await;
    let addr = server.addr();
    create_active_stream(&client, "orders", 2).await;
    let put = |pk: &'static str, data: Vec<u8>| {
        client.put_record().stream_name("orders").partition_key(pk).data(Blob::new(data)).send()
    };
    let first = put("a", br#"{"order":1,"item":"tea"}"#.to_vec()).await.unwrap();
    let aggregate = riffle_proto::agg::aggregate([("u1", None, b"user one".as_slice()), ("u2", None, b"user two")]);
    let agg_put = put("a", aggregate).await.unwrap();
    assert_eq!(agg_put.shard_id(), first.shard_id(), "same partition key, same shard");

    // The sampler starts with the first API request; traffic then shows as rates.
    let listed = get_json(addr, "/console/api/streams").await;
    let s = &listed["streams"][0];
    assert_eq!(
        (s["name"].as_str(), s["status"].as_str(), s["mode"].as_str()),
        (Some("orders"), Some("ACTIVE"), Some("PROVISIONED"))
    );
    assert_eq!(
        (s["openShards"].as_u64(), s["retentionHours"].as_u64(), s["encryption"].as_str()),
        (Some(2), Some(24), Some("NONE"))
    );
    for i in 0..25 {
        put("traffic", format!("tick {i}").into_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = get_json(addr, "/console/api/streams/orders/metrics").await;
    let writes: f64 = metrics["shards"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|points| points.as_array().unwrap())
        .map(|p| p["writeRecords"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(writes > 0.0, "writes were sampled: {metrics}");

    // Split shard 0 and register a fan-out consumer: lineage and consumers show.
    client
        .split_shard()
        .stream_name("orders")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 126).to_string())
        .send()
        .await
        .unwrap();
    wait_active(&client, "orders").await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";
    client.register_stream_consumer().stream_arn(arn).consumer_name("audit").send().await.unwrap();
    let stream = get_json(addr, "/console/api/streams/orders").await;
    let shards = stream["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 4);
    assert_eq!(stream["openShards"], 3);
    let by_id = |id: &str| shards.iter().find(|s| s["shardId"] == id).unwrap().clone();
    let parent = by_id("shardId-000000000000");
    assert_eq!(parent["open"], false);
    assert!(parent["endingSequenceNumber"].is_string());
    for child in ["shardId-000000000002", "shardId-000000000003"] {
        assert_eq!(by_id(child)["parent"], "shardId-000000000000", "{child}");
        assert_eq!(by_id(child)["open"], true);
    }
    assert_eq!(by_id("shardId-000000000002")["from"], 0.0);
    assert_eq!(by_id("shardId-000000000002")["to"], 0.25);
    assert_eq!(by_id("shardId-000000000003")["endingHashKey"], ((1u128 << 127) - 1).to_string());
    assert_eq!(stream["consumers"][0]["name"], "audit");

    // The record browser: text, the aggregate's user records, LATEST minus N, a sequence number.
    let shard = first.shard_id();
    let peek =
        get_json(addr, &format!("/console/api/streams/orders/records?shard={shard}&from=TRIM_HORIZON&n=2")).await;
    let recs = peek["records"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["sequenceNumber"], first.sequence_number());
    assert_eq!(b64(recs[0]["data"].as_str().unwrap()), r#"{"order":1,"item":"tea"}"#);
    assert_eq!(recs[0]["aggregated"], false);
    assert_eq!(recs[1]["aggregated"], true);
    let users = recs[1]["userRecords"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!((users[1]["subSequenceNumber"].as_u64(), users[1]["partitionKey"].as_str()), (Some(1), Some("u2")));
    assert_eq!(b64(users[1]["data"].as_str().unwrap()), "user two");
    let at = format!(
        "/console/api/streams/orders/records?shard={shard}&from=AT_SEQUENCE_NUMBER&seq={}&n=1",
        agg_put.sequence_number()
    );
    assert_eq!(get_json(addr, &at).await["records"][0]["sequenceNumber"], agg_put.sequence_number());
    let latest = get_json(addr, &format!("/console/api/streams/orders/records?shard={shard}&from=LATEST&n=1")).await;
    assert_eq!(latest["records"].as_array().unwrap().len(), 1);
    let (head, _) =
        http(addr, "GET", "/console/api/streams/orders/records?shard=shardId-000000000000&from=NOWHERE", "").await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");

    // A KCL-style lease table: rows with owner, counter, checkpoint and records behind.
    let ddb = server.dynamodb();
    riffle_testkit::create_lease_table(&ddb, "orders-app").await;
    ddb.put_item()
        .table_name("orders-app")
        .item("leaseKey", AttributeValue::S(shard.to_string()))
        .item("leaseOwner", AttributeValue::S("worker-1".into()))
        .item("leaseCounter", AttributeValue::N("7".into()))
        .item("checkpoint", AttributeValue::S(first.sequence_number().to_string()))
        .item("checkpointSubSequenceNumber", AttributeValue::N("0".into()))
        .send()
        .await
        .unwrap();
    // A multi-stream KCL lease (account:stream:epoch:shardId) at TRIM_HORIZON: all retained.
    ddb.put_item()
        .table_name("orders-app")
        .item("leaseKey", AttributeValue::S(format!("000000000000:orders:1700000000:{shard}")))
        .item("checkpoint", AttributeValue::S("TRIM_HORIZON".into()))
        .send()
        .await
        .unwrap();
    let leases = get_json(addr, "/console/api/leases").await;
    let table = &leases["tables"][0];
    assert_eq!(table["name"], "orders-app");
    let row = &table["rows"][1];
    assert_eq!((row["leaseOwner"].as_str(), row["leaseCounter"].as_str()), (Some("worker-1"), Some("7")));
    assert_eq!(row["stream"], "orders");
    assert!(row["lagRecords"].as_u64().unwrap() >= 1, "the aggregate at least is behind: {row}");
    let multi = &table["rows"][0];
    assert_eq!((multi["stream"].as_str(), multi["leaseOwner"].as_str()), (Some("orders"), None), "{multi}");
    let retained = get_json(addr, "/console/api/streams/orders").await["shards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["shardId"] == shard)
        .unwrap()["retainedRecords"]
        .clone();
    assert_eq!(multi["lagRecords"], retained);

    let (head, _) = http(addr, "GET", "/console/api/streams/nope", "").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

#[tokio::test]
async fn console_pages_are_embedded_and_read_only() {
    let server = TestServer::start().await;
    let addr = server.addr();
    let (head, _) = http(addr, "GET", "/console", "").await;
    assert!(head.starts_with("HTTP/1.1 301") && head.contains("location: /console/"), "{head}");
    let (head, body) = http(addr, "GET", "/console/", "").await;
    assert!(head.starts_with("HTTP/1.1 200") && head.contains("text/html"), "{head}");
    assert!(body.contains(r#"<script type="module" src="console.js">"#), "{body}");
    assert!(head.contains("content-security-policy: default-src 'self'"), "{head}");
    for asset in ["console.js", "views.js", "charts.js", "monitor.js", "browse.js", "console.css", "favicon.svg"] {
        let (head, body) = http(addr, "GET", &format!("/console/{asset}"), "").await;
        assert!(head.starts_with("HTTP/1.1 200") && !body.is_empty(), "{asset}: {head}");
        assert!(
            !body.contains("http://") && !body.contains("https://") || asset == "favicon.svg",
            "{asset} loads nothing from elsewhere"
        );
    }
    let (head, _) = http(addr, "POST", "/console/api/streams", "Content-Length: 0\r\n").await;
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
    let (head, _) = http(addr, "GET", "/console/nothing.js", "").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    // Everything else still meets the front door.
    let (head, body) = http(addr, "GET", "/", "").await;
    assert!(head.starts_with("HTTP/1.1 403") && body.contains("AccessDeniedException"), "{head}");
}

#[tokio::test]
async fn console_under_auth_asks_for_an_access_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys: KeyStore = ["AKIDCONSOLE:console/secret".parse().unwrap()].into_iter().collect();
    let config = ServerConfig { auth: Some(AuthConfig { keys }), ..riffle_testkit::test_config(dir.path()) };
    let server = TestServer::start_with(dir, config).await;
    let addr = server.addr();
    let basic = |user_pass: &str| {
        use base64::Engine;
        format!("Authorization: Basic {}\r\n", base64::engine::general_purpose::STANDARD.encode(user_pass))
    };
    for (headers, why) in [
        ("", "none"),
        (&basic("AKIDCONSOLE:wrong") as &str, "wrong secret"),
        (&basic("AKIDOTHER:console/secret"), "unknown key"),
    ] {
        let (head, _) = http(addr, "GET", "/console/api/streams", headers).await;
        assert!(head.starts_with("HTTP/1.1 401"), "{why}: {head}");
        assert!(head.contains("www-authenticate: Basic realm=\"riffle console\""), "{head}");
    }
    let (head, _) = http(addr, "GET", "/console/", "").await;
    assert!(head.starts_with("HTTP/1.1 401"), "the page too: {head}");
    let (head, body) = http(addr, "GET", "/console/api/streams", &basic("AKIDCONSOLE:console/secret")).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, r#"{"streams":[]}"#);
}
