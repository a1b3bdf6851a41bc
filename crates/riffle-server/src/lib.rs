//! `riffle serve`: the Kinesis Data Streams API over a durable log.
//!
//! [`start`] recovers the catalog and the log from the data directory, binds the listener and
//! serves HTTP/1.1 and HTTP/2 (prior knowledge) on one port until [`Server::shutdown`].

mod auth;
mod autoscale;
mod catalog;
mod config;
mod console;
mod dynamo;
mod fanout;
mod faults;
mod front;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod limits;
pub mod metrics;
mod ops;
mod sse;
mod state;
mod tls;
mod token;

pub use auth::AuthConfig;
pub use autoscale::Policy as AutoscalePolicy;
pub use config::{ServerConfig, Storage};
pub use faults::{FaultPlan, FaultPlanError};
pub use riffle_auth::{AccessKey, KeyStore, parse_key_file};
pub use tls::{TlsError, TlsSource};

use catalog::{CatalogStore, StreamStatus};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use riffle_log::{FsyncPolicy, Log, LogOptions};
use state::App;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot use data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Log(#[from] riffle_log::LogError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error("DynamoDB tables: {0}")]
    Dynamo(#[from] riffle_dynamo::StoreError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// Binds `addr`, returning the listener and the address it got.
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServerError> {
    let listener = TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| ServerError::Bind { addr, source })?;
    Ok((listener, local))
}

/// A running server.
pub struct Server {
    local_addr: SocketAddr,
    /// Where `--metrics-addr`'s listener got bound, if asked for.
    metrics_addr: Option<SocketAddr>,
    data_dir: PathBuf,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    app: Arc<App>,
    /// Where a generated self-signed certificate was written, for clients to trust.
    generated_cert: Option<PathBuf>,
    /// Keeps an in-memory server's throwaway directory alive until shutdown.
    _temp: Option<tempfile::TempDir>,
}

impl Server {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The separate metrics listener's address, when `ServerConfig::metrics_addr` asked for one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.app.config.tls.is_some() { "https" } else { "http" }
    }

    /// The self-signed certificate generated at start, if `TlsSource::SelfSigned` was asked for.
    pub fn generated_cert(&self) -> Option<&Path> {
        self.generated_cert.as_deref()
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds), and closes the log.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
        self.app.log.shutdown();
    }
}

pub async fn start(config: ServerConfig) -> Result<Server, ServerError> {
    let (dir, temp, fsync) = match &config.storage {
        Storage::Disk(p) => (p.clone(), None, config.fsync),
        Storage::InMemory => {
            let t = tempfile::Builder::new()
                .prefix("riffle-mem-")
                .tempdir()
                .map_err(|source| ServerError::DataDir { path: std::env::temp_dir(), source })?;
            (t.path().to_path_buf(), Some(t), FsyncPolicy::Never)
        }
    };
    let dir_err = |source| ServerError::DataDir { path: dir.clone(), source };
    std::fs::create_dir_all(&dir).map_err(dir_err)?;
    let metrics = metrics::Metrics::new();
    let observer: Arc<dyn riffle_log::LogObserver> = metrics.log.clone();
    let options = LogOptions {
        fsync,
        cached_segments: config.page_cache_segments,
        observer: Some(observer),
        ..LogOptions::default()
    };
    let log = Log::open(&dir.join("log"), options)?;
    let store = CatalogStore::new(&dir);
    let mut cat = store.load()?;
    settle_after_restart(&mut cat, &log);
    store.save(&cat)?;
    let tokens = token::TokenKey::load_or_create(&dir).map_err(dir_err)?;
    let sse = sse::SseKey::load_or_create(&dir).map_err(dir_err)?;
    let tls = config.tls.as_ref().map(|source| tls::load(source, &dir)).transpose()?;
    // Lease-table writes are few: every acknowledged one is fsynced unless nothing is.
    let dynamo_fsync = !matches!(fsync, FsyncPolicy::Never);
    let dynamo = riffle_dynamo::Dynamo::open(&dir.join("dynamodb"), dynamo_fsync, &config.region, &config.account_id)?;
    let (listener, local_addr) = bind(config.addr).await?;
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let retention_every = config.retention_interval;
    let app = Arc::new(App::new(config, cat, store, log, tokens, sse, dynamo, metrics));
    ops::enforce_retention(&app).await;

    let (tx, rx) = watch::channel(false);
    let generated_cert = tls.as_ref().and_then(|t| t.generated_cert.clone());
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.config));
    let task = tokio::spawn(serve(Arc::clone(&app), listener, acceptor, rx.clone()));
    tokio::spawn(autoscale::run(Arc::clone(&app), rx.clone()));
    tokio::spawn(metrics_upkeep(Arc::clone(&app), rx.clone()));
    let metrics_addr = metrics_listener.map(|(listener, addr)| {
        let render_app = Arc::clone(&app);
        let mut stop = rx.clone();
        let stopped = async move {
            let _ = stop.changed().await;
        };
        tokio::spawn(metrics::serve_metrics(listener, Arc::new(move || metrics::render(&render_app)), stopped));
        addr
    });
    tokio::spawn(retention_loop(Arc::clone(&app), retention_every, rx));
    Ok(Server { local_addr, metrics_addr, data_dir: dir, shutdown: tx, task, app, generated_cert, _temp: temp })
}

