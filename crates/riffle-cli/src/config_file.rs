//! `riffle.toml`: settings for `riffle serve` (and `riffle agent`) kept in a file.
//!
//! ```toml
//! [serve]
//! addr = "0.0.0.0:4567"
//! fsync = "interval:50"
//! enforce-limits = true
//! access-key = ["AKID:SECRET"]
//!
//! [agent]
//! # riffle agent's configuration (see docs/configuration.md)
//! ```
//!
//! A `[serve]` key is a `riffle serve` flag without its dashes, and its value is what the flag
//! would take (`true` for a switch, a list for a repeatable flag). Rather than a second,
//! hand-kept struct that could drift from the flags, the file's keys are turned back into
//! arguments and parsed by the same clap definitions, ripgrep-style: one parser, one set of
//! validations and messages, and a new flag is a new key with no further code. Precedence is
//! command line, then environment variable, then file, then default: a key whose flag was given
//! on the command line or through its environment variable is left out, and so is one that
//! conflicts with a flag given on the command line.

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, FromArgMatches};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Read when `--config` is not given, if it exists in the working directory.
pub const DEFAULT_PATH: &str = "riffle.toml";

/// The file's sections. Unknown sections are refused by name (a misspelled `[serv]` must not be
/// silently ignored); keys inside `[serve]` are checked against the flags in [`layered`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiffleToml {
    #[serde(default)]
    pub serve: toml::Table,
    /// `riffle agent`'s section, handed over as it is: its keys and their checks belong to
    /// `riffle-agent`'s configuration.
    #[serde(default)]
    pub agent: Option<toml::Table>,
}

impl RiffleToml {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in {}", path.display()))
    }
}

/// The file to read: `explicit` (from `--config`), else `./riffle.toml` if there is one.
pub fn choose(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(|| Path::new(DEFAULT_PATH).is_file().then(|| DEFAULT_PATH.into()))
}

/// The arguments after subcommand `name` in this process's command line (the `riffle` command
/// has no options before its subcommand, so the first `name` is the subcommand).
pub fn subcommand_args(name: &str) -> Vec<OsString> {
    std::env::args_os().skip(1).skip_while(|a| a != name).skip(1).collect()
}

/// `T` parsed from `cli` with `section`'s keys filling in what the command line and the
/// environment left unset. `origin` names the file in errors.
pub fn layered<T: Args + FromArgMatches>(
    name: &'static str,
    section: &toml::Table,
    cli: &[OsString],
    origin: &Path,
) -> anyhow::Result<T> {
    let command = T::augment_args(clap::Command::new(name)).no_binary_name(true);
    let given = command.clone().try_get_matches_from(cli)?;
    let mut argv =
        file_args(&command, section, &given).with_context(|| format!("in [{name}] of {}", origin.display()))?;
    argv.extend(cli.iter().cloned());
    let matches = command
        .try_get_matches_from(argv)
        .map_err(|e| anyhow::anyhow!("in [{name}] of {}: {}", origin.display(), e.render().to_string().trim_end()))?;
    Ok(T::from_arg_matches(&matches)?)
}

/// Keys that are not settings but say where the settings are.
const NOT_KEYS: &[&str] = &["config", "help"];

/// `--key=value` arguments for the keys of `section` the command line did not decide.
fn file_args(command: &clap::Command, section: &toml::Table, given: &ArgMatches) -> anyhow::Result<Vec<OsString>> {
    let from_user =
        |id: &str| matches!(given.value_source(id), Some(ValueSource::CommandLine | ValueSource::EnvVariable));
    let mut argv = Vec::new();
    for (key, value) in section {
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == Some(key.as_str()) && !NOT_KEYS.contains(&key.as_str()))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown key `{key}`: keys are the flags of `riffle {} --help` without their dashes \
                     (every key: docs/configuration.md)",
                    command.get_name()
                )
            })?;
        let id = arg.get_id().as_str();
        let clashes = command.get_arg_conflicts_with(arg).iter().any(|a| from_user(a.get_id().as_str()))
            || command.get_arguments().any(|other| {
                from_user(other.get_id().as_str())
                    && command.get_arg_conflicts_with(other).iter().any(|c| c.get_id() == id)
            });
        if from_user(id) || clashes {
            continue;
        }
        let is_switch = matches!(arg.get_action(), ArgAction::SetTrue);
        let values = match value {
            toml::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for value in values {
            let text = match value {
                toml::Value::Boolean(true) if is_switch => {
                    argv.push(format!("--{key}").into());
                    continue;
                }
                toml::Value::Boolean(false) if is_switch => continue,
                _ if is_switch => anyhow::bail!("key `{key}` is a switch: write `{key} = true` or `{key} = false`"),
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::Array(_) | toml::Value::Table(_) => {
                    anyhow::bail!("key `{key}` takes a value as its flag does, not a nested list or table")
                }
            };
            argv.push(format!("--{key}={text}").into());
        }
    }
    Ok(argv)
}

#[cfg(test)]
mod tests;
