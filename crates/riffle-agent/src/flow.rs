//! One flow's reading loop: discovery and tailing ([`FileTracker`]), record building, and
//! handing records to the producer.
//!
//! The loop sleeps until a directory notification (inotify through `notify`), a deadline (the
//! safety rescan, a multi-line record to complete, a rotated file to drain) or shutdown, so an
//! idle agent costs nothing. Backpressure is end to end: `Producer::put` waits while the
//! producer's memory cap is reached and the acker's channel is bounded, so when the stream
//! cannot keep up the loop stops reading instead of queueing.

use std::collections::HashMap;
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use notify::{EventKind, RecursiveMode, Watcher, event::ModifyKind};
use riffle_producer::{Producer, PutError};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use crate::acker::{Pending, Sent};
use crate::checkpoint::CheckpointStore;
use crate::config::FlowConfig;
use crate::cursor::{Cursor, Cursors};
use crate::records::{BuiltRecord, RecordBuilder};
use crate::sender::partition_key;
use crate::stats::FlowStats;
use crate::tracker::{Event, FileTracker};

/// Bytes read from one file per turn, so one busy file does not starve the others.
const READ_CHUNK: usize = 1 << 20;
/// A pending multi-line record is completed after its file has been quiet this long.
const PENDING_QUIET: Duration = Duration::from_secs(1);
/// The safety rescan runs at least this often, whatever the notifications say.
const MAX_RESCAN: Duration = Duration::from_secs(5);

struct FileState {
    builder: RecordBuilder,
    cursor: Arc<Cursor>,
    /// Offset of the last record or position handed to the acker.
    enqueued: u64,
    last_line: Instant,
}

/// Everything one flow's loop owns.
pub struct FlowLoop {
    pub cfg: Arc<FlowConfig>,
    pub flow_id: Arc<str>,
    pub tracker: FileTracker,
    pub producer: Producer,
    pub ack_tx: mpsc::Sender<Pending>,
    pub store: Arc<Mutex<CheckpointStore>>,
    pub cursors: Cursors,
    pub stats: Arc<FlowStats>,
    files: HashMap<u64, FileState>,
    wake: Arc<Notify>,
    rescan: Arc<AtomicBool>,
    watcher: Option<notify::RecommendedWatcher>,
}

/// Why a loop ended early.
enum Stop {
    Requested,
}

