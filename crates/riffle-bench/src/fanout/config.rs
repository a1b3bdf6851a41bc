//! Flags of `bench fanout` and their validated form.

use std::time::Duration;

use http::Uri;

use crate::BenchError;
use crate::config::{MAX_BATCH, MAX_RECORD_SIZE, invalid, parse_endpoint, secs, stream_name};
use crate::wire::Tag;

/// Flags of `bench fanout`.
#[derive(Debug, Clone, clap::Args)]
pub struct FanoutArgs {
    /// Endpoint URL, plain http (e.g. http://127.0.0.1:4567).
    #[arg(long)]
    pub endpoint: String,
    /// Stream to use; created with --shards shards if it does not exist.
    #[arg(long)]
    pub stream: String,
    /// Shards of the stream if this run creates it (an existing stream keeps its own).
    #[arg(long, default_value_t = 4)]
    pub shards: u32,
    /// Bytes of data per record (at least 16: the first 16 identify the record).
    #[arg(long, default_value_t = 100)]
    pub record_size: usize,
    /// Latency phase: records per second put, paced evenly.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Latency phase: records per PutRecords request.
    #[arg(long, default_value_t = 10)]
    pub batch: usize,
    /// Latency phase: seconds of paced writes.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Throughput phase: records written before a second consumer reads them all from
    /// TRIM_HORIZON; 0 skips the phase.
    #[arg(long, default_value_t = 100_000)]
    pub backlog: u64,
    /// Time limit, in seconds, for waiting on deliveries (each phase) and for writing the
    /// backlog; the report says when it cut a phase short.
    #[arg(long, default_value_t = 120.0)]
    pub max_secs: f64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Validated `fanout` configuration.
#[derive(Debug, Clone)]
pub(crate) struct FanoutConfig {
    pub endpoint: Uri,
    pub stream: String,
    pub shards: u32,
    pub record_size: usize,
    pub rate: f64,
    pub batch: usize,
    pub duration: Duration,
    pub backlog: u64,
    pub max_time: Duration,
}

impl FanoutConfig {
    /// Records the latency phase puts: its rate for its duration, at least one.
    pub fn latency_records(&self) -> u64 {
        (self.rate * self.duration.as_secs_f64()).round().max(1.0) as u64
    }

    /// Time between two PutRecords requests of the latency phase.
    pub fn batch_interval(&self) -> Duration {
        Duration::from_secs_f64(self.batch as f64 / self.rate)
    }
}

/// Most records a phase may track: the tool keeps a few bytes per record in memory.
const MAX_TRACKED: u64 = 100_000_000;

impl TryFrom<FanoutArgs> for FanoutConfig {
    type Error = BenchError;

    fn try_from(a: FanoutArgs) -> Result<Self, BenchError> {
        if !(Tag::LEN..=MAX_RECORD_SIZE).contains(&a.record_size) {
            return Err(invalid(format!(
                "--record-size must be {}..={MAX_RECORD_SIZE}, got {}",
                Tag::LEN,
                a.record_size
            )));
        }
        if !(1..=MAX_BATCH).contains(&a.batch) {
            return Err(invalid(format!("--batch must be 1..={MAX_BATCH}, got {}", a.batch)));
        }
        if a.shards == 0 {
            return Err(invalid("--shards must be at least 1".into()));
        }
        if !(a.rate.is_finite() && a.rate > 0.0) {
            return Err(invalid(format!("--rate must be a positive number of records/s, got {}", a.rate)));
        }
        if a.backlog > MAX_TRACKED {
            return Err(invalid(format!("--backlog must be at most {MAX_TRACKED}, got {}", a.backlog)));
        }
        let cfg = FanoutConfig {
            endpoint: parse_endpoint(&a.endpoint)?,
            stream: stream_name(a.stream)?,
            shards: a.shards,
            record_size: a.record_size,
            rate: a.rate,
            batch: a.batch,
            duration: secs("--duration", a.duration)?,
            backlog: a.backlog,
            max_time: secs("--max-secs", a.max_secs)?,
        };
        if cfg.latency_records() > MAX_TRACKED {
            return Err(invalid(format!("--rate x --duration must be at most {MAX_TRACKED} records")));
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> FanoutArgs {
        FanoutArgs {
            endpoint: "http://localhost:1".into(),
            stream: "s".into(),
            shards: 4,
            record_size: 100,
            rate: 1000.0,
            batch: 10,
            duration: 2.0,
            backlog: 0,
            max_secs: 5.0,
            json: false,
        }
    }

    #[test]
    fn fanout_args_validate() {
        let cfg = FanoutConfig::try_from(args()).unwrap();
        assert_eq!(cfg.latency_records(), 2000);
        assert_eq!(cfg.batch_interval(), Duration::from_millis(10));
        assert!(FanoutConfig::try_from(FanoutArgs { record_size: 15, ..args() }).is_err());
        assert!(FanoutConfig::try_from(FanoutArgs { rate: 0.0, ..args() }).is_err());
        assert!(FanoutConfig::try_from(FanoutArgs { rate: f64::NAN, ..args() }).is_err());
        assert!(FanoutConfig::try_from(FanoutArgs { batch: 501, ..args() }).is_err());
        assert!(FanoutConfig::try_from(FanoutArgs { shards: 0, ..args() }).is_err());
        assert!(FanoutConfig::try_from(FanoutArgs { max_secs: 0.0, ..args() }).is_err());
        assert!(FanoutConfig::try_from(FanoutArgs { rate: 1e9, duration: 1e3, ..args() }).is_err());
    }
}
