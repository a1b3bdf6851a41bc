//! The v1 on-disk format, as pure encode/decode functions (no I/O).
//!
//! A segment file is an 8-byte file header followed by frames:
//!
//! ```text
//! file header : magic "RFLG" | version u32 (= 1)
//! frame       : prefix | header table | body
//! prefix      : magic "RFRM" | kind u8 | header_len u32 | body_len u32 | header_crc u32   (17 bytes)
//! data table  : n_blocks u32 | n × { shard u64, first_counter u64, count u32, body_offset u32,
//!               body_len u32, body_crc u32, first_arrival_ms i64, last_arrival_ms i64 }
//! checkpoint  : n u32 | n × { shard u64, next_counter u64, last_arrival_ms i64 }   (body empty)
//! block body  : count × { arrival delta varint | pk_len u16 | pk | data_len u32 | data }
//! ```
//!
//! Little-endian throughout. `header_crc` is CRC-32C over the prefix's kind and both lengths and
//! then the header table, so a flipped length is caught before we trust it to find the body.
//! Each block carries its own CRC so a reader verifies only the bytes it reads. A record's
//! arrival time is a delta from the previous record's (the first from the block's
//! `first_arrival_ms`): arrivals never decrease within a shard, and most deltas are 0, so this
//! costs one byte instead of eight. The counter is implicit: `first_counter + index`.

use crate::StoredRecord;
use bytes::Bytes;
use riffle_types::ShardKey;

pub(crate) const FILE_MAGIC: [u8; 4] = *b"RFLG";
pub(crate) const FORMAT_VERSION: u32 = 1;
pub(crate) const FILE_HEADER_LEN: u64 = 8;
pub(crate) const FRAME_MAGIC: u32 = u32::from_le_bytes(*b"RFRM");
pub(crate) const FRAME_PREFIX_LEN: usize = 17;
const BLOCK_ENTRY_LEN: usize = 48;
const CHECKPOINT_ENTRY_LEN: usize = 24;
/// The smallest encoded record: a one-byte arrival delta and both lengths.
const MIN_RECORD_LEN: usize = 1 + 2 + 4;

/// Why bytes are not a valid v1 structure. Callers add the file and offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FormatError {
    #[error("bad file magic")]
    FileMagic,
    #[error("unsupported format version {0} (this build reads version {FORMAT_VERSION})")]
    Version(u32),
    #[error("bad frame magic {0:#010x}")]
    FrameMagic(u32),
    #[error("unknown frame kind {0}")]
    FrameKind(u8),
    #[error("frame header checksum mismatch")]
    HeaderCrc,
    #[error("block checksum mismatch")]
    BlockCrc,
    #[error("malformed {0}")]
    Malformed(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Data = 1,
    Checkpoint = 2,
}

pub(crate) fn file_header() -> [u8; FILE_HEADER_LEN as usize] {
    let mut h = [0u8; FILE_HEADER_LEN as usize];
    h[..4].copy_from_slice(&FILE_MAGIC);
    h[4..].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

pub(crate) fn check_file_header(h: &[u8]) -> Result<(), FormatError> {
    if h.len() < FILE_HEADER_LEN as usize || h[..4] != FILE_MAGIC {
        return Err(FormatError::FileMagic);
    }
    match u32_at(h, 4) {
        FORMAT_VERSION => Ok(()),
        v => Err(FormatError::Version(v)),
    }
}

/// The fixed-size start of a frame; enough to know how long the rest is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FramePrefix {
    pub kind: FrameKind,
    pub header_len: u32,
    pub body_len: u32,
    crc: u32,
}

impl FramePrefix {
    pub fn frame_len(&self) -> u64 {
        FRAME_PREFIX_LEN as u64 + u64::from(self.header_len) + u64::from(self.body_len)
    }

    /// Offset of the body from the start of the frame.
    pub fn body_start(&self) -> u64 {
        FRAME_PREFIX_LEN as u64 + u64::from(self.header_len)
    }
}

pub(crate) fn parse_prefix(b: &[u8]) -> Result<FramePrefix, FormatError> {
    let magic = u32_at(b, 0);
    if magic != FRAME_MAGIC {
        return Err(FormatError::FrameMagic(magic));
    }
    let kind = match b[4] {
        1 => FrameKind::Data,
        2 => FrameKind::Checkpoint,
        k => return Err(FormatError::FrameKind(k)),
    };
    // Lengths are not trusted yet: callers check them against the file's size before reading
    // (so garbage cannot make us allocate), and the header CRC covers them.
    Ok(FramePrefix { kind, header_len: u32_at(b, 5), body_len: u32_at(b, 9), crc: u32_at(b, 13) })
}

/// One block's entry in a data frame's header table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    pub shard: ShardKey,
    pub first_counter: u64,
    pub count: u32,
    /// Relative to the start of the frame body.
    pub body_offset: u32,
    pub body_len: u32,
    pub crc: u32,
    pub first_arrival: i64,
    pub last_arrival: i64,
}