impl FlowLoop {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: Arc<FlowConfig>,
        tracker: FileTracker,
        producer: Producer,
        ack_tx: mpsc::Sender<Pending>,
        store: Arc<Mutex<CheckpointStore>>,
        cursors: Cursors,
        stats: Arc<FlowStats>,
    ) -> Self {
        Self {
            flow_id: Arc::from(cfg.id.as_str()),
            cfg,
            tracker,
            producer,
            ack_tx,
            store,
            cursors,
            stats,
            files: HashMap::new(),
            wake: Arc::new(Notify::new()),
            rescan: Arc::new(AtomicBool::new(true)),
            watcher: None,
        }
    }

    /// Runs until `stop` turns true. Returns once no more records will be handed to the acker.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let refresh = self.cfg.max_time_between_file_tracker_refresh.clamp(Duration::from_millis(100), MAX_RESCAN);
        let mut next_scan = Instant::now();
        loop {
            if *stop.borrow() {
                return;
            }
            let now = Instant::now();
            if self.rescan.swap(false, Ordering::AcqRel) || now >= next_scan {
                self.ensure_watcher();
                let events = self.scan();
                next_scan = now + refresh;
                if self.handle(events, &mut stop).await.is_err() {
                    return;
                }
            }
            let events = self.tracker.poll(READ_CHUNK, now.into_std()).unwrap_or_default();
            let progressed = events.iter().any(|e| matches!(e, Event::Lines { .. }));
            if self.handle(events, &mut stop).await.is_err() || self.flush_quiet(now, &mut stop).await.is_err() {
                return;
            }
            if progressed {
                tokio::task::yield_now().await;
                continue;
            }
            self.stats.set_behind(self.tracker.behind());
            let mut deadline = next_scan;
            if self.tracker.has_unmatched() {
                deadline = deadline.min(now + self.cfg.min_time_between_file_polls.max(Duration::from_millis(10)));
            }
            for st in self.files.values() {
                if st.builder.pending_start().is_some() {
                    deadline = deadline.min(st.last_line + PENDING_QUIET);
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    fn scan(&mut self) -> Vec<Event> {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let flow = self.flow_id.clone();
        let mut lookup = |f: &File| store.lookup(&flow, f).ok().flatten().map(|c| c.offset);
        match self.tracker.scan(&mut lookup) {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!(flow = %self.flow_id, dir = %self.tracker.matcher().directory().display(), error = %e,
                    "cannot list the flow's directory; retrying");
                Vec::new()
            }
        }
    }

    /// Watches the flow's directory once it exists; until then the safety rescan finds files.
    fn ensure_watcher(&mut self) {
        if self.watcher.is_some() {
            return;
        }
        let (wake, rescan) = (self.wake.clone(), self.rescan.clone());
        let handler = move |res: notify::Result<notify::Event>| {
            let data_only = matches!(&res, Ok(e) if matches!(e.kind, EventKind::Modify(ModifyKind::Data(_))));
            if !data_only {
                rescan.store(true, Ordering::Release);
            }
            wake.notify_one();
        };
        let dir = self.tracker.matcher().directory().to_owned();
        match notify::recommended_watcher(handler)
            .and_then(|mut w| w.watch(&dir, RecursiveMode::NonRecursive).map(|()| w))
        {
            Ok(w) => self.watcher = Some(w),
            Err(e) => tracing::debug!(dir = %dir.display(), error = %e, "not watching yet; polling"),
        }
    }

    async fn handle(&mut self, events: Vec<Event>, stop: &mut watch::Receiver<bool>) -> Result<(), Stop> {
        for event in events {
            match event {
                Event::Opened { file, path, identity, offset, copied } => {
                    let builder = match RecordBuilder::new(&self.cfg) {
                        Ok(b) => b,
                        Err(e) => {
                            // Checked at start (crate::agent); a failure here would be a bug.
                            tracing::error!(flow = %self.flow_id, error = %e, "cannot build records");
                            return Err(Stop::Requested);
                        }
                    };
                    tracing::info!(flow = %self.flow_id, path = %path.display(), offset, "tracking file");
                    // A copytruncate copy starts after what was read of the original, but its
                    // checkpoint may only move there once the original's records are
                    // acknowledged: until then it says 0 (a crash re-sends the copy rather than
                    // lose what was in flight), and a marker behind those records moves it.
                    let acked = if copied { 0 } else { offset };
                    let cursor = Arc::new(Cursor::new(path, identity, acked));
                    self.register(&cursor);
                    let st = FileState { builder, cursor: cursor.clone(), enqueued: offset, last_line: Instant::now() };
                    self.files.insert(file, st);
                    if copied && offset > 0 {
                        self.enqueue(Pending { cursor, end_offset: offset, record: None }, stop).await?;
                    }
                }
                Event::Lines { file, lines } => {
                    let Some(st) = self.files.get_mut(&file) else { continue };
                    let mut records = Vec::new();
                    let mut bytes = 0;
                    for line in &lines {
                        bytes += line.data.len() as u64 + u64::from(!line.cut);
                        records.extend(st.builder.push_line(line));
                    }
                    st.last_line = Instant::now();
                    let last_end = lines.last().map_or(st.enqueued, |l| l.end_offset);
                    let safe = st.builder.pending_start().unwrap_or(last_end);
                    self.stats.parsed(records.len() as u64, bytes);
                    self.send_all(file, records, Some(safe), stop).await?;
                }
                Event::Truncated { file, identity } => {
                    let Some(st) = self.files.get_mut(&file) else { continue };
                    let last = st.builder.flush();
                    self.send_all(file, last.into_iter().collect(), None, stop).await?;
                    let Some(st) = self.files.get_mut(&file) else { continue };
                    let path = st.cursor.path();
                    tracing::info!(flow = %self.flow_id, path = %path.display(), "file truncated in place; reading its new content");
                    st.cursor.retire();
                    st.builder.reset_for_new_file();
                    st.cursor = Arc::new(Cursor::new(path, identity, 0));
                    st.enqueued = 0;
                    let cursor = st.cursor.clone();
                    self.register(&cursor);
                }
                Event::Identity { file, identity } => {
                    if let Some(st) = self.files.get(&file) {
                        st.cursor.set_identity(identity);
                    }
                }
                Event::Closed { file } => {
                    let Some(st) = self.files.get_mut(&file) else { continue };
                    let last = st.builder.flush();
                    self.send_all(file, last.into_iter().collect(), None, stop).await?;
                    if let Some(st) = self.files.remove(&file) {
                        tracing::info!(flow = %self.flow_id, path = %st.cursor.path().display(), "file done");
                        st.cursor.close(st.enqueued);
                    }
                }
            }
        }
        Ok(())
    }

    fn register(&self, cursor: &Arc<Cursor>) {
        self.cursors.lock().unwrap_or_else(PoisonError::into_inner).push((self.flow_id.clone(), cursor.clone()));
    }

    /// Completes multi-line records whose file has gone quiet.
    async fn flush_quiet(&mut self, now: Instant, stop: &mut watch::Receiver<bool>) -> Result<(), Stop> {
        let due: Vec<u64> = self
            .files
            .iter()
            .filter(|(_, st)| st.builder.pending_start().is_some() && now >= st.last_line + PENDING_QUIET)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(st) = self.files.get_mut(&id) else { continue };
            let last = st.builder.flush();
            self.send_all(id, last.into_iter().collect(), None, stop).await?;
        }
        Ok(())
    }

    /// Puts `records` of one file and hands them to the acker, then (when `safe` passes the
    /// last of them) a bare position for lines that made no record.
    async fn send_all(
        &mut self,
        file: u64,
        records: Vec<BuiltRecord>,
        safe: Option<u64>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), Stop> {
        let Some(st) = self.files.get(&file) else { return Ok(()) };
        let cursor = st.cursor.clone();
        let mut enqueued = st.enqueued;
        for rec in records {
            let end = rec.end_offset;
            let record = self.put(rec, stop).await?;
            self.enqueue(Pending { cursor: cursor.clone(), end_offset: end, record }, stop).await?;
            enqueued = enqueued.max(end);
        }
        if let Some(safe) = safe.filter(|s| *s > enqueued) {
            self.enqueue(Pending { cursor: cursor.clone(), end_offset: safe, record: None }, stop).await?;
            enqueued = safe;
        }
        if let Some(st) = self.files.get_mut(&file) {
            st.enqueued = enqueued;
        }
        Ok(())
    }

    /// Puts one record, waiting while the producer is full. A record `put` refuses outright
    /// (larger than any record Kinesis takes) can never be sent: it is logged and counted as
    /// failed, and the checkpoint moves past it rather than stall the file forever.
    async fn put(&self, rec: BuiltRecord, stop: &mut watch::Receiver<bool>) -> Result<Option<Sent>, Stop> {
        let key = partition_key(self.cfg.partition_key, &rec.data);
        let data = Bytes::from(rec.data);
        let result = tokio::select! {
            r = self.producer.put(&self.cfg.stream, &key, data.clone()) => r,
            _ = stop.wait_for(|s| *s) => return Err(Stop::Requested),
        };
        match result {
            Ok(future) => Ok(Some(Sent { partition_key: key, data, future })),
            Err(PutError::ShutDown) => Err(Stop::Requested),
            Err(e) => {
                self.stats.failed();
                tracing::error!(flow = %self.flow_id, error = %e, end_offset = rec.end_offset,
                    "record can never be sent and is skipped");
                Ok(None)
            }
        }
    }

    async fn enqueue(&self, p: Pending, stop: &mut watch::Receiver<bool>) -> Result<(), Stop> {
        tokio::select! {
            r = self.ack_tx.send(p) => r.map_err(|_| Stop::Requested),
            _ = stop.wait_for(|s| *s) => Err(Stop::Requested),
        }
    }
}
