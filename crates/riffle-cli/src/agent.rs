//! `riffle agent`: the Kinesis Agent — tails the files of every flow in an `agent.json` (or the
//! same keys in TOML) and sends their lines to Kinesis through `riffle-producer`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use riffle_agent::{AgentConfig, AgentOptions};

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The agent configuration: the Kinesis Agent's agent.json, or the same keys in a .toml file.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
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
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let mut config = AgentConfig::load(&args.config).with_context(|| format!("in {}", args.config.display()))?;
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