/// A shard's counter state as of a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CheckpointEntry {
    pub shard: ShardKey,
    pub next_counter: u64,
    pub last_arrival: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameHeader {
    Data(Vec<BlockHeader>),
    Checkpoint(Vec<CheckpointEntry>),
}

/// Checks the header CRC and decodes the table. `prefix_bytes` are the 17 prefix bytes.
pub(crate) fn parse_header(
    prefix_bytes: &[u8],
    prefix: &FramePrefix,
    table: &[u8],
) -> Result<FrameHeader, FormatError> {
    let crc = crc32c::crc32c_append(crc32c::crc32c(&prefix_bytes[4..13]), table);
    if crc != prefix.crc {
        return Err(FormatError::HeaderCrc);
    }
    if table.len() < 4 {
        return Err(FormatError::Malformed("frame header table"));
    }
    let n = u32_at(table, 0) as usize;
    match prefix.kind {
        FrameKind::Data => {
            if table.len() != 4 + n * BLOCK_ENTRY_LEN || n == 0 {
                return Err(FormatError::Malformed("data frame header table"));
            }
            let blocks = (0..n).map(|i| parse_block_entry(&table[4 + i * BLOCK_ENTRY_LEN..]));
            let blocks: Vec<BlockHeader> = blocks.collect();
            for b in &blocks {
                let end = u64::from(b.body_offset) + u64::from(b.body_len);
                if b.count == 0
                    || b.first_counter == 0
                    || b.first_counter.checked_add(u64::from(b.count)).is_none()
                    || end > u64::from(prefix.body_len)
                    || b.first_arrival > b.last_arrival
                {
                    return Err(FormatError::Malformed("block entry"));
                }
            }
            Ok(FrameHeader::Data(blocks))
        }
        FrameKind::Checkpoint => {
            if table.len() != 4 + n * CHECKPOINT_ENTRY_LEN || prefix.body_len != 0 {
                return Err(FormatError::Malformed("checkpoint frame"));
            }
            let entries = (0..n).map(|i| {
                let e = &table[4 + i * CHECKPOINT_ENTRY_LEN..];
                CheckpointEntry {
                    shard: ShardKey(u64_at(e, 0)),
                    next_counter: u64_at(e, 8),
                    last_arrival: u64_at(e, 16) as i64,
                }
            });
            Ok(FrameHeader::Checkpoint(entries.collect()))
        }
    }
}

fn parse_block_entry(e: &[u8]) -> BlockHeader {
    BlockHeader {
        shard: ShardKey(u64_at(e, 0)),
        first_counter: u64_at(e, 8),
        count: u32_at(e, 16),
        body_offset: u32_at(e, 20),
        body_len: u32_at(e, 24),
        crc: u32_at(e, 28),
        first_arrival: u64_at(e, 32) as i64,
        last_arrival: u64_at(e, 40) as i64,
    }
}

/// A record on its way into a frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordRef<'a> {
    pub arrival: i64,
    pub partition_key: &'a [u8],
    pub data: &'a [u8],
}

/// One shard's records for a frame, counters `first_counter..`, arrivals non-decreasing.
#[derive(Debug)]
pub(crate) struct BlockInput<'a> {
    pub shard: ShardKey,
    pub first_counter: u64,
    pub records: Vec<RecordRef<'a>>,
}

#[derive(Debug)]
pub(crate) struct EncodedFrame {
    pub bytes: Vec<u8>,
    pub blocks: Vec<BlockHeader>,
    /// Offset of the body from the start of the frame.
    pub body_start: u64,
}

/// Largest encoded size of one record, used to bound frame sizes before encoding.
pub(crate) fn record_size_bound(partition_key: usize, data: usize) -> usize {
    10 + 2 + partition_key + 4 + data
}

