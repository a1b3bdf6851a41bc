//! `riffle serve`: flags in, a running server out, until Ctrl-C or SIGTERM.

use anyhow::Context;
use clap::Args;
use riffle_log::FsyncPolicy;
use riffle_server::{ServerConfig, Storage, TlsSource};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (HTTP/1.1 and HTTP/2 on one port).
    #[arg(long, default_value = "127.0.0.1:4567", env = "RIFFLE_ADDR")]
    addr: SocketAddr,
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
    /// How long shard iterators stay valid (AWS: 300000). Lower it to test expiry handling.
    #[arg(long, default_value_t = 300_000)]
    iterator_ttl_ms: u64,
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

fn describe(policy: FsyncPolicy) -> String {
    match policy {
        FsyncPolicy::Always => "always".into(),
        FsyncPolicy::Never => "never".into(),
        FsyncPolicy::Interval(d) => format!("interval:{}", d.as_millis()),
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = ServerConfig {
        addr: args.addr,
        storage: if args.in_memory { Storage::InMemory } else { Storage::Disk(args.data_dir.clone()) },
        fsync: args.fsync,
        region: args.region,
        account_id: args.account_id,
        create_delay: Duration::from_millis(args.create_delay_ms),
        delete_delay: Duration::from_millis(args.delete_delay_ms),
        update_delay: Duration::from_millis(args.update_delay_ms),
        shard_limit: args.shard_limit,
        iterator_ttl: Duration::from_millis(args.iterator_ttl_ms),
        tls: match (args.tls_cert.clone(), args.tls_key.clone()) {
            (Some(cert), Some(key)) => Some(TlsSource::Files { cert, key }),
            _ if args.tls => Some(TlsSource::SelfSigned),
            _ => None,
        },
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
    println!("riffle listening on {}://{}, data in {data}{tls}", server.scheme(), server.local_addr());
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
