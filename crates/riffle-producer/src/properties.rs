//! KPL-style `.properties` files (`default_config.properties`): `Key = value` lines with the
//! KPL's setting names, so an existing KPL configuration loads unchanged.
//!
//! KPL settings that have no meaning here (the daemon's threading, CloudWatch upload, proxies)
//! are accepted and listed as ignored rather than refused: the file stays valid for both. A key
//! neither knows is an error, because a misspelt setting silently left at its default is worse.

use crate::config::{ConfigError, ProducerConfig, WhenFull};
use std::time::Duration;

/// KPL settings accepted and not used.
const IGNORED: &[&str] = &[
    "MinConnections",
    "ThreadingModel",
    "ThreadPoolSize",
    "MetricsLevel",
    "MetricsGranularity",
    "MetricsNamespace",
    "MetricsUploadDelay",
    "CredentialsRefreshDelay",
    "CloudwatchEndpoint",
    "CloudwatchPort",
    "StsEndpoint",
    "StsPort",
    "VerifyCertificate",
    "LogLevel",
    "ProxyHost",
    "ProxyPort",
    "ProxyUserName",
    "ProxyPassword",
    "UserRecordTimeoutInMillis",
    "ReturnUserRecordOnFailure",
    "EnableDaemonHealthCheck",
    "DaemonHealthCheckTimeoutInMillis",
    "NativeExecutable",
    "TempDirectory",
    "EnableCoreDumps",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PropertiesError {
    #[error("line {line}: unknown setting {key:?}")]
    Unknown { line: usize, key: String },
    #[error("line {line}: {key} expects {expected}, got {value:?}")]
    Value { line: usize, key: String, expected: &'static str, value: String },
    #[error(transparent)]
    Range(#[from] ConfigError),
}

/// A configuration read from a properties file, and the KPL settings in it that were ignored.
#[derive(Debug, Clone)]
pub struct LoadedProperties {
    pub config: ProducerConfig,
    pub ignored: Vec<String>,
}

/// Splits properties text into `(line number, key, value)`: `#`/`!` comments, `=`, `:` or
/// whitespace separators, and trailing-backslash continuations.
fn entries(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let (start, mut logical) = match pending.take() {
            Some((start, acc)) => (start, acc + line),
            None if line.is_empty() || line.starts_with('#') || line.starts_with('!') => continue,
            None => (i + 1, line.to_string()),
        };
        if logical.ends_with('\\') {
            logical.pop();
            pending = Some((start, logical));
            continue;
        }
        let cut = logical.find(['=', ':', ' ', '\t']).unwrap_or(logical.len());
        let key = logical[..cut].trim().to_string();
        let rest = logical[cut..].trim_start();
        let value = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim().to_string();
        out.push((start, key, value));
    }
    if let Some((start, logical)) = pending {
        out.push((start, logical.trim().to_string(), String::new()));
    }
    out
}

impl ProducerConfig {
    /// Reads KPL-style properties over the defaults.
    pub fn from_properties(text: &str) -> Result<LoadedProperties, PropertiesError> {
        let mut c = ProducerConfig::default();
        let mut ignored = Vec::new();
        let mut endpoint: Option<String> = None;
        let mut port: Option<u16> = None;
        for (line, key, value) in entries(text) {
            let bad = |expected| PropertiesError::Value { line, key: key.clone(), expected, value: value.clone() };
            let num = || value.parse::<u64>().map_err(|_| bad("a whole number"));
            let millis = || num().map(Duration::from_millis);
            let size = || num().and_then(|n| usize::try_from(n).map_err(|_| bad("a size this machine can hold")));
            let flag = || match value.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("true or false")),
            };
            c = match key.as_str() {
                "AggregationEnabled" => c.aggregation_enabled(flag()?),
                "AggregationMaxCount" => c.aggregation_max_count(num()?),
                "AggregationMaxSize" => c.aggregation_max_size(size()?),
                "CollectionMaxCount" => c.collection_max_count(size()?),
                "CollectionMaxSize" => c.collection_max_size(size()?),
                "RecordMaxBufferedTime" => c.record_max_buffered_time(millis()?),
                "RecordTtl" => c.record_ttl(millis()?),
                "RateLimit" => c.rate_limit(num()?),
                "FailIfThrottled" => c.fail_if_throttled(flag()?),
                "MaxConnections" => c.max_connections(size()?),
                "ConnectTimeout" => c.connect_timeout(millis()?),
                "RequestTimeout" => c.request_timeout(millis()?),
                "MaxUserRecordSize" => c.max_user_record_size(size()?),
                "Region" if !value.is_empty() => c.region(value.clone()),
                "Region" => c,
                "KinesisEndpoint" => {
                    endpoint = Some(value.clone()).filter(|v| !v.is_empty());
                    c
                }
                "KinesisPort" => {
                    port = Some(value.parse().map_err(|_| bad("a port number"))?);
                    c
                }
                "MaxBufferedBytes" => c.max_buffered_bytes(size()?),
                "WhenFull" => c.when_full(match value.to_ascii_lowercase().as_str() {
                    "wait" => WhenFull::Wait,
                    "fail" => WhenFull::FailFast,
                    _ => return Err(bad("wait or fail")),
                }),
                "RetryBaseDelay" => c.retry_base_delay(millis()?),
                "RetryMaxDelay" => c.retry_max_delay(millis()?),
                "CborEnabled" => c.cbor_enabled(flag()?),
                k if IGNORED.contains(&k) => {
                    ignored.push(key.clone());
                    c
                }
                _ => return Err(PropertiesError::Unknown { line, key }),
            };
        }
        // The KPL takes a host and a port and always speaks TLS; a full URL (Riffle's
        // extension) can point at a plain-HTTP `riffle serve`.
        if let Some(host) = endpoint {
            c = if host.contains("://") {
                c.endpoint_url(host)
            } else {
                c.endpoint_url(format!("https://{host}:{}", port.unwrap_or(443)))
            };
        }
        c.validate()?;
        Ok(LoadedProperties { config: c, ignored })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kpl_names_comments_and_continuations() {
        let text = "# KPL sample\n! also a comment\nAggregationEnabled = false\nRecordTtl: 5000\n\
                    CollectionMaxCount 100\nRateLimit = \\\n   90\nMetricsLevel = none\n\
                    KinesisEndpoint = kinesis.example\nKinesisPort = 8443\nCborEnabled = false\n";
        let loaded = ProducerConfig::from_properties(text).unwrap();
        let c = loaded.config;
        assert!(!c.aggregation_enabled);
        assert_eq!(c.record_ttl, Duration::from_secs(5));
        assert_eq!(c.collection_max_count, 100);
        assert_eq!(c.rate_limit, 90);
        assert_eq!(c.endpoint_url.as_deref(), Some("https://kinesis.example:8443"));
        assert!(!c.cbor_enabled);
        assert_eq!(loaded.ignored, ["MetricsLevel"]);
    }

    #[test]
    fn a_url_endpoint_is_taken_as_is() {
        let c = ProducerConfig::from_properties("KinesisEndpoint=http://127.0.0.1:4567\n").unwrap().config;
        assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:4567"));
    }

    #[test]
    fn unknown_keys_bad_values_and_ranges_are_refused() {
        assert_eq!(
            ProducerConfig::from_properties("\nRecordTTL = 5").unwrap_err(),
            PropertiesError::Unknown { line: 2, key: "RecordTTL".into() }
        );
        assert!(matches!(
            ProducerConfig::from_properties("FailIfThrottled = yes").unwrap_err(),
            PropertiesError::Value { expected: "true or false", .. }
        ));
        let e = ProducerConfig::from_properties("MaxConnections = 1000").unwrap_err();
        assert_eq!(e.to_string(), "MaxConnections must be between 1 and 256, got 1000");
    }
}
