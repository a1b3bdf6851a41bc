//! A checked-in v1 log directory, written by this crate's own writer, must keep opening with
//! exactly these contents. If a format change breaks this test, the change needs a new version
//! number and a reader for v1 — not a regenerated fixture.

use crate::util::{opts, rec, segments};
use riffle_log::{FsyncPolicy, Log, ShardState};
use riffle_types::ShardKey;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1")
}

/// Regenerates the fixture. Run by hand only when adding a new format version's fixture:
/// `cargo test -p riffle-log --test it fixture::write_v1_fixture -- --ignored`
#[tokio::test]
#[ignore = "writes into the source tree"]
async fn write_v1_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    // Small segments so the fixture holds a roll and a non-empty checkpoint.
    let log = Log::open(tmp.path(), opts(FsyncPolicy::Always, 200)).unwrap();
    let a = ShardKey::new(1, 0).0;
    let b = ShardKey::new(1, 1).0;
    log.append(vec![rec(a, "pk-a", "alpha"), rec(b, "pk-b", "beta"), rec(a, "pk-c", "gamma")]).await.unwrap();
    let tick = || std::thread::sleep(std::time::Duration::from_millis(5));
    tick();
    log.append(vec![rec(a, "pk-d", "delta")]).await.unwrap();
    tick();
    log.append(vec![rec(b, "pk-e", "epsilon"), rec(ShardKey::new(2, 0).0, "", "")]).await.unwrap();
    tick();
    log.append(vec![rec(a, "pk-f", &"x".repeat(300))]).await.unwrap();
    log.shutdown();
    let out = fixture_dir();
    std::fs::create_dir_all(&out).unwrap();
    for seg in segments(tmp.path()) {
        std::fs::copy(&seg, out.join(seg.file_name().unwrap())).unwrap();
    }
}

#[test]
fn v1_fixture_opens_with_exact_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let files = segments(&fixture_dir());
    assert_eq!(files.len(), 4, "fixture files");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(&bytes[..8], b"RFLG\x01\x00\x00\x00");
        std::fs::copy(f, tmp.path().join(f.file_name().unwrap())).unwrap();
    }
    let log = Log::open(tmp.path(), opts(FsyncPolicy::Never, 1 << 20)).unwrap();
    let (a, b, c) = (ShardKey::new(1, 0), ShardKey::new(1, 1), ShardKey::new(2, 0));
    assert_eq!(log.shards(), [a, b, c]);

    let dump = |shard| -> Vec<(u64, i64, String, String)> {
        let batch = log.read(shard, 0, usize::MAX, usize::MAX).unwrap();
        batch
            .records
            .into_iter()
            .map(|r| {
                let s = |b: bytes::Bytes| String::from_utf8(b.to_vec()).unwrap();
                (r.counter, r.arrival_ms, s(r.partition_key), s(r.data))
            })
            .collect()
    };
    let t = FIXTURE_ARRIVALS;
    let s = |x: &str| x.to_string();
    assert_eq!(
        dump(a),
        [
            (1, t[0], s("pk-a"), s("alpha")),
            (2, t[0], s("pk-c"), s("gamma")),
            (3, t[1], s("pk-d"), s("delta")),
            (4, t[3], s("pk-f"), "x".repeat(300)),
        ]
    );
    assert_eq!(dump(b), [(1, t[0], s("pk-b"), s("beta")), (2, t[2], s("pk-e"), s("epsilon"))]);
    assert_eq!(dump(c), [(1, t[2], s(""), s(""))]);
    assert_eq!(log.shard_state(a), ShardState { trim_counter: 1, next_counter: 5, last_arrival_ms: t[3] });
    assert_eq!(log.counter_at_timestamp(a, t[1]), 3);
    assert_eq!(log.counter_at_timestamp(a, t[1] + 1), 4);
    assert_eq!(log.counter_at_timestamp(b, t[1]), 2);
    assert_eq!(log.counter_at_timestamp(c, t[3]), 2);
}

/// Arrival times the generator happened to record, one per append.
const FIXTURE_ARRIVALS: [i64; 4] = [1_795_631_545_546, 1_795_631_545_557, 1_795_631_545_563, 1_795_631_545_569];
