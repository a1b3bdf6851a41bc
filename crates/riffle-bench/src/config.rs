//! Configuration in two layers: the user-facing clap structs ([`BenchCommand`] and its args, with
//! documented defaults) and the validated internal configs the workloads run on. Validation
//! happens once, before any traffic, so a typo never turns into a half-run benchmark.

use std::time::Duration;

use http::Uri;

use crate::BenchError;
pub use crate::fanout::FanoutArgs;

/// Upper bound on one record's data, the service default max record size (1 MiB).
pub const MAX_RECORD_SIZE: usize = 1024 * 1024;
/// PutRecords accepts at most this many records per call.
pub const MAX_BATCH: usize = 500;
/// GetRecords accepts a Limit in 1..=10_000.
pub const MAX_GET_LIMIT: u32 = 10_000;

/// `riffle bench <subcommand>`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchCommand {
    /// Write load: PutRecords (or PutRecord with --batch 1) from C connections, one request
    /// in flight on each, random partition keys.
    Put(PutArgs),
    /// Catch-up read: every shard from TRIM_HORIZON until caught up, C shards in parallel.
    Get(GetArgs),
    /// Enhanced fan-out: delivery latency (put acknowledged -> SubscribeToShard event received)
    /// at a paced write rate, then how fast one subscription per shard drains a backlog.
    Fanout(FanoutArgs),
    /// A do-nothing Kinesis server: parses and decodes every request, stores nothing. Its
    /// throughput is the ceiling any real server can reach through this transport.
    NullServer(NullServerArgs),
}

impl BenchCommand {
    /// Whether the caller asked for a JSON report instead of the human summary.
    pub fn json(&self) -> bool {
        match self {
            BenchCommand::Put(a) => a.json,
            BenchCommand::Get(a) => a.json,
            BenchCommand::Fanout(a) => a.json,
            BenchCommand::NullServer(_) => false,
        }
    }
}

/// Flags of `bench put`.
#[derive(Debug, Clone, clap::Args)]
pub struct PutArgs {
    /// Endpoint URL, plain http (e.g. http://127.0.0.1:4567).
    #[arg(long)]
    pub endpoint: String,
    /// Stream to write to.
    #[arg(long)]
    pub stream: String,
    /// Create the stream with this many shards if it does not exist, then wait until ACTIVE.
    /// Without it the stream must already exist.
    #[arg(long)]
    pub shards: Option<u32>,
    /// Bytes of data per record (random content).
    #[arg(long, default_value_t = 100)]
    pub record_size: usize,
    /// Records per request: 1 uses PutRecord, 2..=500 use PutRecords.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Connections, each with one request in flight.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Seconds to keep sending (ignored when --records is given).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Send exactly this many records in total instead of running for --duration.
    #[arg(long, conflicts_with = "duration")]
    pub records: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `bench get`.
#[derive(Debug, Clone, clap::Args)]
pub struct GetArgs {
    /// Endpoint URL, plain http (e.g. http://127.0.0.1:4567).
    #[arg(long)]
    pub endpoint: String,
    /// Stream to read.
    #[arg(long)]
    pub stream: String,
    /// Shards read in parallel (one connection each).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// GetRecords Limit per call (1..=10000).
    #[arg(long, default_value_t = 10_000)]
    pub limit: u32,
    /// Give up after this many seconds even if not caught up (the report says so).
    #[arg(long, default_value_t = 300.0)]
    pub max_secs: f64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `bench null-server`.
#[derive(Debug, Clone, clap::Args)]
pub struct NullServerArgs {
    /// Address to listen on; port 0 picks a free port (the real one is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: String,
}

/// When a put run stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopAt {
    /// Stop claiming new requests once this much time has passed.
    Elapsed(Duration),
    /// Stop once this many records have been sent (whatever their outcome).
    Records(u64),
}

/// Validated `put` configuration.
#[derive(Debug, Clone)]
pub struct PutConfig {
    pub endpoint: Uri,
    pub stream: String,
    pub shards: Option<u32>,
    pub record_size: usize,
    pub batch: usize,
    pub concurrency: usize,
    pub stop: StopAt,
}

/// Validated `get` configuration.
#[derive(Debug, Clone)]
pub struct GetConfig {
    pub endpoint: Uri,
    pub stream: String,
    pub concurrency: usize,
    pub limit: u32,
    pub max_time: Duration,
}

impl TryFrom<PutArgs> for PutConfig {
    type Error = BenchError;

