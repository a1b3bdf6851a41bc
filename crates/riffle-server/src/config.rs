//! The server's resolved configuration (the CLI builds it from flags).

use riffle_log::FsyncPolicy;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where data lives.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A durable data directory.
    Disk(PathBuf),
    /// A throwaway temporary directory, never fsynced, removed at shutdown.
    InMemory,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// A second listener that serves only `GET /metrics` (the API port serves it too).
    pub metrics_addr: Option<SocketAddr>,
    pub storage: Storage,
    pub fsync: FsyncPolicy,
    /// Sealed log segments that keep their pages in the OS page cache besides the active one
    /// (`None`: all); see `riffle_log::LogOptions::cached_segments`.
    pub page_cache_segments: Option<usize>,
    /// Region and account that ARNs and error messages name.
    pub region: String,
    pub account_id: String,
    /// How long a stream stays CREATING, DELETING and UPDATING.
    pub create_delay: Duration,
    pub delete_delay: Duration,
    pub update_delay: Duration,
    /// The account's shard quota (open shards over all streams).
    pub shard_limit: u32,
    /// How often retention is enforced and expired segments reclaimed.
    pub retention_interval: Duration,
    /// How long shard iterators stay valid (AWS: 5 minutes). Shorter values let clients test
    /// their ExpiredIteratorException handling without waiting.
    pub iterator_ttl: Duration,
    /// Enforce AWS's per-shard throughput and control-plane call rates.
    pub enforce_limits: bool,
    /// How on-demand streams scale (`crate::autoscale`).
    pub autoscale: crate::autoscale::Policy,
    /// Retryable errors to inject, per operation.
    pub faults: crate::faults::FaultPlan,
    /// Serve TLS instead of plain text (HTTP/1.1 and HTTP/2 by ALPN either way).
    pub tls: Option<crate::tls::TlsSource>,
    /// Verify SigV4 signatures against these keys; `None` accepts any request.
    pub auth: Option<crate::auth::AuthConfig>,
    /// Test hook: retention is enforced as if the clock were this many milliseconds ahead, so
    /// tests can age records past a 24-hour retention without waiting a day.
    #[doc(hidden)]
    pub retention_clock_offset_ms: i64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 4567)),
            metrics_addr: None,
            storage: Storage::Disk(PathBuf::from("riffle-data")),
            fsync: FsyncPolicy::Always,
            page_cache_segments: riffle_log::LogOptions::default().cached_segments,
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            create_delay: Duration::from_millis(500),
            delete_delay: Duration::from_millis(500),
            update_delay: Duration::from_millis(500),
            shard_limit: 20_000,
            retention_interval: Duration::from_secs(30),
            iterator_ttl: Duration::from_secs(300),
            retention_clock_offset_ms: 0,
            tls: None,
            auth: None,
            enforce_limits: false,
            autoscale: crate::autoscale::Policy::default(),
            faults: crate::faults::FaultPlan::default(),
        }
    }
}
