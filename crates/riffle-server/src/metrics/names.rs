//! Metric names. Kinesis's own metrics keep CloudWatch's names, with one mechanical rule since
//! Prometheus names cannot hold dots: `kinesis_` + the CloudWatch name, `.` replaced by `_`
//! (`PutRecords.Latency` is `kinesis_PutRecords_Latency`). Labels are CloudWatch's dimensions:
//! `StreamName`, `ShardId`, `ConsumerName` — the dimensions riffle-producer and
//! riffle-consumer use for the KPL's and KCL's metrics too. What CloudWatch has no name for
//! (storage, the process) follows Prometheus's conventions instead. docs/metrics.md has the table.

pub const INCOMING_BYTES: &str = "kinesis_IncomingBytes";
pub const INCOMING_RECORDS: &str = "kinesis_IncomingRecords";
pub const OUTGOING_BYTES: &str = "kinesis_OutgoingBytes";
pub const OUTGOING_RECORDS: &str = "kinesis_OutgoingRecords";
pub const WRITE_EXCEEDED: &str = "kinesis_WriteProvisionedThroughputExceeded";
pub const READ_EXCEEDED: &str = "kinesis_ReadProvisionedThroughputExceeded";
pub const ITERATOR_AGE: &str = "kinesis_GetRecords_IteratorAgeMilliseconds";

pub const PUT_RECORD_BYTES: &str = "kinesis_PutRecord_Bytes";
pub const PUT_RECORD_LATENCY: &str = "kinesis_PutRecord_Latency";
pub const PUT_RECORD_SUCCESS: &str = "kinesis_PutRecord_Success";

pub const PUT_RECORDS_BYTES: &str = "kinesis_PutRecords_Bytes";
pub const PUT_RECORDS_LATENCY: &str = "kinesis_PutRecords_Latency";
pub const PUT_RECORDS_SUCCESS: &str = "kinesis_PutRecords_Success";
pub const PUT_RECORDS_RECORDS: &str = "kinesis_PutRecords_Records";
pub const PUT_RECORDS_SUCCESSFUL: &str = "kinesis_PutRecords_SuccessfulRecords";
pub const PUT_RECORDS_FAILED: &str = "kinesis_PutRecords_FailedRecords";
pub const PUT_RECORDS_THROTTLED: &str = "kinesis_PutRecords_ThrottledRecords";
pub const PUT_RECORDS_TOTAL: &str = "kinesis_PutRecords_TotalRecords";

pub const GET_RECORDS_BYTES: &str = "kinesis_GetRecords_Bytes";
pub const GET_RECORDS_RECORDS: &str = "kinesis_GetRecords_Records";
pub const GET_RECORDS_LATENCY: &str = "kinesis_GetRecords_Latency";
pub const GET_RECORDS_SUCCESS: &str = "kinesis_GetRecords_Success";

pub const SUBSCRIBE_RATE_EXCEEDED: &str = "kinesis_SubscribeToShard_RateExceeded";
pub const SUBSCRIBE_SUCCESS: &str = "kinesis_SubscribeToShard_Success";
pub const EVENT_BYTES: &str = "kinesis_SubscribeToShardEvent_Bytes";
pub const EVENT_RECORDS: &str = "kinesis_SubscribeToShardEvent_Records";
pub const EVENT_MILLIS_BEHIND: &str = "kinesis_SubscribeToShardEvent_MillisBehindLatest";
pub const EVENT_SUCCESS: &str = "kinesis_SubscribeToShardEvent_Success";

pub const LOG_FSYNC_SECONDS: &str = "riffle_log_fsync_seconds";
pub const LOG_GROUP_REQUESTS: &str = "riffle_log_group_requests";
pub const LOG_GROUP_RECORDS: &str = "riffle_log_group_records";
pub const LOG_GROUP_BYTES: &str = "riffle_log_group_bytes";

