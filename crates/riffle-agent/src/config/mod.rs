//! The agent's configuration: the Kinesis Agent's `agent.json`, or the same keys in TOML,
//! parsed strictly ([`raw`]) and resolved with the documented defaults ([`resolve`]).

mod error;
pub mod raw;
mod resolve;

use std::path::Path;

pub use error::ConfigError;
pub use raw::{InitialPosition, JsonFormat, LogFormat, PartitionKeyOption, SingleLineParseOption};
pub use resolve::{AgentConfig, Credentials, FilePattern, FlowConfig, ProcessingOption};

/// Prefixes of the Java agent's dotted top-level keys (`kinesis.endpoint`, ...). In TOML a bare
/// dotted key is a nested table, so `[kinesis]` / `kinesis.endpoint = ...` is folded back into
/// the flat `"kinesis.endpoint"` key the JSON format uses; a quoted `"kinesis.endpoint"` works too.
const DOTTED_PREFIXES: &[&str] =
    &["checkpoints", "cloudwatch", "kinesis", "firehose", "sts", "log", "userDefinedCredentialsProvider"];

impl AgentConfig {
    /// Loads a file: TOML if its name ends in `.toml`, otherwise the Kinesis Agent's JSON.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_owned(), source })?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            Self::from_toml_str(&text)
        } else {
            Self::from_json_str(&text)
        }
    }

    /// Parses and resolves `agent.json` text.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let raw: raw::RawAgentConfig = serde_json::from_str(text)?;
        resolve::resolve(raw)
    }

    /// Parses and resolves the TOML form (same keys; see [`DOTTED_PREFIXES`]).
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let mut table: toml::Table = toml::from_str(text)?;
        for prefix in DOTTED_PREFIXES {
            if let Some(toml::Value::Table(_)) = table.get(*prefix) {
                let Some(toml::Value::Table(inner)) = table.remove(*prefix) else { continue };
                for (key, value) in inner {
                    table.insert(format!("{prefix}.{key}"), value);
                }
            }
        }
        let raw: raw::RawAgentConfig = toml::Value::Table(table).try_into()?;
        resolve::resolve(raw)
    }
}

#[cfg(test)]
mod tests;
