//! Resolution of the raw keys into typed configuration with the Java agent's defaults
//! (kinesis-spec sections 6.1 and 6.2), and range checks that reject what it would clamp or ignore.

use std::path::PathBuf;
use std::time::Duration;

use regex_lite::Regex;

use super::error::ConfigError;
use super::raw::{
    BoolOrString, InitialPosition, JsonFormat, LogFormat, PartitionKeyOption, RawAgentConfig, RawFlow,
    RawProcessingOption, SingleLineParseOption,
};

/// Default checkpoint location. Deliberately not the Java agent's `/var/run/...`, which is a
/// tmpfs on most distributions: checkpoints there vanish at reboot and everything is re-sent.
pub const DEFAULT_CHECKPOINT_FILE: &str = "/var/lib/riffle-agent/checkpoints.json";
const MIB: u64 = 1024 * 1024;

/// The resolved agent configuration.
#[derive(Debug)]
pub struct AgentConfig {
    pub checkpoint_file: PathBuf,
    pub checkpoint_ttl: Duration,
    pub kinesis_endpoint: Option<String>,
    pub kinesis_region: Option<String>,
    pub credentials: Credentials,
    pub status_reporting_period: Duration,
    pub shutdown_timeout: Duration,
    pub user_agent: Option<String>,
    pub flows: Vec<FlowConfig>,
}

/// Where AWS credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// The SDK's default chain (environment, profile, instance role).
    DefaultChain,
    Static {
        access_key_id: String,
        secret_access_key: String,
    },
    AssumeRole {
        role_arn: String,
        external_id: Option<String>,
    },
}

/// One resolved flow: files matching `file_pattern` go to `stream`.
#[derive(Debug)]
pub struct FlowConfig {
    /// `kinesis:<stream>:<pattern>`, the Java agent's flow id (checkpoints are keyed by it).
    pub id: String,
    pub file_pattern: FilePattern,
    pub stream: String,
    pub partition_key: PartitionKeyOption,
    pub initial_position: InitialPosition,
    pub max_buffer_age: Duration,
    pub max_buffer_records: usize,
    pub max_buffer_bytes: usize,
    pub multi_line_start: Option<Regex>,
    pub skip_header_lines: u64,
    pub truncated_record_terminator: String,
    pub file_footer: Option<Regex>,
    pub processing: Vec<ProcessingOption>,
    pub retry_initial_backoff: Duration,
    pub retry_max_backoff: Duration,
    pub publish_queue_capacity: usize,
    pub wait_on_full_publish_queue: Duration,
    pub wait_on_empty_publish_queue: Duration,
    pub min_time_between_file_polls: Duration,
    pub max_time_between_file_tracker_refresh: Duration,
    pub aggregation: bool,
}

/// `filePattern` split as the Java agent reads it: a literal directory and a glob on the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePattern {
    pub directory: PathBuf,
    pub name_glob: String,
}

/// A validated converter (regexes compiled, required fields present).
#[derive(Debug)]
pub enum ProcessingOption {
    SingleLine { no_trim: bool, escape_new_line: bool },
    CsvToJson { field_names: Vec<String>, delimiter: Regex, json_format: JsonFormat },
    LogToJson { log_format: LogFormat, match_pattern: Option<Regex>, field_names: Vec<String>, json_format: JsonFormat },
    AddMetadata { metadata: serde_json::Value, timestamp: bool, json_format: JsonFormat },
    AddEc2Metadata { ttl: Duration, log_format: Option<LogFormat>, json_format: JsonFormat },
    AddBrackets,
}

pub(super) fn resolve(raw: RawAgentConfig) -> Result<AgentConfig, ConfigError> {
    if raw.user_defined_credentials_provider_classname.is_some() {
        return Err(ConfigError::top(
            "userDefinedCredentialsProvider.classname",
            "Java credential provider classes cannot be loaded by Riffle; use the default chain, \
             static keys or assumeRoleARN",
        ));
    }
    let credentials = match (raw.aws_access_key_id, raw.aws_secret_access_key, raw.assume_role_arn) {
        (Some(_), Some(_), Some(_)) => {
            return Err(ConfigError::top("assumeRoleARN", "give either static keys or a role"));
        }
        (Some(access_key_id), Some(secret_access_key), None) => {
            Credentials::Static { access_key_id, secret_access_key }
        }
        (Some(_), None, _) => {
            return Err(ConfigError::top("awsSecretAccessKey", "required with awsAccessKeyId"));
        }
        (None, Some(_), _) => {
            return Err(ConfigError::top("awsAccessKeyId", "required with awsSecretAccessKey"));
        }
        (None, None, Some(role_arn)) => Credentials::AssumeRole { role_arn, external_id: raw.assume_role_external_id },
        (None, None, None) => Credentials::DefaultChain,
    };
    if raw.flows.is_empty() {
        return Err(ConfigError::top("flows", "at least one flow is required"));
    }
    let flows = raw.flows.into_iter().enumerate().map(|(i, f)| resolve_flow(i, f)).collect::<Result<Vec<_>, _>>()?;
    Ok(AgentConfig {
        checkpoint_file: raw.checkpoint_file.unwrap_or_else(|| DEFAULT_CHECKPOINT_FILE.into()).into(),
        checkpoint_ttl: Duration::from_secs(raw.checkpoint_time_to_live_days.unwrap_or(7) * 86_400),
        kinesis_endpoint: raw.kinesis_endpoint,
        kinesis_region: raw.kinesis_region,
        credentials,
        status_reporting_period: Duration::from_secs(raw.log_status_reporting_period_seconds.unwrap_or(30)),
        shutdown_timeout: Duration::from_millis(raw.shutdown_timeout_millis.unwrap_or(10_000)),
        user_agent: raw.user_agent_override.or(raw.user_agent),
        flows,
    })
}

