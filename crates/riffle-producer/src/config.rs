//! Producer settings, named and defaulted as the KPL names and defaults them, so a team moving
//! off the KPL keeps its tuning. A few settings the KPL lacks (the memory cap, the backoff) are
//! Riffle's own and say so.
//!
//! Each setter checks the KPL's range for its value; the first value out of range is kept and
//! reported when the producer is built, so settings chain without a `?` on every line.

use std::time::Duration;

/// What `put` does when the buffered bytes would exceed [`ProducerConfig::max_buffered_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Wait (asynchronously) until earlier records complete and free room.
    Wait,
    /// Return [`crate::PutError::BufferFull`] at once.
    FailFast,
}

/// A setting given a value outside its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} must be {range}, got {value}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub range: &'static str,
    pub value: String,
}

/// Settings of a [`crate::Producer`]. `Default` is the KPL's defaults.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub(crate) aggregation_enabled: bool,
    pub(crate) aggregation_max_count: u64,
    pub(crate) aggregation_max_size: usize,
    pub(crate) collection_max_count: usize,
    pub(crate) collection_max_size: usize,
    pub(crate) record_max_buffered_time: Duration,
    pub(crate) record_ttl: Duration,
    pub(crate) rate_limit: u64,
    pub(crate) fail_if_throttled: bool,
    pub(crate) max_connections: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_user_record_size: usize,
    pub(crate) region: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) max_buffered_bytes: usize,
    pub(crate) when_full: WhenFull,
    pub(crate) retry_base_delay: Duration,
    pub(crate) retry_max_delay: Duration,
    pub(crate) cbor_enabled: bool,
    pub(crate) error: Option<ConfigError>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            aggregation_enabled: true,
            aggregation_max_count: 4_294_967_295,
            aggregation_max_size: 51_200,
            collection_max_count: 500,
            collection_max_size: 5_242_880,
            record_max_buffered_time: Duration::from_millis(100),
            record_ttl: Duration::from_millis(30_000),
            rate_limit: 150,
            fail_if_throttled: false,
            max_connections: 24,
            connect_timeout: Duration::from_millis(6_000),
            request_timeout: Duration::from_millis(6_000),
            max_user_record_size: 1_048_576,
            region: None,
            endpoint_url: None,
            max_buffered_bytes: 256 * 1024 * 1024,
            when_full: WhenFull::Wait,
            retry_base_delay: Duration::from_millis(100),
            retry_max_delay: Duration::from_millis(5_000),
            cbor_enabled: true,
            error: None,
        }
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

impl ProducerConfig {
    pub fn new() -> Self {
        Self::default()
    }

    fn check<T: std::fmt::Display>(mut self, ok: bool, setting: &'static str, range: &'static str, value: T) -> Self {
        if !ok && self.error.is_none() {
            self.error = Some(ConfigError { setting, range, value: value.to_string() });
        }
        self
    }