/// Encodes a data frame. Callers keep every length within u16/u32 (see `Log::append`).
pub(crate) fn encode_data_frame(inputs: &[BlockInput<'_>]) -> EncodedFrame {
    let table_len = 4 + inputs.len() * BLOCK_ENTRY_LEN;
    let body_start = FRAME_PREFIX_LEN + table_len;
    let body_bound: usize =
        inputs.iter().flat_map(|b| &b.records).map(|r| record_size_bound(r.partition_key.len(), r.data.len())).sum();
    let mut out = vec![0u8; body_start];
    out.reserve(body_bound);
    let mut blocks = Vec::with_capacity(inputs.len());
    for input in inputs {
        let start = out.len();
        let first_arrival = input.records.first().map_or(0, |r| r.arrival);
        let mut prev = first_arrival;
        for r in &input.records {
            let delta = u64::try_from(r.arrival - prev).expect("arrivals never decrease in a shard");
            put_varint(&mut out, delta);
            prev = r.arrival;
            out.extend_from_slice(&len_u16(r.partition_key.len()).to_le_bytes());
            out.extend_from_slice(r.partition_key);
            out.extend_from_slice(&len_u32(r.data.len()).to_le_bytes());
            out.extend_from_slice(r.data);
        }
        blocks.push(BlockHeader {
            shard: input.shard,
            first_counter: input.first_counter,
            count: len_u32(input.records.len()),
            body_offset: len_u32(start - body_start),
            body_len: len_u32(out.len() - start),
            crc: crc32c::crc32c(&out[start..]),
            first_arrival,
            last_arrival: prev,
        });
    }
    let mut table = Vec::with_capacity(table_len);
    table.extend_from_slice(&len_u32(blocks.len()).to_le_bytes());
    for b in &blocks {
        table.extend_from_slice(&b.shard.0.to_le_bytes());
        table.extend_from_slice(&b.first_counter.to_le_bytes());
        table.extend_from_slice(&b.count.to_le_bytes());
        table.extend_from_slice(&b.body_offset.to_le_bytes());
        table.extend_from_slice(&b.body_len.to_le_bytes());
        table.extend_from_slice(&b.crc.to_le_bytes());
        table.extend_from_slice(&b.first_arrival.to_le_bytes());
        table.extend_from_slice(&b.last_arrival.to_le_bytes());
    }
    let body_len = len_u32(out.len() - body_start);
    write_prefix(&mut out[..FRAME_PREFIX_LEN], FrameKind::Data, &table, body_len);
    out[FRAME_PREFIX_LEN..body_start].copy_from_slice(&table);
    EncodedFrame { bytes: out, blocks, body_start: body_start as u64 }
}

pub(crate) fn encode_checkpoint_frame(entries: &[CheckpointEntry]) -> Vec<u8> {
    let mut table = Vec::with_capacity(4 + entries.len() * CHECKPOINT_ENTRY_LEN);
    table.extend_from_slice(&len_u32(entries.len()).to_le_bytes());
    for e in entries {
        table.extend_from_slice(&e.shard.0.to_le_bytes());
        table.extend_from_slice(&e.next_counter.to_le_bytes());
        table.extend_from_slice(&e.last_arrival.to_le_bytes());
    }
    let mut out = vec![0u8; FRAME_PREFIX_LEN];
    write_prefix(&mut out, FrameKind::Checkpoint, &table, 0);
    out.extend_from_slice(&table);
    out
}

fn write_prefix(p: &mut [u8], kind: FrameKind, table: &[u8], body_len: u32) {
    p[0..4].copy_from_slice(&FRAME_MAGIC.to_le_bytes());
    p[4] = kind as u8;
    p[5..9].copy_from_slice(&len_u32(table.len()).to_le_bytes());
    p[9..13].copy_from_slice(&body_len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&p[4..13]), table);
    p[13..17].copy_from_slice(&crc.to_le_bytes());
}

pub(crate) fn verify_block(bytes: &[u8], crc: u32) -> Result<(), FormatError> {
    if crc32c::crc32c(bytes) == crc { Ok(()) } else { Err(FormatError::BlockCrc) }
}

/// Decodes a block body whose CRC the caller has verified. Records share `bytes`' allocation.
pub(crate) fn decode_block(bytes: &Bytes, h: &BlockInfo) -> Result<Vec<StoredRecord>, FormatError> {
    let malformed = || FormatError::Malformed("block body");
    let mut cur = Cursor { bytes, pos: 0 };
    let mut out = Vec::with_capacity((h.count as usize).min(bytes.len() / MIN_RECORD_LEN));
    let mut arrival = h.first_arrival;
    for i in 0..u64::from(h.count) {
        let delta = cur.varint().and_then(|d| i64::try_from(d).ok()).ok_or_else(malformed)?;
        arrival = arrival.checked_add(delta).ok_or_else(malformed)?;
        let pk_len = cur.array::<2>().map(u16::from_le_bytes).ok_or_else(malformed)?;
        let partition_key = cur.slice(usize::from(pk_len)).ok_or_else(malformed)?;
        let data_len = cur.array::<4>().map(u32::from_le_bytes).ok_or_else(malformed)?;
        let data = cur.slice(data_len as usize).ok_or_else(malformed)?;
        out.push(StoredRecord { counter: h.first_counter + i, arrival_ms: arrival, partition_key, data });
    }
    if cur.pos != bytes.len() || arrival != h.last_arrival {
        return Err(malformed());
    }
    Ok(out)
}

/// What decoding a block needs to know from its header entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockInfo {
    pub first_counter: u64,
    pub count: u32,
    pub first_arrival: i64,
    pub last_arrival: i64,
}

/// Reads a block body front to back; every method returns `None` past the end.
struct Cursor<'a> {
    bytes: &'a Bytes,
    pos: usize,
}

impl Cursor<'_> {
    fn slice(&mut self, n: usize) -> Option<Bytes> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len())?;
        let s = self.bytes.slice(self.pos..end);
        self.pos = end;
        Some(s)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let end = self.pos.checked_add(N).filter(|&e| e <= self.bytes.len())?;
        let a = self.bytes[self.pos..end].try_into().ok();
        self.pos = end;
        a
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn len_u16(n: usize) -> u16 {
    u16::try_from(n).expect("length checked by Log::append")
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).expect("length bounded by Log::append")
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