/// CloudWatch reports latencies in milliseconds; so do we.
pub const LATENCY_MS_BUCKETS: &[f64] =
    &[0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0];
pub const FSYNC_SECONDS_BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
pub const GROUP_REQUESTS_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
pub const GROUP_RECORDS_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 500.0, 1000.0, 5000.0, 10_000.0, 50_000.0, 100_000.0];
pub const GROUP_BYTES_BUCKETS: &[f64] =
    &[1024.0, 16_384.0, 131_072.0, 1_048_576.0, 4_194_304.0, 16_777_216.0, 67_108_864.0];

/// HELP text for every recorder-held metric, CloudWatch's definition where there is one.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(INCOMING_BYTES, "Bytes (data and partition keys) successfully put to the shard");
    describe_counter!(INCOMING_RECORDS, "Records successfully put to the shard");
    describe_counter!(OUTGOING_BYTES, "Bytes read from the shard by GetRecords and SubscribeToShard");
    describe_counter!(OUTGOING_RECORDS, "Records read from the shard by GetRecords and SubscribeToShard");
    describe_counter!(WRITE_EXCEEDED, "Records rejected by the shard's write throughput limit");
    describe_counter!(READ_EXCEEDED, "GetRecords calls rejected by the shard's read throughput limit");
    describe_gauge!(ITERATOR_AGE, "Age in ms of the last record of the shard's latest GetRecords call");
    describe_counter!(PUT_RECORD_BYTES, "Bytes put by successful PutRecord calls");
    describe_histogram!(PUT_RECORD_LATENCY, "Milliseconds per successful PutRecord call");
    describe_counter!(PUT_RECORD_SUCCESS, "Successful PutRecord calls");
    describe_counter!(PUT_RECORDS_BYTES, "Bytes of the records PutRecords wrote");
    describe_histogram!(PUT_RECORDS_LATENCY, "Milliseconds per PutRecords call that was answered");
    describe_counter!(PUT_RECORDS_SUCCESS, "PutRecords calls with at least one record written");
    describe_counter!(PUT_RECORDS_RECORDS, "Records PutRecords wrote (CloudWatch's older name of SuccessfulRecords)");
    describe_counter!(PUT_RECORDS_SUCCESSFUL, "Records PutRecords wrote");
    describe_counter!(PUT_RECORDS_FAILED, "Records PutRecords refused with an internal failure");
    describe_counter!(PUT_RECORDS_THROTTLED, "Records PutRecords refused for throughput");
    describe_counter!(PUT_RECORDS_TOTAL, "Records sent in PutRecords calls");
    describe_counter!(GET_RECORDS_BYTES, "Bytes returned by GetRecords");
    describe_counter!(GET_RECORDS_RECORDS, "Records returned by GetRecords");
    describe_histogram!(GET_RECORDS_LATENCY, "Milliseconds per successful GetRecords call");
    describe_counter!(GET_RECORDS_SUCCESS, "Successful GetRecords calls");
    describe_counter!(SUBSCRIBE_RATE_EXCEEDED, "SubscribeToShard calls refused: the consumer is already subscribed");
    describe_counter!(SUBSCRIBE_SUCCESS, "Subscriptions started");
    describe_counter!(EVENT_BYTES, "Record bytes sent in SubscribeToShard events");
    describe_counter!(EVENT_RECORDS, "Records sent in SubscribeToShard events");
    describe_gauge!(EVENT_MILLIS_BEHIND, "MillisBehindLatest of the subscription's latest event");
    describe_counter!(EVENT_SUCCESS, "SubscribeToShard events sent, heartbeats included");
    describe_histogram!(LOG_FSYNC_SECONDS, "Seconds per fsync of the log's active segment");
    describe_histogram!(LOG_GROUP_REQUESTS, "Append requests per group commit");
    describe_histogram!(LOG_GROUP_RECORDS, "Records per group commit");
    describe_histogram!(LOG_GROUP_BYTES, "Bytes per group commit frame");
}