    /// The first setting given a value out of range, if any.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.max_buffered_bytes < self.max_user_record_size {
            return Err(ConfigError {
                setting: "MaxBufferedBytes",
                range: "at least MaxUserRecordSize",
                value: self.max_buffered_bytes.to_string(),
            });
        }
        if self.retry_max_delay < self.retry_base_delay {
            return Err(ConfigError {
                setting: "RetryMaxDelay",
                range: "at least RetryBaseDelay",
                value: format!("{} ms", ms(self.retry_max_delay)),
            });
        }
        Ok(())
    }

    /// AggregationEnabled (default true): pack user records bound for one shard into KPL
    /// aggregates, so many small records cost one Kinesis record.
    pub fn aggregation_enabled(mut self, on: bool) -> Self {
        self.aggregation_enabled = on;
        self
    }

    /// AggregationMaxCount (default 4294967295, range 1..=2^63-1): user records per aggregate.
    pub fn aggregation_max_count(mut self, n: u64) -> Self {
        self.aggregation_max_count = n;
        self.check((1..=i64::MAX as u64).contains(&n), "AggregationMaxCount", "between 1 and 2^63-1", n)
    }

    /// AggregationMaxSize (default 51200 bytes, range 64..=10485760): encoded size of one
    /// aggregate. A user record larger than this goes alone.
    pub fn aggregation_max_size(mut self, bytes: usize) -> Self {
        self.aggregation_max_size = bytes;
        self.check((64..=10_485_760).contains(&bytes), "AggregationMaxSize", "between 64 and 10485760", bytes)
    }

    /// CollectionMaxCount (default 500, range 1..=500): Kinesis records per PutRecords call.
    pub fn collection_max_count(mut self, n: usize) -> Self {
        self.collection_max_count = n;
        self.check((1..=500).contains(&n), "CollectionMaxCount", "between 1 and 500", n)
    }

    /// CollectionMaxSize (default 5242880 bytes, at least 52224): data plus partition keys per
    /// PutRecords call.
    pub fn collection_max_size(mut self, bytes: usize) -> Self {
        self.collection_max_size = bytes;
        self.check(bytes >= 52_224, "CollectionMaxSize", "at least 52224", bytes)
    }

    /// RecordMaxBufferedTime (default 100 ms): how long a record may wait for others to share
    /// its aggregate and its PutRecords call. 0 sends as soon as possible.
    pub fn record_max_buffered_time(mut self, t: Duration) -> Self {
        self.record_max_buffered_time = t;
        self
    }

    /// RecordTtl (default 30000 ms, at least 100 ms): a record not written this long after
    /// `put` fails with [`crate::FailureKind::Expired`] and goes to the dead-letter sink. It is
    /// also what bounds `shutdown`.
    pub fn record_ttl(mut self, t: Duration) -> Self {
        self.record_ttl = t;
        self.check(t >= Duration::from_millis(100), "RecordTtl", "at least 100 ms", format!("{} ms", ms(t)))
    }

    /// RateLimit (default 150, at least 1): percent of a shard's limits (1 MiB/s, 1000
    /// records/s) this producer sends to one shard, so a hot shard is not hammered with
    /// requests that can only be throttled while other shards flow.
    pub fn rate_limit(mut self, percent: u64) -> Self {
        self.rate_limit = percent;
        self.check(percent >= 1, "RateLimit", "at least 1", percent)
    }

    /// FailIfThrottled (default false): fail a record at its first throttling error instead of
    /// retrying it.
    pub fn fail_if_throttled(mut self, on: bool) -> Self {
        self.fail_if_throttled = on;
        self
    }

    /// MaxConnections (default 24, range 1..=256): PutRecords calls in flight at once.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self.check((1..=256).contains(&n), "MaxConnections", "between 1 and 256", n)
    }

    /// ConnectTimeout (default 6000 ms, range 100..=300000).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        let ok = (100..=300_000).contains(&ms(t));
        self.check(ok, "ConnectTimeout", "between 100 and 300000 ms", format!("{} ms", ms(t)))
    }

    /// RequestTimeout (default 6000 ms, range 100..=600000): a PutRecords call that takes
    /// longer is abandoned and its records retried (they may then be written twice).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        let ok = (100..=600_000).contains(&ms(t));
        self.check(ok, "RequestTimeout", "between 100 and 600000 ms", format!("{} ms", ms(t)))
    }

    /// MaxUserRecordSize (default 1048576, range 64..=10485760): larger records are refused by
    /// `put`.
    pub fn max_user_record_size(mut self, bytes: usize) -> Self {
        self.max_user_record_size = bytes;
        self.check((64..=10_485_760).contains(&bytes), "MaxUserRecordSize", "between 64 and 10485760", bytes)
    }

    /// Region (default: the standard AWS chain — env, profile, IMDS; `us-east-1` when an
    /// endpoint is set and no region is found).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// KinesisEndpoint as a URL (default: AWS's endpoint for the region), e.g.
    /// `http://127.0.0.1:4567` for `riffle serve`.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// MaxBufferedBytes (Riffle's, default 256 MiB): bytes of user records (data and keys)
    /// accepted but not yet written or failed. The KPL has no such cap and grows without bound.
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes = bytes;
        self.check(bytes >= 1, "MaxBufferedBytes", "at least 1", bytes)
    }

    /// WhenFull (Riffle's, default [`WhenFull::Wait`]): what `put` does at the memory cap.
    pub fn when_full(mut self, policy: WhenFull) -> Self {
        self.when_full = policy;
        self
    }

    /// RetryBaseDelay (Riffle's, default 100 ms): the first backoff after a failed attempt on
    /// a shard; it doubles with each further failure, with full jitter.
    pub fn retry_base_delay(mut self, t: Duration) -> Self {
        self.retry_base_delay = t;
        self.check(t >= Duration::from_millis(1), "RetryBaseDelay", "at least 1 ms", format!("{} ms", ms(t)))
    }

    /// RetryMaxDelay (Riffle's, default 5000 ms): the longest backoff.
    pub fn retry_max_delay(mut self, t: Duration) -> Self {
        self.retry_max_delay = t;
        self
    }

    /// CborEnabled (Riffle's, default true): send PutRecords in CBOR 1.1, as the AWS SDK for
    /// Java does, so record data travels as bytes rather than base64. Kinesis, `riffle serve`,
    /// kinesalite and kinesis-mock speak it; an endpoint that answers a CBOR call in another
    /// encoding is spoken to in JSON from then on. Off also when `AWS_CBOR_DISABLE` is set (the
    /// Java SDK's switch).
    pub fn cbor_enabled(mut self, on: bool) -> Self {
        self.cbor_enabled = on;
        self
    }

    /// Whether PutRecords starts out in CBOR: the setting, unless the environment turns it off.
    pub(crate) fn cbor(&self) -> bool {
        self.cbor_enabled && std::env::var_os("AWS_CBOR_DISABLE").is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_kpl_defaults() {
        let c = ProducerConfig::default();
        assert!(c.aggregation_enabled);
        assert_eq!(c.aggregation_max_size, 51_200);
        assert_eq!(c.collection_max_count, 500);
        assert_eq!(c.collection_max_size, 5 * 1024 * 1024);
        assert_eq!(c.record_max_buffered_time, Duration::from_millis(100));
        assert_eq!(c.record_ttl, Duration::from_secs(30));
        assert_eq!(c.rate_limit, 150);
        assert_eq!(c.max_connections, 24);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn the_first_value_out_of_range_is_reported() {
        let c = ProducerConfig::new().collection_max_count(501).record_ttl(Duration::from_millis(5));
        let e = c.validate().unwrap_err();
        assert_eq!(e.setting, "CollectionMaxCount");
        assert_eq!(e.to_string(), "CollectionMaxCount must be between 1 and 500, got 501");
        let c = ProducerConfig::new().max_buffered_bytes(100);
        assert_eq!(c.validate().unwrap_err().setting, "MaxBufferedBytes");
    }
}