/// `value` (or `default`) checked against the inclusive range the Java agent documents.
fn ranged(
    i: usize,
    key: &'static str,
    value: Option<u64>,
    default: u64,
    (lo, hi): (u64, u64),
) -> Result<u64, ConfigError> {
    let v = value.unwrap_or(default);
    if (lo..=hi).contains(&v) { Ok(v) } else { Err(ConfigError::flow(i, key, format!("{v} is outside {lo}..={hi}"))) }
}

fn regex(i: usize, key: &'static str, pattern: Option<String>) -> Result<Option<Regex>, ConfigError> {
    pattern.map(|p| Regex::new(&p).map_err(|e| ConfigError::flow(i, key, e.to_string()))).transpose()
}

fn resolve_flow(i: usize, f: RawFlow) -> Result<FlowConfig, ConfigError> {
    let pattern = f.file_pattern.ok_or_else(|| ConfigError::flow(i, "filePattern", "required"))?;
    let file_pattern = parse_file_pattern(&pattern).map_err(|m| ConfigError::flow(i, "filePattern", m))?;
    if f.delivery_stream.is_some() {
        return Err(ConfigError::flow(
            i,
            "deliveryStream",
            "Firehose delivery streams are not supported; use kinesisStream",
        ));
    }
    let stream = f.kinesis_stream.ok_or_else(|| ConfigError::flow(i, "kinesisStream", "required"))?;
    if stream.is_empty() {
        return Err(ConfigError::flow(i, "kinesisStream", "must not be empty"));
    }
    if f.aggregated_record_size_bytes.is_some_and(|v| v != 0) {
        return Err(ConfigError::flow(i, "aggregatedRecordSizeBytes", "is Firehose-only"));
    }
    let ms = Duration::from_millis;
    let wait_range = (1_000, 900_000);
    let retry_initial = ms(f.retry_initial_backoff_millis.unwrap_or(100));
    let retry_max = ms(f.retry_max_backoff_millis.unwrap_or(10_000));
    if retry_initial > retry_max {
        return Err(ConfigError::flow(i, "retryInitialBackoffMillis", "exceeds retryMaxBackoffMillis"));
    }
    let terminator = f.truncated_record_terminator.unwrap_or_else(|| "\n".into());
    let processing =
        f.data_processing_options.into_iter().map(|o| resolve_processing(i, o)).collect::<Result<Vec<_>, _>>()?;
    Ok(FlowConfig {
        id: format!("kinesis:{stream}:{pattern}"),
        file_pattern,
        stream,
        partition_key: f.partition_key_option.unwrap_or_default(),
        initial_position: f.initial_position.unwrap_or_default(),
        max_buffer_age: ms(ranged(i, "maxBufferAgeMillis", f.max_buffer_age_millis, 60_000, (1_000, 900_000))?),
        max_buffer_records: ranged(i, "maxBufferSizeRecords", f.max_buffer_size_records, 500, (1, 500))? as usize,
        max_buffer_bytes: ranged(i, "maxBufferSizeBytes", f.max_buffer_size_bytes, 5 * MIB, (1, 5 * MIB))? as usize,
        multi_line_start: regex(i, "multiLineStartPattern", f.multi_line_start_pattern)?,
        skip_header_lines: f.skip_header_lines.unwrap_or(0),
        truncated_record_terminator: terminator,
        file_footer: regex(i, "fileFooterPattern", f.file_footer_pattern)?,
        processing,
        retry_initial_backoff: retry_initial,
        retry_max_backoff: retry_max,
        publish_queue_capacity: ranged(i, "publishQueueCapacity", f.publish_queue_capacity, 100, (1, 100_000))?
            as usize,
        wait_on_full_publish_queue: ms(ranged(
            i,
            "waitOnFullPublishQueueMillis",
            f.wait_on_full_publish_queue_millis,
            60_000,
            wait_range,
        )?),
        wait_on_empty_publish_queue: ms(ranged(
            i,
            "waitOnEmptyPublishQueueMillis",
            f.wait_on_empty_publish_queue_millis,
            60_000,
            wait_range,
        )?),
        min_time_between_file_polls: ms(f.min_time_between_file_polls_millis.unwrap_or(100)),
        max_time_between_file_tracker_refresh: ms(f.max_time_between_file_tracker_refresh_millis.unwrap_or(10_000)),
        aggregation: f.aggregation.unwrap_or(true),
    })
}

