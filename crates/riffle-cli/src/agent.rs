//! `riffle agent`: the Kinesis Agent — tails the files of every flow in an `agent.json` (or the
//! same keys in TOML, or the `[agent]` section of a `riffle.toml`) and sends their lines to
//! Kinesis through `riffle-producer`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use riffle_agent::{AgentConfig, AgentOptions};

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The agent configuration: the Kinesis Agent's agent.json, the same keys in a .toml file,
    /// or a riffle.toml whose [agent] section holds them. Default: ./riffle.toml's [agent].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Where checkpoints are kept (overrides checkpointFile; default
    /// /var/lib/riffle-agent/checkpoints.json).
    #[arg(long, value_name = "PATH")]
    checkpoint_file: Option<PathBuf>,
    /// Seconds between progress lines (overrides log.statusReportingPeriodSeconds, default 30).
    #[arg(long, value_name = "SECS")]
    log_interval: Option<u64>,
    /// Kinesis endpoint, e.g. http://127.0.0.1:4567 (overrides kinesis.endpoint; without either
    /// the AWS_ENDPOINT_URL* variables or AWS's endpoint for the region apply).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Milliseconds between checkpoint commits (each one fsyncs).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    checkpoint_interval_ms: u64,
    /// Serve the agent's metrics (the Java agent's counters, the producer's KPL metrics) and the
    /// process's at http://HOST:PORT/metrics while it runs.
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<std::net::SocketAddr>,
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let mut config = load(args.config.as_deref())?;
    if let Some(addr) = args.metrics_addr {
        crate::metrics::serve_process_metrics(addr).await?;
    }
    if let Some(path) = args.checkpoint_file {
        config.checkpoint_file = path;
    }
    if let Some(secs) = args.log_interval {
        config.status_reporting_period = Duration::from_secs(secs.max(1));
    }
    let opts = AgentOptions {
        endpoint: args.endpoint_url,
        checkpoint_interval: Duration::from_millis(args.checkpoint_interval_ms.max(10)),
        ..AgentOptions::default()
    };
    let result = riffle_agent::run(config, opts, shutdown_signal()).await;
    if let Err(e) = &result {
        tracing::error!(error = %e, "the agent cannot run");
    }
    Ok(result?)
}

/// The agent's configuration from `path`, or from `./riffle.toml`'s `[agent]` section. A TOML
/// file with an `[agent]` (or `[serve]`) table is a riffle.toml; its `[agent]` section holds the
/// same keys as an agent.json.
fn load(path: Option<&Path>) -> anyhow::Result<AgentConfig> {
    let Some(path) = crate::config_file::choose(path) else {
        anyhow::bail!(
            "no agent configuration: give --config agent.json (the Kinesis Agent's format, or the same keys \
             in TOML), or put them in an [agent] section of ./riffle.toml"
        );
    };
    let is_toml = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml {
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let table: toml::Table = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
        if table.contains_key("agent") || table.contains_key("serve") {
            let file = crate::config_file::RiffleToml::load(&path)?;
            let Some(section) = file.agent else {
                anyhow::bail!("{} has no [agent] section with the agent's configuration", path.display());
            };
            return AgentConfig::from_toml_str(&toml::to_string(&section)?)
                .with_context(|| format!("in [agent] of {}", path.display()));
        }
    }
    AgentConfig::load(&path).with_context(|| format!("in {}", path.display()))
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
