use super::*;

fn identity_of(path: &Path) -> FileIdentity {
    FileIdentity::of_file(&File::open(path).unwrap()).unwrap()
}

#[test]
fn missing_file_is_empty_and_commit_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, b"a\nb\n").unwrap();
    let store_path = dir.path().join("state/checkpoints.json");
    let mut store = CheckpointStore::open(&store_path).unwrap();
    assert!(store.for_flow("f").is_empty());
    assert!(store.advance("f", &log, identity_of(&log), 2));
    store.commit().unwrap();
    // No temp file left behind.
    let names: Vec<_> = fs::read_dir(dir.path().join("state")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("checkpoints.json")]);

    let reopened = CheckpointStore::open(&store_path).unwrap();
    let cp = reopened.lookup("f", &File::open(&log).unwrap()).unwrap().unwrap();
    assert_eq!(cp.offset, 2);
    assert_eq!(cp.path, log);
    assert!(reopened.lookup("other-flow", &File::open(&log).unwrap()).unwrap().is_none());
}

#[test]
fn offsets_never_move_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, b"0123456789\n").unwrap();
    let mut store = CheckpointStore::open(dir.path().join("cp.json")).unwrap();
    assert!(store.advance("f", &log, identity_of(&log), 8));
    assert!(!store.advance("f", &log, identity_of(&log), 4));
    assert!(store.advance("f", &log, identity_of(&log), 11));
    assert_eq!(store.for_flow("f")[0].offset, 11);
}

#[test]
fn copytruncate_does_not_resume_at_the_old_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, b"old line one\nold line two\n").unwrap();
    let mut store = CheckpointStore::open(dir.path().join("cp.json")).unwrap();
    store.advance("f", &log, identity_of(&log), 26);
    // Truncate in place (same inode) and write new content.
    let f = fs::OpenOptions::new().write(true).truncate(true).open(&log).unwrap();
    drop(f);
    fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(b"new\n").unwrap();
    assert!(store.lookup("f", &File::open(&log).unwrap()).unwrap().is_none());
    // The new stream on the same inode replaces the old entry even at a lower offset.
    assert!(store.advance("f", &log, identity_of(&log), 4));
    assert_eq!(store.for_flow("f").len(), 1);
}

#[test]
fn corrupt_file_is_an_error_not_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cp.json");
    fs::write(&p, b"{not json").unwrap();
    let err = CheckpointStore::open(&p).unwrap_err();
    assert!(matches!(err, CheckpointError::Corrupt { .. }), "{err}");
    fs::write(&p, br#"{"version": 99, "checkpoints": []}"#).unwrap();
    assert!(matches!(CheckpointStore::open(&p).unwrap_err(), CheckpointError::Version { found: 99, .. }));
}

#[test]
fn prune_drops_stale_entries() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, b"x\n").unwrap();
    let mut store = CheckpointStore::open(dir.path().join("cp.json")).unwrap();
    store.advance("f", &log, identity_of(&log), 2);
    store.prune(Duration::from_secs(3600), SystemTime::now());
    assert_eq!(store.for_flow("f").len(), 1);
    store.prune(Duration::from_secs(3600), SystemTime::now() + Duration::from_secs(7200));
    assert!(store.for_flow("f").is_empty());
    store.commit().unwrap();
    assert!(CheckpointStore::open(dir.path().join("cp.json")).unwrap().for_flow("f").is_empty());
}
