//! `riffle serve`: flags in, a running server out, until Ctrl-C or SIGTERM.

use anyhow::Context;
use clap::Args;
use riffle_log::FsyncPolicy;
use riffle_server::{AccessKey, AuthConfig, AutoscalePolicy, FaultPlan, ServerConfig, Storage, TlsSource};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Read settings from this TOML file's `[serve]` table (keys: these flags without their
    /// dashes); flags given here override it. Default: ./riffle.toml if it exists.
    #[arg(long, value_name = "PATH", env = "RIFFLE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (HTTP/1.1 and HTTP/2 on one port).
    #[arg(long, default_value = "127.0.0.1:4567", env = "RIFFLE_ADDR")]
    addr: SocketAddr,
    /// Also serve Prometheus metrics at http://HOST:PORT/metrics (the API port serves them at
    /// /metrics too, except under --auth).
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<SocketAddr>,
    /// Directory for the durable log and catalog.
    #[arg(long, default_value = "riffle-data", env = "RIFFLE_DATA_DIR", conflicts_with = "in_memory")]
    data_dir: PathBuf,
    /// Keep data in a throwaway temporary directory, never fsynced, deleted at exit.
    #[arg(long)]
    in_memory: bool,
    /// When acknowledged records reach the disk: `always` (fsync before every reply, shared
    /// by concurrent requests), `interval:<ms>`, or `never`.
    #[arg(long, default_value = "always", value_parser = parse_fsync)]
    fsync: FsyncPolicy,
    /// Sealed log segments (128 MiB each) that keep their pages in the OS page cache besides
    /// the active one, for consumers at the tail; older ones are dropped from it, so a busy log
    /// does not fill memory. `all` leaves every page to the kernel.
    #[arg(long, default_value = "2", value_parser = parse_page_cache_segments)]
    page_cache_segments: PageCacheSegments,
    /// Region named in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account id named in ARNs and error messages.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// How long a new stream stays CREATING.
    #[arg(long, default_value_t = 500)]
    create_delay_ms: u64,
    /// How long a deleted stream stays DELETING.
    #[arg(long, default_value_t = 500)]
    delete_delay_ms: u64,
    /// How long a changed stream stays UPDATING.
    #[arg(long, default_value_t = 500)]
    update_delay_ms: u64,
    /// The account's shard quota.
    #[arg(long, default_value_t = 20_000)]
    shard_limit: u32,
    /// Enforce AWS's limits: per shard 1 MiB/s and 1,000 records/s in, 5 reads/s and 2 MiB/s out,
    /// and the control-plane call rates — answering ProvisionedThroughputExceededException and
    /// LimitExceededException as AWS does, so clients can test their backoff.
    #[arg(long)]
    enforce_limits: bool,
    /// Inject retryable errors: `OP=P,...` (e.g. `PutRecords=0.1,GetRecords=0.05,*=0.01`).
    /// PutRecords fails per record (partial failures); other operations fail whole.
    #[arg(long, value_parser = |s: &str| FaultPlan::parse(s).map_err(|e| e.to_string()))]
    fail_rate: Option<FaultPlan>,
    /// Serve TLS with a self-signed certificate generated at start (written under the data
    /// directory, path printed at start) unless --tls-cert/--tls-key are given.
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain to serve TLS with (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Do not scale ON_DEMAND streams. By default the server splits their hot shards and
    /// merges cold neighbours back (policy: `docs/autoscaling.md`).
    #[arg(long)]
    no_autoscale: bool,
    /// On-demand scaling measures each shard's write demand over windows of this length.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..))]
    autoscale_window_ms: u64,
    /// Split a shard whose demand stays above this fraction of its write limit (1 MiB/s or
    /// 1,000 records/s, whichever is reached first)...
    #[arg(long, default_value_t = 1.0)]
    autoscale_split_above: f64,
    /// ...for this many windows in a row.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    autoscale_split_after: u32,
    /// Merge two adjacent shards whose combined demand stays below this fraction of one
    /// shard's write limit...
    #[arg(long, default_value_t = 0.1)]
    autoscale_merge_below: f64,
    /// ...for this many windows in a row.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    autoscale_merge_after: u32,
    /// Never merge an on-demand stream below this many open shards (AWS keeps 4).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    autoscale_min_shards: u32,
    /// How long shard iterators stay valid (AWS: 300000). Lower it to test expiry handling.
    #[arg(long, default_value_t = 300_000)]
    iterator_ttl_ms: u64,
    /// Verify every request's AWS Signature Version 4 against the keys of --access-key,
    /// RIFFLE_ACCESS_KEYS and --auth-keys-file, and refuse the others as AWS does. Off: any
    /// credentials, or none, are accepted.
    #[arg(long)]
    auth: bool,
    /// An access key --auth accepts: `AKID:SECRET`, or `AKID:SECRET:SESSION_TOKEN` for a
    /// temporary one. Repeatable; RIFFLE_ACCESS_KEYS takes a comma-separated list.
    #[arg(
        long = "access-key",
        value_name = "AKID:SECRET",
        env = "RIFFLE_ACCESS_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    access_keys: Vec<AccessKey>,
    /// A file of access keys for --auth: one `AKID:SECRET[:SESSION_TOKEN]` per line; blank lines
    /// and `#` comments skipped.
    #[arg(long, value_name = "PATH")]
    auth_keys_file: Option<PathBuf>,
}

