//! The whole agent: start-up checks, one reading loop and one acker per flow, the checkpointer,
//! progress lines, and an orderly shutdown.
//!
//! Shutdown: the loops stop reading at once; the producers flush; the ackers get up to
//! `shutdownTimeoutMillis` to see the records already sent acknowledged; the checkpoints are
//! committed one last time. Whatever was not acknowledged by then is simply not checkpointed and
//! is read again at the next start.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::checkpoint::{CheckpointError, CheckpointStore};
use crate::config::AgentConfig;
use crate::cursor::{self, Cursors};
use crate::discovery::Matcher;
use crate::flow::FlowLoop;
use crate::records::RecordBuilder;
use crate::sender::{self, StartError};
use crate::stats::FlowStats;
use crate::tracker::{FileTracker, TrackerOptions};

/// Records handed to one flow's acker and not yet acknowledged, at most (besides the producer's
/// own memory cap, whichever binds first).
const ACK_QUEUE: usize = 65_536;

/// Settings that are not in `agent.json`.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Overrides `kinesis.endpoint` (and the `AWS_ENDPOINT_URL*` variables).
    pub endpoint: Option<String>,
    /// How often acknowledged positions are committed to the checkpoint file (default 1 s).
    pub checkpoint_interval: Duration,
    /// How long a file that left the pattern (rotated away, deleted) must be quiet at its end
    /// before it is closed (default 5 s).
    pub close_after: Duration,
    /// Each flow's producer memory cap (default 32 MiB).
    pub max_buffered_bytes: usize,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            endpoint: None,
            checkpoint_interval: Duration::from_secs(1),
            close_after: Duration::from_secs(5),
            max_buffered_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Why the agent could not start (it never fails once running: trouble is logged and retried).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("flow {flow}: filePattern: {source}")]
    Glob {
        flow: String,
        #[source]
        source: globset::Error,
    },
    #[error("flow {flow}: {message}")]
    Records { flow: String, message: String },
    #[error("flow {flow}: cannot start the producer: {source}")]
    Producer {
        flow: String,
        #[source]
        source: riffle_producer::BuildError,
    },
}

/// Runs the agent until `shutdown` resolves, then stops as described in the module docs.
pub async fn run(
    config: AgentConfig,
    opts: AgentOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), AgentError> {
    for flow in &config.flows {
        RecordBuilder::new(flow).map_err(|e| AgentError::Records { flow: flow.id.clone(), message: e.to_string() })?;
    }
    let matchers = config
        .flows
        .iter()
        .map(|f| Matcher::new(&f.file_pattern).map_err(|source| AgentError::Glob { flow: f.id.clone(), source }))
        .collect::<Result<Vec<_>, _>>()?;
    let store = CheckpointStore::open(&config.checkpoint_file)?;
    let client = sender::client(&config, opts.endpoint.as_deref()).await;
    for flow in &config.flows {
        sender::check_stream(&client, flow).await?;
        tracing::info!(flow = %flow.id, stream = %flow.stream, "stream is ready");
    }
    let store = Arc::new(Mutex::new(store));
    let cursors: Cursors = Arc::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut readers = Vec::new();
    let mut ackers = Vec::new();
    let mut producers = Vec::new();
    let mut all_stats = Vec::new();
    for (flow, matcher) in config.flows.into_iter().zip(matchers) {
        let flow = Arc::new(flow);
        let producer = sender::producer(&client, &flow, opts.max_buffered_bytes)
            .await
            .map_err(|source| AgentError::Producer { flow: flow.id.clone(), source })?;
        let first_run = store.lock().map(|s| s.for_flow(&flow.id).is_empty()).unwrap_or(true);
        let tracker_opts =
            TrackerOptions { initial_position: flow.initial_position, first_run, close_after: opts.close_after };
        let tracker = FileTracker::new(matcher, tracker_opts);
        let stats = Arc::new(FlowStats::new(&flow.id, &flow.stream));
        let (ack_tx, ack_rx) = mpsc::channel(ACK_QUEUE);
        ackers.push(tokio::spawn(crate::acker::run(ack_rx, producer.clone(), flow.stream.clone(), stats.clone())));
        let flow_loop =
            FlowLoop::new(flow, tracker, producer.clone(), ack_tx, store.clone(), cursors.clone(), stats.clone());
        readers.push(tokio::spawn(flow_loop.run(stop_rx.clone())));
        producers.push(producer);
        all_stats.push(stats);
    }
    let ttl = config.checkpoint_ttl;
    let checkpointer = tokio::spawn(cursor::run_checkpointer(
        store.clone(),
        cursors.clone(),
        opts.checkpoint_interval,
        ttl,
        stop_rx.clone(),
    ));
    let progress = tokio::spawn(report(all_stats.clone(), config.status_reporting_period, stop_rx.clone()));
    tracing::info!(checkpoints = %config.checkpoint_file.display(), "agent running");

    shutdown.await;
    tracing::info!("stopping: no more reading; waiting for acknowledgements");
    let _ = stop_tx.send(true);
    for r in readers {
        let _ = r.await;
    }
    for p in &producers {
        p.flush();
    }
    let drained = tokio::time::timeout(config.shutdown_timeout, async {
        for a in &mut ackers {
            let _ = a.await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            timeout_ms = config.shutdown_timeout.as_millis() as u64,
            "shutdown timeout: records not yet acknowledged will be read again at the next start"
        );
        for a in &ackers {
            a.abort();
        }
    }
    let _ = checkpointer.await;
    let _ = progress.await;
    let result = cursor::commit(&store, &cursors, ttl);
    for s in &all_stats {
        s.log();
    }
    let remaining = Duration::from_secs(1);
    for p in &producers {
        let _ = tokio::time::timeout(remaining, p.shutdown()).await;
    }
    result?;
    tracing::info!("agent stopped; checkpoints written");
    Ok(())
}

/// Logs every flow's progress line every `period`.
async fn report(stats: Vec<Arc<FlowStats>>, period: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(period.max(Duration::from_millis(100)));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => stats.iter().for_each(|s| s.log()),
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
