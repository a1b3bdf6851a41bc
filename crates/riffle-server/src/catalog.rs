//! The catalog: which streams exist, their shards, tags and settings.
//!
//! It is small and changes rarely (control-plane calls), so it is kept whole in memory and
//! persisted whole: written to a temporary file, fsynced, renamed over the old one and the
//! directory fsynced, so a crash leaves either the old or the new catalog, never a mix.

use riffle_types::{HashKey, ShardKey, uniform_ranges};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the persisted catalog format.
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamStatus {
    Creating,
    Active,
    Updating,
    Deleting,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Creating => "CREATING",
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
            StreamStatus::Deleting => "DELETING",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamMode {
    Provisioned,
    OnDemand,
}

impl StreamMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand => "ON_DEMAND",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub start: u128,
    pub end: u128,
    pub parent: Option<u32>,
    pub adjacent_parent: Option<u32>,
    pub created_ms: i64,
    /// Set when the shard is closed by resharding: its last counter and when it closed.
    pub closed: Option<ClosedShard>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ClosedShard {
    pub ending_counter: u64,
    pub closed_ms: i64,
}

impl Shard {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stream {
    pub uid: u32,
    pub name: String,
    pub status: StreamStatus,
    pub mode: StreamMode,
    pub created_ms: i64,
    pub retention_hours: u32,
    pub max_record_kib: u32,
    pub tags: BTreeMap<String, String>,
    pub shards: Vec<Shard>,
    /// Server-side encryption, when on: the KMS key the client named.
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// Enabled shard-level metrics, in the model's order.
    #[serde(default)]
    pub shard_level_metrics: Vec<String>,
    /// Warm throughput of an on-demand stream, when set.
    #[serde(default)]
    pub warm_throughput: Option<WarmThroughput>,
    /// The stream's resource policy (a JSON document), when one is attached.
    #[serde(default)]
    pub policy: Option<String>,
    /// Enhanced fan-out consumers, in registration order.
    #[serde(default)]
    pub consumers: Vec<Consumer>,
    /// When UpdateShardCount ran (epoch ms), for AWS's 10 scalings per rolling 24 hours.
    #[serde(default)]
    pub scalings_ms: Vec<i64>,
    /// Open shards sorted by starting hash key, for routing; rebuilt, never persisted.
    #[serde(skip)]
    routes: Vec<(u128, u32)>,
    /// Orders writes against resharding: PutRecord/PutRecords hold it shared from routing until
    /// their append returns; resharding holds it exclusively while it fixes the parents'
    /// ending counters, switches the routes and persists (see `ops/resharding.rs`).
    #[serde(skip)]
    pub write_gate: std::sync::Arc<tokio::sync::RwLock<()>>,
}

impl Stream {
    pub fn new(uid: u32, name: String, mode: StreamMode, shard_count: u32, now_ms: i64) -> Self {
        let shards = uniform_ranges(shard_count)
            .into_iter()
            .zip(0..)
            .map(|(r, index)| Shard {
                index,
                start: r.start,
                end: r.end,
                parent: None,
                adjacent_parent: None,
                created_ms: now_ms,
                closed: None,
            })
            .collect();
        let mut s = Stream {
            uid,
            name,
            status: StreamStatus::Creating,
            mode,
            created_ms: now_ms,
            retention_hours: 24,
            max_record_kib: 1024,
            tags: BTreeMap::new(),
            shards,
            encryption: None,
            shard_level_metrics: Vec::new(),
            warm_throughput: None,
            policy: None,
            consumers: Vec::new(),
            scalings_ms: Vec::new(),
            routes: Vec::new(),
            write_gate: Default::default(),
        };
        s.rebuild_routes();
        s
    }

    /// Recomputes the routing table; call after any change to the set of open shards.
    pub fn rebuild_routes(&mut self) {
        self.routes = self.shards.iter().filter(|s| s.is_open()).map(|s| (s.start, s.index)).collect();
        self.routes.sort_unstable();
    }

    /// The open shard whose range holds `key`. Open shards tile the key space, so there is one.
    pub fn route(&self, key: HashKey) -> u32 {
        let i = self.routes.partition_point(|&(start, _)| start <= key.0);
        self.routes[i.saturating_sub(1)].1
    }

    pub fn shard(&self, index: u32) -> Option<&Shard> {
        self.shards.iter().find(|s| s.index == index)
    }

    pub fn shard_key(&self, index: u32) -> ShardKey {
        ShardKey::new(self.uid, index)
    }

    pub fn open_shard_count(&self) -> u32 {
        self.routes.len() as u32
    }

    pub fn retention_ms(&self) -> i64 {
        i64::from(self.retention_hours) * 3_600_000
    }

    pub fn max_record_bytes(&self) -> usize {
        self.max_record_kib as usize * 1024
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsumerStatus {
    Creating,
    Active,
    Deleting,
}

impl ConsumerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumerStatus::Creating => "CREATING",
            ConsumerStatus::Active => "ACTIVE",
            ConsumerStatus::Deleting => "DELETING",
        }
    }
}

/// An enhanced fan-out consumer of a stream. Its ARN is the stream's plus
/// `/consumer/<name>:<creation epoch seconds>`, so a re-registered name gets a new ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumer {
    pub name: String,
    pub status: ConsumerStatus,
    pub created_ms: i64,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Consumer {
    /// The `<name>:<epoch seconds>` tail of the consumer's ARN.
    pub fn arn_suffix(&self) -> String {
        format!("{}:{}", self.name, self.created_ms.div_euclid(1000))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    pub key_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmThroughput {
    pub target_mibps: u32,
    /// What the stream had before the last change; reported while it is UPDATING.
    pub previous_mibps: u32,
}

/// The account's MinimumThroughputBillingCommitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub started_ms: i64,
    pub earliest_end_ms: i64,
    /// Set when the account asked to end it; it ends then or at `earliest_end_ms`, later of two.
    pub end_requested_ms: Option<i64>,
}

/// Settings of the whole account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountSettings {
    #[serde(default)]
    pub commitment: Option<Commitment>,
}

/// All streams, by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    pub version: u32,
    pub next_uid: u32,
    pub streams: BTreeMap<String, Stream>,
    #[serde(default)]
    pub account: AccountSettings,
    #[serde(skip)]
    by_uid: HashMap<u32, String>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            version: FORMAT_VERSION,
            next_uid: 1,
            streams: BTreeMap::new(),
            account: AccountSettings::default(),
            by_uid: HashMap::new(),
        }
    }
}

