//! The configuration exactly as written: the Kinesis Agent's `agent.json` keys, one field each.
//!
//! Every struct denies unknown fields, because the Java agent silently ignores a misspelled key
//! (`maxBufferAgeMilis` quietly means "60 s"), and that is one of the ways it fails silently.
//! Keys the Java agent accepts but Riffle has no use for (CloudWatch, thread pools, SQLite
//! timeouts) are still accepted, so an existing `agent.json` loads unchanged.

use serde::Deserialize;

/// Top level of `agent.json` (kinesis-spec section 6.1).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawAgentConfig {
    pub checkpoint_file: Option<String>,
    pub checkpoint_time_to_live_days: Option<u64>,
    #[serde(rename = "checkpoints.queryTimeoutSeconds")]
    pub checkpoints_query_timeout_seconds: Option<u64>,
    #[serde(rename = "checkpoints.connectionTimeoutSeconds")]
    pub checkpoints_connection_timeout_seconds: Option<u64>,
    #[serde(rename = "cloudwatch.emitMetrics")]
    pub cloudwatch_emit_metrics: Option<bool>,
    #[serde(rename = "cloudwatch.endpoint")]
    pub cloudwatch_endpoint: Option<String>,
    #[serde(rename = "cloudwatch.namespace")]
    pub cloudwatch_namespace: Option<String>,
    #[serde(rename = "cloudwatch.metricsBufferTimeMillis")]
    pub cloudwatch_metrics_buffer_time_millis: Option<u64>,
    #[serde(rename = "cloudwatch.metricsQueueSize")]
    pub cloudwatch_metrics_queue_size: Option<u64>,
    #[serde(rename = "cloudwatch.tagInstance")]
    pub cloudwatch_tag_instance: Option<bool>,
    #[serde(rename = "kinesis.endpoint")]
    pub kinesis_endpoint: Option<String>,
    #[serde(rename = "kinesis.region")]
    pub kinesis_region: Option<String>,
    #[serde(rename = "firehose.endpoint")]
    pub firehose_endpoint: Option<String>,
    #[serde(rename = "sts.endpoint")]
    pub sts_endpoint: Option<String>,
    pub aws_access_key_id: Option<String>,
    pub aws_secret_access_key: Option<String>,
    #[serde(rename = "assumeRoleARN")]
    pub assume_role_arn: Option<String>,
    pub assume_role_external_id: Option<String>,
    #[serde(rename = "userDefinedCredentialsProvider.classname")]
    pub user_defined_credentials_provider_classname: Option<String>,
    #[serde(rename = "userDefinedCredentialsProvider.location")]
    pub user_defined_credentials_provider_location: Option<String>,
    pub max_sending_threads: Option<u64>,
    pub max_sending_threads_per_core: Option<u64>,
    pub sending_threads_keep_alive_millis: Option<u64>,
    pub sending_threads_max_queue_size: Option<u64>,
    pub max_connections: Option<u64>,
    pub connection_timeout_millis: Option<u64>,
    #[serde(rename = "connectionTTLMillis")]
    pub connection_ttl_millis: Option<u64>,
    pub socket_timeout_millis: Option<u64>,
    pub use_tcp_keep_alive: Option<bool>,
    pub use_http_gzip: Option<bool>,
    #[serde(rename = "log.emitMetrics")]
    pub log_emit_metrics: Option<bool>,
    #[serde(rename = "log.emitInternalMetrics")]
    pub log_emit_internal_metrics: Option<bool>,
    #[serde(rename = "log.statusReportingPeriodSeconds")]
    pub log_status_reporting_period_seconds: Option<u64>,
    pub shutdown_timeout_millis: Option<u64>,
    pub user_agent: Option<String>,
    pub user_agent_override: Option<String>,
    #[serde(default)]
    pub flows: Vec<RawFlow>,
}

/// One entry of `flows` (kinesis-spec section 6.2).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawFlow {
    pub file_pattern: Option<String>,
    pub kinesis_stream: Option<String>,
    pub delivery_stream: Option<String>,
    pub partition_key_option: Option<PartitionKeyOption>,
    pub initial_position: Option<InitialPosition>,
    pub max_buffer_age_millis: Option<u64>,
    pub max_buffer_size_records: Option<u64>,
    pub max_buffer_size_bytes: Option<u64>,
    pub multi_line_start_pattern: Option<String>,
    pub skip_header_lines: Option<u64>,
    pub truncated_record_terminator: Option<String>,
    pub file_footer_pattern: Option<String>,
    #[serde(default)]
    pub data_processing_options: Vec<RawProcessingOption>,
    pub retry_initial_backoff_millis: Option<u64>,
    pub retry_max_backoff_millis: Option<u64>,
    pub publish_queue_capacity: Option<u64>,
    pub wait_on_full_publish_queue_millis: Option<u64>,
    pub wait_on_empty_publish_queue_millis: Option<u64>,
    pub min_time_between_file_polls_millis: Option<u64>,
    pub max_time_between_file_tracker_refresh_millis: Option<u64>,
    pub aggregated_record_size_bytes: Option<u64>,
    /// Riffle extension: KPL-style aggregation through riffle-producer (default on).
    pub aggregation: Option<bool>,
}

