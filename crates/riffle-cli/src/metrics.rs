//! `--metrics-addr` for the client-side commands (`riffle put`, `riffle tail`, and the agent):
//! the process's Prometheus endpoint. riffle-producer and riffle-consumer record the KPL's and
//! KCL's metrics through the `metrics` facade's global recorder; this installs one that keeps
//! them for Prometheus and serves them, with the process metrics, at `GET /metrics` — through
//! the server crate's listener, so the binary has one HTTP stack.

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusBuilder;
use riffle_server::metrics::{UPKEEP_EVERY, render_process_metrics, serve_metrics};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Installs the global Prometheus recorder and serves it on `addr` for the life of the process;
/// returns the bound address (port 0 picks one), which it also prints on stderr. Call it before
/// building producers or consumers: they resolve their metric handles when built.
pub async fn serve_process_metrics(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on --metrics-addr {addr}"))?;
    let local = listener.local_addr()?;
    let handle = PrometheusBuilder::new().install_recorder().context("a metrics recorder is already installed")?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(UPKEEP_EVERY).await;
            upkeep.run_upkeep();
        }
    });
    let render = move || {
        let mut out = handle.render();
        render_process_metrics(&mut out);
        out
    };
    tokio::spawn(serve_metrics(listener, Arc::new(render), std::future::pending()));
    eprintln!("metrics on http://{local}/metrics");
    Ok(local)
}
