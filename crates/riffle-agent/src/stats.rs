//! Per-flow counters: the periodic progress line, and the same figures through the `metrics`
//! facade under the Java agent's log-counter names (kinesis-spec 6.5), labelled
//! `Destination=KinesisStream:<stream>`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use metrics::{Counter, Gauge, counter, gauge};

/// Metric names.
pub mod names {
    pub const RECORDS_PARSED: &str = "Parser.TotalRecordsParsed";
    pub const BYTES_CONSUMED: &str = "Parser.TotalBytesConsumed";
    pub const RECORDS_SENT: &str = "KinesisSender.TotalRecordsSent";
    pub const RECORDS_FAILED: &str = "KinesisSender.TotalRecordsFailed";
    pub const FILES_TRACKED: &str = "FileTailer.FilesTracked";
    pub const BYTES_BEHIND: &str = "FileTailer.BytesBehind";
}

/// One flow's figures.
#[derive(Debug)]
pub struct FlowStats {
    pub flow: String,
    parsed: AtomicU64,
    bytes: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    behind: Mutex<Vec<(PathBuf, u64)>>,
    m_parsed: Counter,
    m_bytes: Counter,
    m_sent: Counter,
    m_failed: Counter,
    m_files: Gauge,
    m_behind: Gauge,
}

/// A copy of the figures at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub parsed: u64,
    pub bytes: u64,
    pub sent: u64,
    pub failed: u64,
    pub behind: Vec<(PathBuf, u64)>,
}

impl FlowStats {
    pub fn new(flow: &str, stream: &str) -> Self {
        let d = || format!("KinesisStream:{stream}");
        Self {
            flow: flow.to_owned(),
            parsed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            behind: Mutex::new(Vec::new()),
            m_parsed: counter!(names::RECORDS_PARSED, "Destination" => d()),
            m_bytes: counter!(names::BYTES_CONSUMED, "Destination" => d()),
            m_sent: counter!(names::RECORDS_SENT, "Destination" => d()),
            m_failed: counter!(names::RECORDS_FAILED, "Destination" => d()),
            m_files: gauge!(names::FILES_TRACKED, "Destination" => d()),
            m_behind: gauge!(names::BYTES_BEHIND, "Destination" => d()),
        }
    }

    pub fn parsed(&self, records: u64, bytes: u64) {
        self.parsed.fetch_add(records, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.m_parsed.increment(records);
        self.m_bytes.increment(bytes);
    }

    pub fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.m_sent.increment(1);
    }

    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.m_failed.increment(1);
    }

    pub fn set_behind(&self, files: Vec<(PathBuf, u64)>) {
        self.m_files.set(files.len() as f64);
        self.m_behind.set(files.iter().map(|(_, b)| *b).sum::<u64>() as f64);
        *self.behind.lock().unwrap_or_else(PoisonError::into_inner) = files;
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            parsed: self.parsed.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            behind: self.behind.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        }
    }

    /// Logs the progress line.
    pub fn log(&self) {
        let s = self.snapshot();
        let total: u64 = s.behind.iter().map(|(_, b)| *b).sum();
        let files: Vec<String> = s.behind.iter().map(|(p, b)| format!("{}:{b}", p.display())).collect();
        tracing::info!(
            flow = %self.flow,
            parsed = s.parsed,
            sent = s.sent,
            failed = s.failed,
            bytes = s.bytes,
            bytes_behind = total,
            files = %files.join(" "),
            "progress"
        );
    }
}