/// The keys of --access-key, RIFFLE_ACCESS_KEYS and --auth-keys-file, if --auth is on.
fn auth_config(args: &ServeArgs) -> anyhow::Result<Option<AuthConfig>> {
    let mut keys = args.access_keys.clone();
    if let Some(path) = &args.auth_keys_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --auth-keys-file {}", path.display()))?;
        keys.extend(
            riffle_server::parse_key_file(&text).with_context(|| format!("in --auth-keys-file {}", path.display()))?,
        );
    }
    if !args.auth {
        if !keys.is_empty() {
            tracing::warn!("access keys given but --auth is off: every request is accepted");
        }
        return Ok(None);
    }
    anyhow::ensure!(
        !keys.is_empty(),
        "--auth needs at least one access key: give --access-key AKID:SECRET, \
         RIFFLE_ACCESS_KEYS=AKID:SECRET,... or --auth-keys-file PATH"
    );
    Ok(Some(AuthConfig { keys: keys.into_iter().collect() }))
}

fn parse_fsync(s: &str) -> Result<FsyncPolicy, String> {
    match s {
        "always" => Ok(FsyncPolicy::Always),
        "never" => Ok(FsyncPolicy::Never),
        _ => s
            .strip_prefix("interval:")
            .and_then(|ms| ms.parse::<u64>().ok())
            .filter(|&ms| ms > 0)
            .map(|ms| FsyncPolicy::Interval(Duration::from_millis(ms)))
            .ok_or_else(|| format!("expected always, never or interval:<ms>, got {s:?}")),
    }
}

/// `--page-cache-segments`: a count, or `all` (no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCacheSegments(Option<usize>);

fn parse_page_cache_segments(s: &str) -> Result<PageCacheSegments, String> {
    match s {
        "all" => Ok(PageCacheSegments(None)),
        _ => s.parse().map(|n| PageCacheSegments(Some(n))).map_err(|_| format!("expected a count or all, got {s:?}")),
    }
}

fn describe(policy: FsyncPolicy) -> String {
    match policy {
        FsyncPolicy::Always => "always".into(),
        FsyncPolicy::Never => "never".into(),
        FsyncPolicy::Interval(d) => format!("interval:{}", d.as_millis()),
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let args = match crate::config_file::choose(args.config.as_deref()) {
        Some(path) => {
            let file = crate::config_file::RiffleToml::load(&path)?;
            let cli = crate::config_file::subcommand_args("serve");
            crate::config_file::layered("serve", &file.serve, &cli, &path)?
        }
        None => args,
    };
    let auth = auth_config(&args)?;
    let auth_banner = match &auth {
        Some(a) => format!(", SigV4 auth on ({} access key{})", a.keys.len(), if a.keys.len() == 1 { "" } else { "s" }),
        None => String::new(),
    };
    let config = ServerConfig {
        addr: args.addr,
        metrics_addr: args.metrics_addr,
        storage: if args.in_memory { Storage::InMemory } else { Storage::Disk(args.data_dir.clone()) },
        fsync: args.fsync,
        page_cache_segments: args.page_cache_segments.0,
        region: args.region,
        account_id: args.account_id,
        create_delay: Duration::from_millis(args.create_delay_ms),
        delete_delay: Duration::from_millis(args.delete_delay_ms),
        update_delay: Duration::from_millis(args.update_delay_ms),
        shard_limit: args.shard_limit,
        iterator_ttl: Duration::from_millis(args.iterator_ttl_ms),
        enforce_limits: args.enforce_limits,
        autoscale: AutoscalePolicy {
            enabled: !args.no_autoscale,
            window: Duration::from_millis(args.autoscale_window_ms),
            split_above: args.autoscale_split_above,
            split_after: args.autoscale_split_after,
            merge_below: args.autoscale_merge_below,
            merge_after: args.autoscale_merge_after,
            min_shards: args.autoscale_min_shards,
        },
        faults: args.fail_rate.unwrap_or_default(),
        tls: match (args.tls_cert.clone(), args.tls_key.clone()) {
            (Some(cert), Some(key)) => Some(TlsSource::Files { cert, key }),
            _ if args.tls => Some(TlsSource::SelfSigned),
            _ => None,
        },
        auth,
        ..ServerConfig::default()
    };
    let server = riffle_server::start(config).await.context("riffle serve could not start")?;
    let data = if args.in_memory {
        "in memory (throwaway)".to_string()
    } else {
        format!("{} (fsync {})", server.data_dir().display(), describe(args.fsync))
    };
    let tls = match server.generated_cert() {
        Some(cert) => format!(", self-signed TLS certificate in {}", cert.display()),
        None => String::new(),
    };
    let metrics = match server.metrics_addr() {
        Some(a) => format!(", metrics on http://{a}/metrics"),
        None => String::new(),
    };
    println!(
        "riffle listening on {scheme}://{addr}, data in {data}{tls}{auth_banner}{metrics}, console on {scheme}://{addr}/console/",
        scheme = server.scheme(),
        addr = server.local_addr()
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_cache_segments_are_a_count_or_all() {
        assert_eq!(parse_page_cache_segments("2"), Ok(PageCacheSegments(Some(2))));
        assert_eq!(parse_page_cache_segments("0"), Ok(PageCacheSegments(Some(0))));
        assert_eq!(parse_page_cache_segments("all"), Ok(PageCacheSegments(None)));
        assert!(parse_page_cache_segments("-1").is_err());
        assert!(parse_page_cache_segments("some").is_err());
    }
}
