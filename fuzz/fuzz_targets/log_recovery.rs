#![no_main]
//! Recovery over arbitrary segment bytes: it must open (truncating a torn tail) or refuse with
//! an error, never panic; and whatever it opens must be readable.

use riffle_log::{Log, LogOptions, FsyncPolicy};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("00000000000000000001.seg"), data).unwrap();
    let opts = LogOptions { fsync: FsyncPolicy::Never, ..LogOptions::default() };
    if let Ok(log) = Log::open(dir.path(), opts) {
        for shard in log.shards() {
            let state = log.shard_state(shard);
            let _ = log.read(shard, state.trim_counter, 100, 1 << 20);
        }
        log.shutdown();
    }
});
