use std::time::Duration;

use super::*;

const EXAMPLE_JSON: &str = r#"{
  "cloudwatch.emitMetrics": true,
  "kinesis.endpoint": "http://127.0.0.1:4567",
  "checkpointFile": "/tmp/riffle-agent/checkpoints.json",
  "flows": [
    {
      "filePattern": "/var/log/app/app.log*",
      "kinesisStream": "app-logs",
      "partitionKeyOption": "DETERMINISTIC",
      "initialPosition": "START_OF_FILE",
      "maxBufferAgeMillis": 5000,
      "multiLineStartPattern": "^\\d{4}-",
      "dataProcessingOptions": [
        { "optionName": "LOGTOJSON", "logFormat": "COMBINEDAPACHELOG" },
        { "optionName": "ADDMETADATA", "timestamp": "true", "metadata": { "env": "dev" } }
      ]
    },
    { "filePattern": "/var/log/other/*.log", "kinesisStream": "other" }
  ]
}"#;

#[test]
fn json_example_resolves_with_defaults() {
    let cfg = AgentConfig::from_json_str(EXAMPLE_JSON).unwrap();
    assert_eq!(cfg.kinesis_endpoint.as_deref(), Some("http://127.0.0.1:4567"));
    assert_eq!(cfg.checkpoint_file, std::path::Path::new("/tmp/riffle-agent/checkpoints.json"));
    assert_eq!(cfg.checkpoint_ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(cfg.credentials, Credentials::DefaultChain);
    let [a, b] = &cfg.flows[..] else { panic!("two flows") };
    assert_eq!(a.id, "kinesis:app-logs:/var/log/app/app.log*");
    assert_eq!(a.file_pattern.directory, std::path::Path::new("/var/log/app"));
    assert_eq!(a.file_pattern.name_glob, "app.log*");
    assert_eq!(a.partition_key, PartitionKeyOption::Deterministic);
    assert_eq!(a.initial_position, InitialPosition::StartOfFile);
    assert_eq!(a.max_buffer_age, Duration::from_secs(5));
    assert!(a.multi_line_start.as_ref().unwrap().is_match("2024-01-01 x"));
    assert!(matches!(
        &a.processing[..],
        [ProcessingOption::LogToJson { log_format: LogFormat::CombinedApacheLog, field_names, .. },
         ProcessingOption::AddMetadata { timestamp: true, .. }] if field_names.len() == 9
    ));
    // Documented defaults.
    assert_eq!(b.partition_key, PartitionKeyOption::Random);
    assert_eq!(b.initial_position, InitialPosition::EndOfFile);
    assert_eq!(b.max_buffer_age, Duration::from_secs(60));
    assert_eq!(b.max_buffer_records, 500);
    assert_eq!(b.max_buffer_bytes, 5 * 1024 * 1024);
    assert_eq!(b.skip_header_lines, 0);
    assert_eq!(b.truncated_record_terminator, "\n");
    assert_eq!(b.retry_initial_backoff, Duration::from_millis(100));
    assert_eq!(b.retry_max_backoff, Duration::from_secs(10));
    assert_eq!(b.publish_queue_capacity, 100);
    assert!(b.aggregation);
    assert!(b.processing.is_empty());
}

#[test]
fn default_checkpoint_file_is_persistent() {
    let cfg = AgentConfig::from_json_str(r#"{"flows":[{"filePattern":"/l/*","kinesisStream":"s"}]}"#).unwrap();
    assert!(!cfg.checkpoint_file.starts_with("/var/run"));
    assert!(!cfg.checkpoint_file.starts_with("/run"));
}

#[test]
fn toml_matches_json() {
    let toml = r#"
checkpointFile = "/tmp/riffle-agent/checkpoints.json"

[kinesis]
endpoint = "http://127.0.0.1:4567"

[cloudwatch]
emitMetrics = true

[[flows]]
filePattern = "/var/log/app/app.log*"
kinesisStream = "app-logs"
partitionKeyOption = "DETERMINISTIC"
initialPosition = "START_OF_FILE"
maxBufferAgeMillis = 5000
multiLineStartPattern = '^\d{4}-'
dataProcessingOptions = [
  { optionName = "LOGTOJSON", logFormat = "COMBINEDAPACHELOG" },
  { optionName = "ADDMETADATA", timestamp = "true", metadata = { env = "dev" } },
]

[[flows]]
filePattern = "/var/log/other/*.log"
kinesisStream = "other"
"#;
    let t = AgentConfig::from_toml_str(toml).unwrap();
    let j = AgentConfig::from_json_str(EXAMPLE_JSON).unwrap();
    assert_eq!(format!("{t:?}"), format!("{j:?}"));
}

fn err_json(text: &str) -> String {
    AgentConfig::from_json_str(text).unwrap_err().to_string()
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    let e = err_json(r#"{"flows":[{"filePattern":"/l/*","kinesisStream":"s","maxBufferAgeMilis":1}]}"#);
    assert!(e.contains("unknown field `maxBufferAgeMilis`"), "{e}");
    let e = err_json(r#"{"kinesis.endpiont":"x","flows":[]}"#);
    assert!(e.contains("`kinesis.endpiont`"), "{e}");
    let e = err_json(
        r#"{"flows":[{"filePattern":"/l/*","kinesisStream":"s",
            "dataProcessingOptions":[{"optionName":"SINGLELINE","parseOption":["NO_TRIM"]}]}]}"#,
    );
    assert!(e.contains("`parseOption`"), "{e}");
    let e = err_json(
        r#"{"flows":[{"filePattern":"/l/*","kinesisStream":"s",
            "dataProcessingOptions":[{"optionName":"ADDEPHEMERALMETADATA"}]}]}"#,
    );
    assert!(e.contains("ADDEPHEMERALMETADATA"), "{e}");

    let e = AgentConfig::from_toml_str("[kinesis]\nendpiont = \"x\"\n").unwrap_err().to_string();
    assert!(e.contains("kinesis.endpiont"), "{e}");
    let e = AgentConfig::from_toml_str("[[flows]]\nfilePatern = \"/l/*\"\n").unwrap_err().to_string();
    assert!(e.contains("filePatern"), "{e}");
}

