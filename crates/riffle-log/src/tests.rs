//! Unit tests that need to reach inside: fault injection for poisoning and a gate that holds
//! the writer inside an fsync so group commit can be counted exactly.

use crate::{AppendRecord, FsyncPolicy, Log, LogError, LogOptions};
use bytes::Bytes;
use parking_lot::Mutex;
use riffle_types::ShardKey;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// Test-only hooks the writer calls before each write and fsync.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub fail_write: AtomicBool,
    pub fail_sync: AtomicBool,
    /// Taken by the next fsync: it signals the first sender and waits on the receiver.
    pub sync_gate: Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>>,
}

impl Faults {
    pub fn before_write(&self) -> io::Result<()> {
        if self.fail_write.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected write failure"));
        }
        Ok(())
    }

    pub fn before_sync(&self) -> io::Result<()> {
        let gate = self.sync_gate.lock().take();
        if let Some((entered, release)) = gate {
            let _ = entered.send(());
            let _ = release.recv();
        }
        if self.fail_sync.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected fsync failure"));
        }
        Ok(())
    }
}

fn rec(shard: u64, data: &str) -> AppendRecord {
    AppendRecord {
        shard: ShardKey(shard),
        partition_key: Bytes::from_static(b"pk"),
        data: Bytes::copy_from_slice(data.as_bytes()),
    }
}

fn open(dir: &std::path::Path) -> Log {
    Log::open(dir, LogOptions { fsync: FsyncPolicy::Always, ..LogOptions::default() }).unwrap()
}

#[tokio::test]
async fn failed_fsync_poisons_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    log.append(vec![rec(1, "kept")]).await.unwrap();
    log.handle.shared.faults.fail_sync.store(true, Ordering::SeqCst);
    let err = log.append(vec![rec(1, "lost")]).await.unwrap_err();
    assert!(matches!(err, LogError::Io { .. }), "{err:?}");
    // Even once the disk is "fixed", nothing more is accepted.
    log.handle.shared.faults.fail_sync.store(false, Ordering::SeqCst);
    assert!(matches!(log.append(vec![rec(1, "later")]).await, Err(LogError::Poisoned)));
    assert!(matches!(log.append(vec![rec(2, "other")]).await, Err(LogError::Poisoned)));
    // Readers see only what was acknowledged.
    let batch = log.read(ShardKey(1), 0, 10, 1 << 20).unwrap();
    assert_eq!(batch.records.len(), 1);
    assert_eq!(batch.records[0].data, "kept");
    assert_eq!(log.shard_state(ShardKey(1)).next_counter, 2);
}

#[tokio::test]
async fn failed_write_poisons_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path(), LogOptions { fsync: FsyncPolicy::Never, ..LogOptions::default() }).unwrap();
    log.handle.shared.faults.fail_write.store(true, Ordering::SeqCst);
    assert!(matches!(log.append(vec![rec(1, "x")]).await, Err(LogError::Io { .. })));
    assert!(matches!(log.append(vec![rec(1, "y")]).await, Err(LogError::Poisoned)));
    assert_eq!(log.shard_state(ShardKey(1)).next_counter, 1);
}

/// Requests that arrive while an fsync is in flight are written meanwhile (the writer does not
/// wait for the disk) and all share the next fsync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_queued_during_an_fsync_share_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    *log.handle.shared.faults.sync_gate.lock() = Some((entered_tx, release_rx));
    let before = log.stats();

    let first = tokio::spawn({
        let log = log.clone();
        async move { log.append(vec![rec(0, "first")]).await }
    });
    tokio::task::spawn_blocking(move || entered.recv()).await.unwrap().unwrap();
    // The syncer is now parked inside the first group's fsync; the writer is free.
    let mut tasks = Vec::new();
    for i in 0..63u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move { log.append(vec![rec(i % 8, "x"), rec(100 + i, "y")]).await }));
    }
    while log.stats().appends < before.appends + 64 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    first.await.unwrap().unwrap();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let after = log.stats();
    let frames = after.frames - before.frames;
    assert!((2..=64).contains(&frames), "{frames} frames for 64 appends");
    assert_eq!(after.fsyncs - before.fsyncs, 2, "the first group's fsync, then one for all the rest");
    assert_eq!(after.records - before.records, 1 + 63 * 2);
    // Shard 0 got counters in the order requests reached the writer, with no gaps.
    let batch = log.read(ShardKey(0), 0, 100, 1 << 20).unwrap();
    let counters: Vec<u64> = batch.records.iter().map(|r| r.counter).collect();
    assert_eq!(counters, (1..=counters.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn appends_after_shutdown_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    log.append(vec![rec(1, "a")]).await.unwrap();
    log.shutdown();
    assert!(matches!(log.append(vec![rec(1, "b")]).await, Err(LogError::Closed)));
    assert_eq!(log.read(ShardKey(1), 1, 10, 100).unwrap().records.len(), 1);
    // The directory lock is released, so the log reopens (in this process, too).
    let again = open(dir.path());
    assert_eq!(again.shard_state(ShardKey(1)).next_counter, 2);
}

#[test]
fn a_second_open_of_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _log = open(dir.path());
    let err = Log::open(dir.path(), LogOptions::default()).unwrap_err();
    assert!(matches!(err, LogError::Io { ref source, .. } if source.kind() == io::ErrorKind::WouldBlock), "{err:?}");
}

#[tokio::test]
async fn watchers_wake_once_records_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let (a, b) = (ShardKey(1), ShardKey(2));
    let mut wa = log.watch_shard(a);
    let mut wb = log.watch_shard(b);
    assert_eq!(*wa.borrow_and_update(), 1);
    // A watched shard that was never written is not listed.
    assert!(log.shards().is_empty());
    log.append(vec![rec(1, "x"), rec(1, "y")]).await.unwrap();
    // The append is answered after publishing, so the change is already visible.
    assert!(wa.has_changed().unwrap());
    assert_eq!(*wa.borrow_and_update(), 3);
    assert!(!wb.has_changed().unwrap());
    let waiter = tokio::spawn(async move { wb.wait_for(|&n| n > 1).await.map(|n| *n).unwrap() });
    log.append(vec![rec(2, "z")]).await.unwrap();
    assert_eq!(waiter.await.unwrap(), 2);
    log.drop_shard(a);
    assert!(wa.has_changed().unwrap());
    assert_eq!(log.shards(), [b]);
}
