//! The tables, in memory, made durable by a mutation log and periodic snapshots.
//!
//! Every write is a list of [`Mutation`]s computed under the store's lock, appended to the log
//! and fsynced, then applied in memory; the client hears back only after that. Each mutation
//! carries a sequence number. When the log grows past [`COMPACT_AT`], a snapshot of every table
//! (with the last sequence number it includes) is written to a temp file, fsynced, renamed over
//! the old one, the directory fsynced, and only then is the log emptied — so a crash anywhere in
//! between recovers to the same state: replay skips log records the snapshot already holds.
//!
//! A write of several mutations (a batch, a transaction) is one log record, so one frame and one
//! CRC: a crash that tears it leaves a frame recovery cuts away whole, and none of it applies.

use crate::error::DynamoError;
use crate::table::{Table, TableDef};
use crate::value::{Item, item_from_json, item_to_json};
use crate::wal::{self, SNAPSHOT_HEADER, Wal, WalError};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Log size that triggers a snapshot.
pub const COMPACT_AT: u64 = 8 << 20;

/// Tables by name.
pub type Tables = BTreeMap<String, Table>;

/// One durable change.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Creates the table (replacing any of that name, items and all).
    CreateTable(TableDef),
    /// Replaces the definition, keeping the items.
    UpdateTable(TableDef),
    DeleteTable(String),
    Put {
        table: String,
        item: Item,
    },
    Delete {
        table: String,
        key: Item,
    },
}

/// The persisted form of a mutation.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Record {
    CreateTable {
        seq: u64,
        def: TableDef,
    },
    UpdateTable {
        seq: u64,
        def: TableDef,
    },
    DeleteTable {
        seq: u64,
        table: String,
    },
    Put {
        seq: u64,
        table: String,
        item: Json,
    },
    Delete {
        seq: u64,
        table: String,
        key: Json,
    },
    /// Several mutations that apply together or not at all; each keeps its own sequence number.
    Batch {
        records: Vec<Record>,
    },
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    seq: u64,
    tables: Vec<SnapshotTable>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotTable {
    def: TableDef,
    items: Vec<Json>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Wal(#[from] WalError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: unreadable record: {reason}")]
    Format { path: PathBuf, reason: String },
}

struct Inner {
    tables: Tables,
    wal: Wal,
    seq: u64,
    /// Set after a failed write: the disk state is unknown, so refuse further writes.
    poisoned: bool,
}

pub struct Store {
    dir: PathBuf,
    fsync: bool,
    inner: Mutex<Inner>,
}

const SNAPSHOT: &str = "tables.snapshot";
const WAL: &str = "mutations.log";

impl Store {
    /// Opens the store in `dir` (created if missing), recovering snapshot and log. With `fsync`
    /// off nothing is synced (in-memory mode).
    pub fn open(dir: &Path, fsync: bool) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io { path: dir.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (mut tables, snap_seq) = load_snapshot(&dir.join(SNAPSHOT))?;
        let (wal, payloads) = Wal::open(&dir.join(WAL), fsync)?;
        let mut seq = snap_seq;
        for p in payloads {
            let rec: Record = serde_json::from_slice(&p)
                .map_err(|e| StoreError::Format { path: wal.path().to_path_buf(), reason: e.to_string() })?;
            let mutations = from_record(rec)
                .map_err(|e| StoreError::Format { path: wal.path().to_path_buf(), reason: e.to_string() })?;
            for (s, m) in mutations {
                if s > snap_seq {
                    apply(&mut tables, m);
                }
                seq = seq.max(s);
            }
        }
        if fsync {
            sync_dir(dir).map_err(io)?;
        }
        Ok(Store { dir: dir.to_path_buf(), fsync, inner: Mutex::new(Inner { tables, wal, seq, poisoned: false }) })
    }

    /// Runs `f` on the tables.
    pub fn read<T>(&self, f: impl FnOnce(&Tables) -> T) -> T {
        f(&self.inner.lock().tables)
    }

    /// Runs `f`, which decides the mutations (or refuses), then makes them durable and applies
    /// them. Nothing is applied if the log write fails.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Tables) -> Result<(T, Vec<Mutation>), DynamoError>,
    ) -> Result<T, DynamoError> {
        let mut inner = self.inner.lock();
        if inner.poisoned {
            return Err(DynamoError::internal());
        }
        let (out, mutations) = f(&inner.tables)?;
        if mutations.is_empty() {
            return Ok(out);
        }
        let mut records = Vec::with_capacity(mutations.len());
        let mut seq = inner.seq;
        for m in &mutations {
            seq += 1;
            records.push(to_record(seq, m));
        }
        let record = match <[Record; 1]>::try_from(records) {
            Ok([one]) => one,
            Err(records) => Record::Batch { records },
        };
        let payload = serde_json::to_vec(&record).map_err(|_| DynamoError::internal())?;
        if let Err(e) = inner.wal.append(&[payload]) {
            tracing::error!(error = %e, "DynamoDB mutation log write failed; refusing further writes");
            inner.poisoned = true;
            return Err(DynamoError::internal());
        }
        inner.seq = seq;
        for m in mutations {
            apply(&mut inner.tables, m);
        }
        if inner.wal.len() > COMPACT_AT
            && let Err(e) = self.compact(&mut inner)
        {
            // The log still holds everything; only compaction is deferred.
            tracing::warn!(error = %e, "DynamoDB snapshot failed");
        }
        Ok(out)
    }

    /// Writes a snapshot now and empties the log.
    pub fn snapshot(&self) -> Result<(), StoreError> {
        let mut inner = self.inner.lock();
        self.compact(&mut inner)
    }

    fn compact(&self, inner: &mut Inner) -> Result<(), StoreError> {
        let path = self.dir.join(SNAPSHOT);
        let io = |source| StoreError::Io { path: path.clone(), source };
        let snap = Snapshot {
            version: 1,
            seq: inner.seq,
            tables: inner
                .tables
                .values()
                .map(|t| SnapshotTable { def: t.def.clone(), items: t.items.values().map(item_to_json).collect() })
                .collect(),
        };
        let body =
            serde_json::to_vec(&snap).map_err(|e| StoreError::Format { path: path.clone(), reason: e.to_string() })?;
        let mut bytes = SNAPSHOT_HEADER.to_vec();
        bytes.extend(wal::frame(&body));
        let tmp = self.dir.join(format!("{SNAPSHOT}.tmp"));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            if self.fsync {
                f.sync_all().map_err(io)?;
            }
        }
        std::fs::rename(&tmp, &path).map_err(io)?;
        if self.fsync {
            sync_dir(&self.dir).map_err(io)?;
        }
        inner.wal.reset().map_err(io)?;
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn load_snapshot(path: &Path) -> Result<(Tables, u64), StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Tables::new(), 0)),
        Err(source) => return Err(StoreError::Io { path: path.to_path_buf(), source }),
    };
    let fmt = |reason: String| StoreError::Format { path: path.to_path_buf(), reason };
    // Written whole and renamed into place, a snapshot is never torn: any fault is corruption.
    let s = wal::scan(&bytes, SNAPSHOT_HEADER);
    let [body] = s.payloads.as_slice() else { return Err(fmt("snapshot is not one intact frame".into())) };
    if s.valid_len != bytes.len() {
        return Err(fmt("snapshot has trailing bytes".into()));
    }
    let snap: Snapshot = serde_json::from_slice(body).map_err(|e| fmt(e.to_string()))?;
    if snap.version != 1 {
        return Err(fmt(format!("unknown snapshot version {}", snap.version)));
    }
    let mut tables = Tables::new();
    for t in snap.tables {
        let mut table = Table::new(t.def);
        for j in t.items {
            let item = item_from_json(&j).map_err(|e| fmt(e.to_string()))?;
            let key = table.def.schema.try_key(&item).ok_or_else(|| fmt("item without its key".into()))?;
            table.items.insert(key, item);
        }
        tables.insert(table.def.name.clone(), table);
    }
    Ok((tables, snap.seq))
}

