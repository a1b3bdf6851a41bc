//! Helpers shared by the integration tests, including a minimal, independent reading of the
//! v1 frame layout (so hand-made damage lands where we mean it to).

use bytes::Bytes;
use riffle_log::{AppendRecord, FsyncPolicy, Log, LogOptions};
use riffle_types::ShardKey;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub const FILE_HEADER_LEN: u64 = 8;
pub const FRAME_PREFIX_LEN: u64 = 17;

pub fn opts(fsync: FsyncPolicy, segment_bytes: u64) -> LogOptions {
    LogOptions { fsync, segment_bytes, ..LogOptions::default() }
}

pub fn open(dir: &Path) -> Log {
    Log::open(dir, opts(FsyncPolicy::Always, 1 << 20)).unwrap()
}

pub fn rec(shard: u64, pk: &str, data: &str) -> AppendRecord {
    AppendRecord {
        shard: ShardKey(shard),
        partition_key: Bytes::copy_from_slice(pk.as_bytes()),
        data: Bytes::copy_from_slice(data.as_bytes()),
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Data of every visible record of a shard, in order.
pub fn read_all(log: &Log, shard: u64) -> Vec<(u64, String)> {
    let batch = log.read(ShardKey(shard), 0, usize::MAX, usize::MAX).unwrap();
    batch.records.iter().map(|r| (r.counter, String::from_utf8(r.data.to_vec()).unwrap())).collect()
}

pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    out.sort();
    out
}

#[derive(Debug, Clone, Copy)]
pub struct FrameAt {
    pub offset: u64,
    pub kind: u8,
    pub header_len: u64,
    pub body_len: u64,
}

impl FrameAt {
    pub fn body_start(&self) -> u64 {
        self.offset + FRAME_PREFIX_LEN + self.header_len
    }
    pub fn end(&self) -> u64 {
        self.body_start() + self.body_len
    }
}

/// The frames of a well-formed segment file.
pub fn frames(path: &Path) -> Vec<FrameAt> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut off = FILE_HEADER_LEN as usize;
    while off < bytes.len() {
        let u32_at = |at: usize| u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()));
        assert_eq!(&bytes[off..off + 4], b"RFRM");
        let f = FrameAt {
            offset: off as u64,
            kind: bytes[off + 4],
            header_len: u32_at(off + 5),
            body_len: u32_at(off + 9),
        };
        off = f.end() as usize;
        out.push(f);
    }
    out
}

pub fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}