/// Splits `/var/log/app/*.log` into the literal directory and the name glob.
fn parse_file_pattern(pattern: &str) -> Result<FilePattern, String> {
    let path = std::path::Path::new(pattern);
    if !path.is_absolute() {
        return Err(format!("{pattern:?} must be an absolute path"));
    }
    let name = path.file_name().and_then(|n| n.to_str()).filter(|n| !n.is_empty());
    let (Some(name), Some(directory)) = (name, path.parent()) else {
        return Err(format!("{pattern:?} has no file name part"));
    };
    if directory.to_string_lossy().contains(['*', '?', '[']) {
        return Err(format!("{pattern:?}: wildcards are only allowed in the file name"));
    }
    Ok(FilePattern { directory: directory.to_owned(), name_glob: name.to_owned() })
}

fn resolve_processing(i: usize, o: RawProcessingOption) -> Result<ProcessingOption, ConfigError> {
    const KEY: &str = "dataProcessingOptions";
    let bad = |m: &str| ConfigError::flow(i, KEY, m.to_owned());
    Ok(match o {
        RawProcessingOption::SingleLine { parse_options } => ProcessingOption::SingleLine {
            no_trim: parse_options.contains(&SingleLineParseOption::NoTrim),
            escape_new_line: parse_options.contains(&SingleLineParseOption::EscapeNewLine),
        },
        RawProcessingOption::CsvToJson { custom_field_names, delimiter, json_format } => {
            let field_names = custom_field_names
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("CSVTOJSON requires customFieldNames"))?;
            let delimiter = delimiter.unwrap_or_else(|| ",".into());
            let delimiter =
                Regex::new(&delimiter).map_err(|e| bad(&format!("CSVTOJSON delimiter is not a valid regex: {e}")))?;
            ProcessingOption::CsvToJson { field_names, delimiter, json_format: json_format.unwrap_or_default() }
        }
        RawProcessingOption::LogToJson { log_format, match_pattern, custom_field_names, json_format } => {
            let log_format = log_format.ok_or_else(|| bad("LOGTOJSON requires logFormat"))?;
            if match_pattern.is_some() && custom_field_names.is_none() {
                return Err(bad("LOGTOJSON matchPattern requires customFieldNames"));
            }
            let match_pattern = match match_pattern {
                Some(p) => Some(Regex::new(&p).map_err(|e| bad(&format!("LOGTOJSON matchPattern: {e}")))?),
                None => None,
            };
            let field_names = match custom_field_names {
                Some(names) => {
                    let expected = match &match_pattern {
                        Some(re) => re.captures_len() - 1,
                        None => log_format.field_names().len(),
                    };
                    if names.len() != expected {
                        return Err(bad(&format!(
                            "LOGTOJSON customFieldNames has {} names but the pattern has {expected} fields",
                            names.len()
                        )));
                    }
                    names
                }
                None => log_format.field_names().iter().map(|s| (*s).to_owned()).collect(),
            };
            ProcessingOption::LogToJson {
                log_format,
                match_pattern,
                field_names,
                json_format: json_format.unwrap_or_default(),
            }
        }
        RawProcessingOption::AddMetadata { metadata, timestamp, json_format } => {
            let timestamp = match timestamp {
                None => false,
                Some(BoolOrString::Bool(b)) => b,
                Some(BoolOrString::String(s)) => s.eq_ignore_ascii_case("true"),
            };
            ProcessingOption::AddMetadata {
                metadata: metadata.ok_or_else(|| bad("ADDMETADATA requires metadata"))?,
                timestamp,
                json_format: json_format.unwrap_or_default(),
            }
        }
        RawProcessingOption::AddEc2Metadata { metadata_ttl, log_format, json_format } => {
            ProcessingOption::AddEc2Metadata {
                ttl: Duration::from_secs(metadata_ttl.unwrap_or(3_600)),
                log_format,
                json_format: json_format.unwrap_or_default(),
            }
        }
        RawProcessingOption::AddBrackets {} => ProcessingOption::AddBrackets,
        RawProcessingOption::UsingPlugin { .. } => {
            return Err(bad("USINGPLUGGIN loads Java classes, which Riffle cannot do"));
        }
    })
}
