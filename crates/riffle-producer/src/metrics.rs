//! The KPL's metrics, by the KPL's names and dimensions (`StreamName`, `ShardId`, `ErrorCode`),
//! through the `metrics` facade: install any recorder (Prometheus, StatsD, ...) before
//! building the producer and they appear there. Handles are made once per stream, so the hot
//! path does no label allocation.

use metrics::{Counter, Gauge, Histogram, Label, counter, gauge, histogram};
use std::sync::Arc;

/// Metric names, as the KPL publishes them.
pub mod names {
    pub const USER_RECORDS_RECEIVED: &str = "UserRecordsReceived";
    pub const USER_RECORDS_PENDING: &str = "UserRecordsPending";
    pub const USER_RECORDS_PUT: &str = "UserRecordsPut";
    pub const USER_RECORDS_DATA_PUT: &str = "UserRecordsDataPut";
    pub const KINESIS_RECORDS_PUT: &str = "KinesisRecordsPut";
    pub const KINESIS_RECORDS_DATA_PUT: &str = "KinesisRecordsDataPut";
    pub const ERRORS_BY_CODE: &str = "ErrorsByCode";
    pub const ALL_ERRORS: &str = "AllErrors";
    pub const RETRIES_PER_RECORD: &str = "RetriesPerRecord";
    pub const USER_RECORD_EXPIRED: &str = "UserRecordExpired";
    pub const BUFFERING_TIME: &str = "BufferingTime";
    pub const REQUEST_TIME: &str = "RequestTime";
    pub const USER_RECORDS_PER_KINESIS_RECORD: &str = "UserRecordsPerKinesisRecord";
    pub const KINESIS_RECORDS_PER_PUT_RECORDS_REQUEST: &str = "KinesisRecordsPerPutRecordsRequest";
    pub const USER_RECORDS_PER_PUT_RECORDS_REQUEST: &str = "UserRecordsPerPutRecordsRequest";
}

use names::*;

/// One stream's handles.
#[derive(Debug, Clone)]
pub(crate) struct StreamMetrics {
    stream: Arc<str>,
    pub user_records_received: Counter,
    pub user_records_pending: Gauge,
    pub user_records_put: Counter,
    pub user_records_data_put: Counter,
    pub kinesis_records_put: Counter,
    pub kinesis_records_data_put: Counter,
    pub all_errors: Counter,
    pub retries_per_record: Histogram,
    pub user_record_expired: Counter,
    pub buffering_time: Histogram,
    pub request_time: Histogram,
    pub user_records_per_kinesis_record: Histogram,
    pub kinesis_records_per_request: Histogram,
    pub user_records_per_request: Histogram,
}

impl StreamMetrics {
    /// The stream these metrics are for.
    pub fn stream(&self) -> &Arc<str> {
        &self.stream
    }

    pub fn new(stream: Arc<str>) -> Self {
        let s = || stream.to_string();
        Self {
            user_records_received: counter!(USER_RECORDS_RECEIVED, "StreamName" => s()),
            user_records_pending: gauge!(USER_RECORDS_PENDING, "StreamName" => s()),
            user_records_put: counter!(USER_RECORDS_PUT, "StreamName" => s()),
            user_records_data_put: counter!(USER_RECORDS_DATA_PUT, "StreamName" => s()),
            kinesis_records_put: counter!(KINESIS_RECORDS_PUT, "StreamName" => s()),
            kinesis_records_data_put: counter!(KINESIS_RECORDS_DATA_PUT, "StreamName" => s()),
            all_errors: counter!(ALL_ERRORS, "StreamName" => s()),
            retries_per_record: histogram!(RETRIES_PER_RECORD, "StreamName" => s()),
            user_record_expired: counter!(USER_RECORD_EXPIRED, "StreamName" => s()),
            buffering_time: histogram!(BUFFERING_TIME, "StreamName" => s()),
            request_time: histogram!(REQUEST_TIME, "StreamName" => s()),
            user_records_per_kinesis_record: histogram!(USER_RECORDS_PER_KINESIS_RECORD, "StreamName" => s()),
            kinesis_records_per_request: histogram!(KINESIS_RECORDS_PER_PUT_RECORDS_REQUEST, "StreamName" => s()),
            user_records_per_request: histogram!(USER_RECORDS_PER_PUT_RECORDS_REQUEST, "StreamName" => s()),
            stream,
        }
    }

    /// Errors by code, per shard when the shard is known. Errors are the rare path, so these
    /// are looked up when they happen.
    pub fn error(&self, code: &str, shard: Option<&str>) {
        self.all_errors.increment(1);
        let mut labels =
            vec![Label::new("StreamName", self.stream.to_string()), Label::new("ErrorCode", code.to_string())];
        if let Some(shard) = shard {
            labels.push(Label::new("ShardId", shard.to_string()));
        }
        counter!(ERRORS_BY_CODE, labels).increment(1);
    }

    /// Kinesis records written to one shard (the shard-level series of KinesisRecordsPut).
    pub fn shard_put(&self, shard: &str, n: u64) {
        counter!(KINESIS_RECORDS_PUT, "StreamName" => self.stream.to_string(), "ShardId" => shard.to_string())
            .increment(n);
    }
}
