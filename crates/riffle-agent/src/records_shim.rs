//! TEMPORARY stand-in for `crate::records` (being written concurrently): one line per record,
//! with its `\n`, as the real builder does without options. Removed once `records` lands.

use crate::config::FlowConfig;
use crate::tailer::Line;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRecord {
    pub data: Vec<u8>,
    pub end_offset: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("unsupported")]
pub struct RecordError;

#[derive(Debug)]
pub struct RecordBuilder;

impl RecordBuilder {
    pub fn new(_flow: &FlowConfig) -> Result<Self, RecordError> {
        Ok(Self)
    }

    pub fn push_line(&mut self, line: &Line) -> Vec<BuiltRecord> {
        let mut data = line.data.clone();
        data.push(b'\n');
        vec![BuiltRecord { data, end_offset: line.end_offset }]
    }

    pub fn flush(&mut self) -> Option<BuiltRecord> {
        None
    }

    pub fn pending_start(&self) -> Option<u64> {
        None
    }

    pub fn reset_for_new_file(&mut self) {}
}
