//! Configuration errors. Each names the key (and flow) at fault, because a config that loads
//! with a silently ignored or defaulted key is how the Java agent ends up sending nothing.

use std::path::PathBuf;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// serde_json's message already names an unknown key and its line and column.
    #[error("invalid JSON agent configuration: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid TOML agent configuration: {0}")]
    Toml(#[from] toml::de::Error),
    /// A key parsed but its value is unacceptable.
    #[error("{location}: `{key}`: {message}")]
    Invalid {
        /// `top level` or `flows[i]`.
        location: String,
        key: &'static str,
        message: String,
    },
}

impl ConfigError {
    pub(crate) fn top(key: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { location: "top level".into(), key, message: message.into() }
    }

    pub(crate) fn flow(index: usize, key: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { location: format!("flows[{index}]"), key, message: message.into() }
    }
}