#[test]
fn bad_values_name_the_flow_and_key() {
    let flow = |extra: &str| err_json(&format!(r#"{{"flows":[{{"filePattern":"/l/*","kinesisStream":"s"{extra}}}]}}"#));
    assert_eq!(flow(r#","maxBufferSizeRecords":501"#), "flows[0]: `maxBufferSizeRecords`: 501 is outside 1..=500");
    assert!(flow(r#","maxBufferAgeMillis":999"#).contains("`maxBufferAgeMillis`"));
    let e = flow(r##","multiLineStartPattern":"(""##);
    assert!(e.contains("`multiLineStartPattern`"), "{e}");
    assert!(flow(r#","deliveryStream":"fh""#).contains("`deliveryStream`"));
    assert!(flow(r#","partitionKeyOption":"HASH""#).contains("HASH"));
    assert!(flow(r#","dataProcessingOptions":[{"optionName":"CSVTOJSON"}]"#).contains("customFieldNames"));
    assert!(
        flow(r#","dataProcessingOptions":[{"optionName":"LOGTOJSON","logFormat":"SYSLOG","customFieldNames":["a"]}]"#)
            .contains("has 1 names")
    );
    assert!(
        flow(r#","dataProcessingOptions":[{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(a)"}]"#)
            .contains("requires customFieldNames")
    );
    assert!(err_json(r#"{"flows":[{"kinesisStream":"s"}]}"#).contains("`filePattern`: required"));
    assert!(err_json(r#"{"flows":[{"filePattern":"/l/*"}]}"#).contains("`kinesisStream`: required"));
    assert!(err_json(r#"{"flows":[{"filePattern":"/l/*/x.log","kinesisStream":"s"}]}"#).contains("wildcards"));
    assert!(err_json(r#"{"flows":[{"filePattern":"rel/x.log","kinesisStream":"s"}]}"#).contains("absolute"));
    assert!(err_json(r#"{"flows":[]}"#).contains("`flows`"));
    assert!(
        err_json(r#"{"awsAccessKeyId":"k","flows":[{"filePattern":"/l/*","kinesisStream":"s"}]}"#)
            .contains("`awsSecretAccessKey`")
    );
}

#[test]
fn load_picks_format_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("agent.json");
    std::fs::write(&j, EXAMPLE_JSON).unwrap();
    assert_eq!(AgentConfig::load(&j).unwrap().flows.len(), 2);
    let t = dir.path().join("agent.toml");
    std::fs::write(&t, "[[flows]]\nfilePattern = \"/l/*\"\nkinesisStream = \"s\"\n").unwrap();
    assert_eq!(AgentConfig::load(&t).unwrap().flows[0].stream, "s");
    let missing = AgentConfig::load(&dir.path().join("nope.json")).unwrap_err().to_string();
    assert!(missing.contains("nope.json"), "{missing}");
}