/// A restart finishes what was in flight: CREATING and UPDATING streams (and consumers) become
/// ACTIVE, DELETING ones are removed, and log data of streams the catalog no longer has is dropped.
fn settle_after_restart(cat: &mut catalog::Catalog, log: &Log) {
    let deleting: Vec<String> =
        cat.streams.values().filter(|s| s.status == StreamStatus::Deleting).map(|s| s.name.clone()).collect();
    for name in deleting {
        cat.remove(&name);
    }
    for s in cat.streams.values_mut() {
        s.status = StreamStatus::Active;
        // Consumers too: CREATING ones become ACTIVE, DELETING ones are gone.
        s.consumers.retain(|c| c.status != catalog::ConsumerStatus::Deleting);
        for c in &mut s.consumers {
            c.status = catalog::ConsumerStatus::Active;
        }
    }
    for key in log.shards() {
        let known = cat.by_uid(key.stream_uid()).is_some_and(|s| s.shard(key.shard()).is_some());
        if !known {
            log.drop_shard(key);
        }
        if key.stream_uid() >= cat.next_uid {
            // Never hand out a uid the log has seen, even if the catalog lost it.
            cat.next_uid = key.stream_uid() + 1;
        }
    }
}

async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = Arc::clone(&app);
                let svc = hyper::service::service_fn(move |req| http::handle(Arc::clone(&app), req));
                match &tls {
                    None => {
                        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), svc).into_owned());
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                        });
                    }
                    Some(acceptor) => {
                        // The handshake runs in the connection's task so a slow client cannot
                        // hold up the accept loop.
                        let (acceptor, builder, watcher) = (acceptor.clone(), builder.clone(), graceful.watcher());
                        tokio::spawn(async move {
                            let stream = match acceptor.accept(stream).await {
                                Ok(s) => s,
                                Err(e) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                            };
                            let conn = watcher.watch(builder.serve_connection(TokioIo::new(stream), svc).into_owned());
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                        });
                    }
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after 5 s; closing them");
    }
}

/// Drains histogram buffers every few seconds, so memory stays bounded when nobody scrapes.
async fn metrics_upkeep(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(metrics::UPKEEP_EVERY) => app.metrics.upkeep(),
            _ = shutdown.changed() => return,
        }
    }
}

async fn retention_loop(app: Arc<App>, every: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => ops::enforce_retention(&app).await,
            _ = shutdown.changed() => return,
        }
    }
}