fn to_record(seq: u64, m: &Mutation) -> Record {
    match m {
        Mutation::CreateTable(def) => Record::CreateTable { seq, def: def.clone() },
        Mutation::UpdateTable(def) => Record::UpdateTable { seq, def: def.clone() },
        Mutation::DeleteTable(table) => Record::DeleteTable { seq, table: table.clone() },
        Mutation::Put { table, item } => Record::Put { seq, table: table.clone(), item: item_to_json(item) },
        Mutation::Delete { table, key } => Record::Delete { seq, table: table.clone(), key: item_to_json(key) },
    }
}

/// The mutations a record holds, with their sequence numbers.
fn from_record(r: Record) -> Result<Vec<(u64, Mutation)>, DynamoError> {
    let one = match r {
        Record::Batch { records } => {
            let nested = records.into_iter().map(from_record).collect::<Result<Vec<_>, _>>()?;
            return Ok(nested.into_iter().flatten().collect());
        }
        Record::CreateTable { seq, def } => (seq, Mutation::CreateTable(def)),
        Record::UpdateTable { seq, def } => (seq, Mutation::UpdateTable(def)),
        Record::DeleteTable { seq, table } => (seq, Mutation::DeleteTable(table)),
        Record::Put { seq, table, item } => (seq, Mutation::Put { table, item: item_from_json(&item)? }),
        Record::Delete { seq, table, key } => (seq, Mutation::Delete { table, key: item_from_json(&key)? }),
    };
    Ok(vec![one])
}

/// Applies a mutation in memory. Mutations were checked when made, so a put to a missing table
/// (possible only on replay after that table was deleted) is skipped.
fn apply(tables: &mut Tables, m: Mutation) {
    match m {
        Mutation::CreateTable(def) => {
            tables.insert(def.name.clone(), Table::new(def));
        }
        Mutation::UpdateTable(def) => {
            if let Some(t) = tables.get_mut(&def.name) {
                t.def = def;
            }
        }
        Mutation::DeleteTable(name) => {
            tables.remove(&name);
        }
        Mutation::Put { table, item } => {
            if let Some(t) = tables.get_mut(&table)
                && let Some(key) = t.def.schema.try_key(&item)
            {
                t.items.insert(key, item);
            }
        }
        Mutation::Delete { table, key } => {
            if let Some(t) = tables.get_mut(&table)
                && let Some(k) = t.def.schema.try_key(&key)
            {
                t.items.remove(&k);
            }
        }
    }
}