    fn try_from(a: PutArgs) -> Result<Self, BenchError> {
        if a.record_size > MAX_RECORD_SIZE {
            return Err(invalid(format!("--record-size {} exceeds {MAX_RECORD_SIZE}", a.record_size)));
        }
        if !(1..=MAX_BATCH).contains(&a.batch) {
            return Err(invalid(format!("--batch must be 1..={MAX_BATCH}, got {}", a.batch)));
        }
        if a.shards == Some(0) {
            return Err(invalid("--shards must be at least 1".into()));
        }
        let stop = match a.records {
            Some(0) => return Err(invalid("--records must be at least 1".into())),
            Some(n) => StopAt::Records(n),
            None => StopAt::Elapsed(secs("--duration", a.duration)?),
        };
        Ok(PutConfig {
            endpoint: parse_endpoint(&a.endpoint)?,
            stream: stream_name(a.stream)?,
            shards: a.shards,
            record_size: a.record_size,
            batch: a.batch,
            concurrency: concurrency(a.concurrency)?,
            stop,
        })
    }
}

impl TryFrom<GetArgs> for GetConfig {
    type Error = BenchError;

    fn try_from(a: GetArgs) -> Result<Self, BenchError> {
        if !(1..=MAX_GET_LIMIT).contains(&a.limit) {
            return Err(invalid(format!("--limit must be 1..={MAX_GET_LIMIT}, got {}", a.limit)));
        }
        Ok(GetConfig {
            endpoint: parse_endpoint(&a.endpoint)?,
            stream: stream_name(a.stream)?,
            concurrency: concurrency(a.concurrency)?,
            limit: a.limit,
            max_time: secs("--max-secs", a.max_secs)?,
        })
    }
}

/// Accepts `http://host:port[/...]` and normalises it to `http://host:port/`: Kinesis ignores
/// the path, and this tool speaks plain HTTP/1.1 only (no TLS), so https is refused up front.
pub fn parse_endpoint(s: &str) -> Result<Uri, BenchError> {
    let uri: Uri = s.parse().map_err(|e| invalid(format!("--endpoint {s:?}: {e}")))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => {
            return Err(invalid(format!("--endpoint {s:?}: scheme {other} not supported (plain http only)")));
        }
        None => return Err(invalid(format!("--endpoint {s:?}: missing http:// scheme"))),
    }
    let authority = uri.authority().ok_or_else(|| invalid(format!("--endpoint {s:?}: missing host")))?;
    Uri::builder()
        .scheme("http")
        .authority(authority.as_str())
        .path_and_query("/")
        .build()
        .map_err(|e| invalid(format!("--endpoint {s:?}: {e}")))
}

pub(crate) fn stream_name(s: String) -> Result<String, BenchError> {
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok { Ok(s) } else { Err(invalid(format!("--stream {s:?}: must be 1-128 of [a-zA-Z0-9_.-]"))) }
}

fn concurrency(c: usize) -> Result<usize, BenchError> {
    if (1..=4096).contains(&c) { Ok(c) } else { Err(invalid(format!("--concurrency must be 1..=4096, got {c}"))) }
}

pub(crate) fn secs(flag: &str, v: f64) -> Result<Duration, BenchError> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| invalid(format!("{flag} must be a positive number of seconds, got {v}")))
}

pub(crate) fn invalid(msg: String) -> BenchError {
    BenchError::InvalidArgument(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_normalised_and_https_refused() {
        let u = parse_endpoint("http://127.0.0.1:4567/some/path").unwrap();
        assert_eq!(u.to_string(), "http://127.0.0.1:4567/");
        assert!(parse_endpoint("https://kinesis.us-east-1.amazonaws.com").is_err());
        assert!(parse_endpoint("127.0.0.1:4567").is_err());
    }

    #[test]
    fn put_args_validate() {
        let base = PutArgs {
            endpoint: "http://localhost:1".into(),
            stream: "s".into(),
            shards: None,
            record_size: 100,
            batch: 500,
            concurrency: 4,
            duration: 1.0,
            records: None,
            json: false,
        };
        let cfg = PutConfig::try_from(base.clone()).unwrap();
        assert_eq!(cfg.stop, StopAt::Elapsed(Duration::from_secs(1)));
        let cfg = PutConfig::try_from(PutArgs { records: Some(7), ..base.clone() }).unwrap();
        assert_eq!(cfg.stop, StopAt::Records(7));
        assert!(PutConfig::try_from(PutArgs { batch: 501, ..base.clone() }).is_err());
        assert!(PutConfig::try_from(PutArgs { batch: 0, ..base.clone() }).is_err());
        assert!(PutConfig::try_from(PutArgs { duration: 0.0, ..base.clone() }).is_err());
        assert!(PutConfig::try_from(PutArgs { stream: "a b".into(), ..base }).is_err());
    }
}