impl Catalog {
    pub fn insert(&mut self, stream: Stream) {
        self.by_uid.insert(stream.uid, stream.name.clone());
        self.streams.insert(stream.name.clone(), stream);
    }

    pub fn remove(&mut self, name: &str) -> Option<Stream> {
        let s = self.streams.remove(name)?;
        self.by_uid.remove(&s.uid);
        Some(s)
    }

    pub fn by_uid(&self, uid: u32) -> Option<&Stream> {
        self.by_uid.get(&uid).and_then(|n| self.streams.get(n))
    }

    pub fn allocate_uid(&mut self) -> u32 {
        let uid = self.next_uid;
        self.next_uid += 1;
        uid
    }

    fn reindex(&mut self) {
        self.by_uid = self.streams.values().map(|s| (s.uid, s.name.clone())).collect();
        for s in self.streams.values_mut() {
            s.rebuild_routes();
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read or write the catalog at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the catalog at {path} is unreadable: {source}")]
    Corrupt { path: PathBuf, source: serde_json::Error },
    #[error("the catalog at {path} has format version {found}; this build reads {FORMAT_VERSION}")]
    Version { path: PathBuf, found: u32 },
}

/// Where the catalog lives on disk (absent for in-memory servers).
#[derive(Debug)]
pub struct CatalogStore {
    path: PathBuf,
}

impl CatalogStore {
    pub fn new(dir: &Path) -> Self {
        Self { path: dir.join("catalog.json") }
    }

    pub fn load(&self) -> Result<Catalog, CatalogError> {
        let io = |source| CatalogError::Io { path: self.path.clone(), source };
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Catalog::default()),
            Err(e) => return Err(io(e)),
        };
        let mut cat: Catalog = serde_json::from_slice(&bytes)
            .map_err(|source| CatalogError::Corrupt { path: self.path.clone(), source })?;
        if cat.version != FORMAT_VERSION {
            return Err(CatalogError::Version { path: self.path.clone(), found: cat.version });
        }
        cat.reindex();
        Ok(cat)
    }

    pub fn save(&self, cat: &Catalog) -> Result<(), CatalogError> {
        let io = |source| CatalogError::Io { path: self.path.clone(), source };
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(cat).expect("catalog serializes");
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        fs::rename(&tmp, &self.path).map_err(io)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_to_the_shard_that_owns_the_key() {
        let s = Stream::new(1, "s".into(), StreamMode::Provisioned, 4, 0);
        for shard in &s.shards {
            assert_eq!(s.route(HashKey(shard.start)), shard.index);
            assert_eq!(s.route(HashKey(shard.end)), shard.index);
        }
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = CatalogStore::new(dir.path());
        let mut cat = Catalog::default();
        let uid = cat.allocate_uid();
        cat.insert(Stream::new(uid, "a".into(), StreamMode::Provisioned, 3, 5));
        store.save(&cat).unwrap();
        let back = store.load().unwrap();
        assert_eq!(back.next_uid, 2);
        let s = back.by_uid(uid).unwrap();
        assert_eq!(s.shards.len(), 3);
        assert_eq!(s.shards[2].end, u128::MAX);
        assert_eq!(s.open_shard_count(), 3);
    }

    #[test]
    fn catalogs_written_before_the_stream_settings_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = CatalogStore::new(dir.path());
        let mut cat = Catalog::default();
        let uid = cat.allocate_uid();
        cat.insert(Stream::new(uid, "old".into(), StreamMode::Provisioned, 1, 5));
        // The same catalog as a build before these fields existed wrote it. (Text surgery: a
        // serde_json::Value cannot hold the u128 hash keys.)
        let mut json = serde_json::to_string(&cat).unwrap();
        for field in [
            r#","encryption":null"#,
            r#","shard_level_metrics":[]"#,
            r#","warm_throughput":null"#,
            r#","policy":null"#,
            r#","consumers":[]"#,
            r#","account":{"commitment":null}"#,
        ] {
            assert!(json.contains(field), "{field} is persisted");
            json = json.replace(field, "");
        }
        std::fs::write(dir.path().join("catalog.json"), json).unwrap();
        let back = store.load().unwrap();
        let s = back.by_uid(uid).unwrap();
        assert_eq!(s.encryption, None);
        assert!(s.shard_level_metrics.is_empty());
        assert!(s.consumers.is_empty());
        assert_eq!(back.account.commitment, None);
    }
}