/// How each record's partition key is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartitionKeyOption {
    /// Text of a random double in [0, 1e6), as the Java agent does.
    #[default]
    Random,
    /// Hex MD5 of the record data, so equal records land on the same shard.
    Deterministic,
}

/// Where reading starts in a file that has no checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InitialPosition {
    StartOfFile,
    #[default]
    EndOfFile,
}

/// One converter in a flow's `dataProcessingOptions` chain (kinesis-spec section 6.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "optionName", deny_unknown_fields)]
pub enum RawProcessingOption {
    #[serde(rename = "SINGLELINE")]
    SingleLine {
        #[serde(rename = "parseOptions", default)]
        parse_options: Vec<SingleLineParseOption>,
    },
    #[serde(rename = "CSVTOJSON")]
    CsvToJson {
        #[serde(rename = "customFieldNames")]
        custom_field_names: Option<Vec<String>>,
        delimiter: Option<String>,
        #[serde(rename = "jsonFormat")]
        json_format: Option<JsonFormat>,
    },
    #[serde(rename = "LOGTOJSON")]
    LogToJson {
        #[serde(rename = "logFormat")]
        log_format: Option<LogFormat>,
        #[serde(rename = "matchPattern")]
        match_pattern: Option<String>,
        #[serde(rename = "customFieldNames")]
        custom_field_names: Option<Vec<String>>,
        #[serde(rename = "jsonFormat")]
        json_format: Option<JsonFormat>,
    },
    #[serde(rename = "ADDMETADATA")]
    AddMetadata {
        metadata: Option<serde_json::Value>,
        timestamp: Option<BoolOrString>,
        #[serde(rename = "jsonFormat")]
        json_format: Option<JsonFormat>,
    },
    #[serde(rename = "ADDEC2METADATA")]
    AddEc2Metadata {
        #[serde(rename = "metadataTTL")]
        metadata_ttl: Option<u64>,
        #[serde(rename = "logFormat")]
        log_format: Option<LogFormat>,
        #[serde(rename = "jsonFormat")]
        json_format: Option<JsonFormat>,
    },
    #[serde(rename = "ADDBRACKETS")]
    AddBrackets {},
    #[serde(rename = "USINGPLUGGIN")]
    UsingPlugin {
        #[serde(rename = "className")]
        class_name: Option<String>,
    },
}

/// SINGLELINE's `parseOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SingleLineParseOption {
    NoTrim,
    EscapeNewLine,
}

/// The log formats LOGTOJSON understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LogFormat {
    #[serde(rename = "COMMONAPACHELOG")]
    CommonApacheLog,
    #[serde(rename = "COMBINEDAPACHELOG")]
    CombinedApacheLog,
    #[serde(rename = "APACHEERRORLOG")]
    ApacheErrorLog,
    #[serde(rename = "SYSLOG")]
    Syslog,
    #[serde(rename = "RFC3339SYSLOG")]
    Rfc3339Syslog,
}

impl LogFormat {
    /// The JSON field names the format produces, in column order.
    pub fn field_names(self) -> &'static [&'static str] {
        match self {
            Self::CommonApacheLog => &["host", "ident", "authuser", "datetime", "request", "response", "bytes"],
            Self::CombinedApacheLog => {
                &["host", "ident", "authuser", "datetime", "request", "response", "bytes", "referer", "agent"]
            }
            Self::ApacheErrorLog => &["timestamp", "module", "severity", "processid", "threadid", "client", "message"],
            Self::Syslog | Self::Rfc3339Syslog => &["timestamp", "hostname", "program", "processid", "message"],
        }
    }
}

/// `jsonFormat` of the JSON-producing converters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JsonFormat {
    #[default]
    Compact,
    Prettyprint,
}

/// ADDMETADATA's `timestamp` is the string `"true"` in the Java agent's docs; accept a boolean too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum BoolOrString {
    Bool(bool),
    String(String),
}
