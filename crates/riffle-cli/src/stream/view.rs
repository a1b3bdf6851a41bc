//! What `riffle stream` shows: plain structs with stable snake_case keys for `--output json`,
//! and the same data as aligned tables for people. Hash keys stay exact decimal strings in JSON
//! (they are 128-bit); tables show them as shares of the key space, which is what a reader wants
//! to compare.

use aws_sdk_kinesis::types::{Shard, StreamDescriptionSummary};
use comfy_table::{CellAlignment, Table, presets};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StreamView {
    pub name: String,
    pub arn: String,
    pub status: String,
    /// PROVISIONED or ON_DEMAND.
    pub mode: String,
    pub open_shards: i32,
    pub retention_hours: i32,
    pub encryption: String,
    /// RFC 3339.
    pub created: String,
}

impl From<&StreamDescriptionSummary> for StreamView {
    fn from(s: &StreamDescriptionSummary) -> Self {
        Self {
            name: s.stream_name().to_string(),
            arn: s.stream_arn().to_string(),
            status: s.stream_status().as_str().to_string(),
            mode: s.stream_mode_details().map_or("PROVISIONED", |m| m.stream_mode().as_str()).to_string(),
            open_shards: s.open_shard_count(),
            retention_hours: s.retention_period_hours(),
            encryption: s.encryption_type().map_or("NONE", |e| e.as_str()).to_string(),
            created: s
                .stream_creation_timestamp()
                .fmt(aws_sdk_kinesis::primitives::DateTimeFormat::DateTime)
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ShardView {
    pub shard_id: String,
    pub parent_shard_id: Option<String>,
    pub adjacent_parent_shard_id: Option<String>,
    pub starting_hash_key: String,
    pub ending_hash_key: String,
    pub starting_sequence_number: String,
    /// Set once the shard is closed (split, merged or scaled away).
    pub ending_sequence_number: Option<String>,
    pub open: bool,
}

impl From<&Shard> for ShardView {
    fn from(s: &Shard) -> Self {
        let range = s.hash_key_range();
        let seq = s.sequence_number_range();
        let ending = seq.and_then(|r| r.ending_sequence_number()).map(str::to_string);
        Self {
            shard_id: s.shard_id().to_string(),
            parent_shard_id: s.parent_shard_id().map(str::to_string),
            adjacent_parent_shard_id: s.adjacent_parent_shard_id().map(str::to_string),
            starting_hash_key: range.map_or("", |r| r.starting_hash_key()).to_string(),
            ending_hash_key: range.map_or("", |r| r.ending_hash_key()).to_string(),
            starting_sequence_number: seq.map_or("", |r| r.starting_sequence_number()).to_string(),
            open: ending.is_none(),
            ending_sequence_number: ending,
        }
    }
}

/// `describe`'s answer (and split's, merge's, scale's: the stream as the change left it).
#[derive(Debug, Serialize)]
pub struct Described {
    pub stream: StreamView,
    pub shards: Vec<ShardView>,
}

/// A table with no borders: columns aligned by spaces, so it reads like `ls -l` and greps well.
fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING).set_header(header.iter().map(|h| h.to_uppercase()));
    t
}

fn finish(mut t: Table) -> String {
    // Two spaces between columns: NOTHING draws none, so pad every column but the last.
    let last = t.column_count().saturating_sub(1);
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_padding((0, if i < last { 2 } else { 0 }));
    }
    t.trim_fmt()
}

pub fn list_table(streams: &[StreamView]) -> String {
    let mut t = table(&["name", "status", "mode", "open shards", "retention"]);
    for s in streams {
        t.add_row(vec![
            s.name.clone(),
            s.status.clone(),
            s.mode.clone(),
            s.open_shards.to_string(),
            format!("{}h", s.retention_hours),
        ]);
    }
    if let Some(c) = t.column_mut(3) {
        c.set_cell_alignment(CellAlignment::Right);
    }
    finish(t)
}

/// The summary as `key  value` lines.
pub fn summary_table(s: &StreamView) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    for (k, v) in [
        ("stream", s.name.clone()),
        ("arn", s.arn.clone()),
        ("status", s.status.clone()),
        ("mode", s.mode.clone()),
        ("open shards", s.open_shards.to_string()),
        ("retention", format!("{}h", s.retention_hours)),
        ("encryption", s.encryption.clone()),
        ("created", s.created.clone()),
    ] {
        t.add_row(vec![k.to_string(), v]);
    }
    finish(t)
}

pub fn shard_table(shards: &[ShardView]) -> String {
    let mut t = table(&["shard", "hash range", "parent", "adjacent parent", "sequence range", "state"]);
    for s in shards {
        let dash = || "-".to_string();
        t.add_row(vec![
            s.shard_id.clone(),
            hash_range(&s.starting_hash_key, &s.ending_hash_key),
            s.parent_shard_id.clone().unwrap_or_else(dash),
            s.adjacent_parent_shard_id.clone().unwrap_or_else(dash),
            format!(
                "{}..{}",
                short_sequence(&s.starting_sequence_number),
                s.ending_sequence_number.as_deref().map_or(String::new(), short_sequence)
            ),
            if s.open { "open" } else { "closed" }.to_string(),
        ]);
    }
    finish(t)
}

pub fn described_text(d: &Described) -> String {
    let shards = if d.shards.is_empty() { "(no shards listed yet)".to_string() } else { shard_table(&d.shards) };
    format!("{}\n\n{shards}", summary_table(&d.stream))
}

/// `0-50%`: where a shard's range starts and ends as a share of the 128-bit key space.
pub fn hash_range(start: &str, end: &str) -> String {
    match (start.parse::<u128>(), end.parse::<u128>()) {
        (Ok(s), Ok(e)) => {
            let space = 2f64.powi(128);
            format!("{}-{}%", percent(s as f64 / space), percent((e as f64 + 1.0) / space))
        }
        _ => format!("{start}-{end}"),
    }
}

fn percent(share: f64) -> String {
    let text = format!("{:.2}", share * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Sequence numbers run to 56 digits; the first and last few tell them apart in a table (JSON
/// keeps them whole).
fn short_sequence(seq: &str) -> String {
    if seq.len() <= 12 { seq.to_string() } else { format!("{}…{}", &seq[..4], &seq[seq.len() - 6..]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ranges_read_as_shares_of_the_key_space() {
        let max = u128::MAX.to_string();
        let half = (1u128 << 127).to_string();
        let below_half = ((1u128 << 127) - 1).to_string();
        assert_eq!(hash_range("0", &max), "0-100%");
        assert_eq!(hash_range("0", &below_half), "0-50%");
        assert_eq!(hash_range(&half, &max), "50-100%");
        assert_eq!(hash_range(&(u128::MAX / 3).to_string(), &max), "33.33-100%");
    }

    #[test]
    fn long_sequence_numbers_are_shortened_in_tables_only() {
        assert_eq!(short_sequence("49590338271490256608559692538361571095921575989136588898"), "4959…588898");
        assert_eq!(short_sequence("12345"), "12345");
    }
}
