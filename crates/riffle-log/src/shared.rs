//! State shared by the writer thread, readers and retention.
//!
//! Lock order: `index` before `cache`. Neither is held across file I/O.

use crate::index::{BlockCache, Index};
use crate::{LogObserver, LogStats};
use parking_lot::{Mutex, RwLock};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug)]
pub(crate) struct Shared {
    pub dir: PathBuf,
    pub index: RwLock<Index>,
    pub cache: Mutex<BlockCache>,
    pub stats: Stats,
    /// Set once a write or fsync fails; never cleared while the process lives.
    pub poisoned: AtomicBool,
    pub observer: Option<Arc<dyn LogObserver>>,
    #[cfg(test)]
    pub faults: crate::tests::Faults,
}

impl Shared {
    pub fn new(dir: PathBuf, index: Index, cache: BlockCache, observer: Option<Arc<dyn LogObserver>>) -> Self {
        Self {
            dir,
            index: RwLock::new(index),
            cache: Mutex::new(cache),
            stats: Stats::default(),
            poisoned: AtomicBool::new(false),
            observer,
            #[cfg(test)]
            faults: crate::tests::Faults::default(),
        }
    }

    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }
}

/// Cheap counters, relaxed: they are for observation, not synchronisation.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub appends: AtomicU64,
    pub records: AtomicU64,
    pub frames: AtomicU64,
    pub bytes_written: AtomicU64,
    pub fsyncs: AtomicU64,
    pub segments_created: AtomicU64,
    pub segments_deleted: AtomicU64,
    pub block_list_loads: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> LogStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LogStats {
            appends: get(&self.appends),
            records: get(&self.records),
            frames: get(&self.frames),
            bytes_written: get(&self.bytes_written),
            fsyncs: get(&self.fsyncs),
            segments_created: get(&self.segments_created),
            segments_deleted: get(&self.segments_deleted),
            block_list_loads: get(&self.block_list_loads),
        }
    }
}
