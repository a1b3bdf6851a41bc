//! Shared server state and the lookups every operation needs.

use crate::catalog::{Catalog, CatalogError, CatalogStore, Stream, StreamStatus};
use crate::config::ServerConfig;
use crate::sse::SseKey;
use crate::token::TokenKey;
use parking_lot::{Mutex, RwLock};
use riffle_log::Log;
use riffle_proto::ApiError;
use riffle_proto::shapes::StreamRef;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub struct App {
    pub config: ServerConfig,
    pub catalog: RwLock<Catalog>,
    pub log: Log,
    pub tokens: TokenKey,
    /// Seals the records of streams with server-side encryption on.
    pub sse: SseKey,
    pub limits: crate::limits::Limits,
    /// Live SubscribeToShard subscriptions (enhanced fan-out).
    pub subscriptions: crate::fanout::Subscriptions,
    /// The DynamoDB tables served on the same port (`crate::dynamo`).
    pub dynamo: riffle_dynamo::Dynamo,
    /// Write demand on on-demand streams' shards, for `crate::autoscale`.
    pub demand: crate::autoscale::Demand,
    /// Prometheus metrics (`crate::metrics`).
    pub metrics: crate::metrics::Metrics,
    /// The web console's live samples (`crate::console`).
    pub console: crate::console::Samples,
    store: CatalogStore,
    /// Serializes catalog saves so the file always ends at the newest state.
    save_lock: Mutex<()>,
}

impl App {
    // Every piece of state has one owner, made by `crate::start`; a builder would only rename
    // this list.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: ServerConfig,
        catalog: Catalog,
        store: CatalogStore,
        log: Log,
        tokens: TokenKey,
        sse: SseKey,
        dynamo: riffle_dynamo::Dynamo,
        metrics: crate::metrics::Metrics,
    ) -> Self {
        let limits = crate::limits::Limits::new(config.enforce_limits);
        Self {
            config,
            catalog: RwLock::new(catalog),
            log,
            tokens,
            sse,
            limits,
            subscriptions: crate::fanout::Subscriptions::default(),
            dynamo,
            demand: crate::autoscale::Demand::default(),
            metrics,
            console: Default::default(),
            store,
            save_lock: Mutex::new(()),
        }
    }

    pub fn stream_arn(&self, name: &str) -> String {
        format!("arn:aws:kinesis:{}:{}:stream/{}", self.config.region, self.config.account_id, name)
    }

    pub fn account(&self) -> &str {
        &self.config.account_id
    }

    /// Writes the current catalog to disk. Call after every change, before answering.
    pub fn persist(&self) -> Result<(), ApiError> {
        let _guard = self.save_lock.lock();
        let snapshot = self.catalog.read().clone();
        self.store.save(&snapshot).map_err(|e: CatalogError| {
            tracing::error!(error = %e, "catalog save failed");
            ApiError::internal()
        })
    }

    pub fn not_found(&self, name: &str) -> ApiError {
        ApiError::not_found(format!("Stream {name} under account {} not found.", self.account()))
    }

    /// Resolves `StreamName`/`StreamARN` to a name. One must be given; if both are, they must
    /// name the same stream. (Model constraints are checked by the caller's validation.)
    pub fn resolve_name(&self, r: StreamRef<'_>) -> Result<String, ApiError> {
        let from_arn = match r.stream_arn {
            Some(arn) => Some(self.name_from_arn(arn)?),
            None => None,
        };
        match (r.stream_name, from_arn) {
            (Some(n), Some(a)) if n != a => Err(ApiError::invalid_argument(format!(
                "StreamName {n} and StreamARN {} do not refer to the same stream.",
                r.stream_arn.unwrap_or_default()
            ))),
            (Some(n), _) => Ok(n.to_string()),
            (None, Some(a)) => Ok(a),
            (None, None) => Err(ApiError::invalid_argument("Neither streamArn or streamName was provided.")),
        }
    }

    /// The stream name an ARN points at, if the ARN is for this region and account.
    pub fn name_from_arn(&self, arn: &str) -> Result<String, ApiError> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ok = parts.len() == 6 && parts[0] == "arn" && parts[1].starts_with("aws") && parts[2] == "kinesis";
        let name = parts.get(5).and_then(|r| r.strip_prefix("stream/"));
        match name {
            Some(n) if ok && !n.is_empty() && !n.contains('/') => {
                if parts[4] != self.account() || parts[3] != self.config.region {
                    return Err(self.not_found(n));
                }
                Ok(n.to_string())
            }
            _ => Err(ApiError::invalid_argument(format!("Invalid StreamARN {arn}."))),
        }
    }

    /// Runs `f` on the named stream under the read lock.
    pub fn with_stream<T>(&self, name: &str, f: impl FnOnce(&Stream) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let cat = self.catalog.read();
        let s = cat.streams.get(name).ok_or_else(|| self.not_found(name))?;
        f(s)
    }

    /// Runs `f` on the named stream under the write lock, then persists the catalog.
    pub fn update_stream<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut Stream) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let out = {
            let mut cat = self.catalog.write();
            let s = cat.streams.get_mut(name).ok_or_else(|| self.not_found(name))?;
            f(s)?
        };
        self.persist()?;
        Ok(out)
    }

    /// ResourceInUse unless the stream is ACTIVE: the error AWS gives for changes to a stream
    /// that is busy.
    pub fn require_active(&self, s: &Stream) -> Result<(), ApiError> {
        if s.status == StreamStatus::Active {
            Ok(())
        } else {
            Err(ApiError::in_use(format!(
                "Stream {} under account {} not ACTIVE, instead in state {}",
                s.name,
                self.account(),
                s.status.as_str()
            )))
        }
    }
}
