//! `riffle-bench` owns the load tool behind `riffle bench`: a write workload (`put`), a
//! catch-up read workload (`get`), enhanced fan-out latency and throughput (`fanout`) and a
//! do-nothing server (`null-server`) that measures the transport ceiling.
//!
//! It speaks plain Kinesis JSON 1.1 over HTTP/1.1 keep-alive to *any* endpoint (Riffle,
//! kinesalite, kinesis-mock, moto), never through the AWS SDK: the same bytes go to every peer,
//! and the tool stays cheap because it shares the CPU with the server it measures.
//!
//! ```no_run
//! # async fn demo() -> Result<(), riffle_bench::BenchError> {
//! use clap::Parser;
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(subcommand)]
//!     cmd: riffle_bench::BenchCommand,
//! }
//! let cli = Cli::parse();
//! let json = cli.cmd.json();
//! let report = riffle_bench::run(cli.cmd).await?;
//! if json { println!("{}", report.to_json()) } else { print!("{report}") }
//! # Ok(()) }
//! ```

mod client;
mod config;
mod error;
mod fanout;
mod get;
mod null_server;
mod put;
mod report;
mod setup;
mod wire;

pub use config::{BenchCommand, FanoutArgs, GetArgs, NullServerArgs, PutArgs};
pub use error::{BenchError, CallError};
pub use null_server::NullServer;
pub use report::{
    BenchReport, ErrorCounts, ErrorSamples, FanoutReport, GetReport, LatencyPhase, LatencySummary, NullServerReport,
    PutReport, SubscriptionRate, SubscriptionStats, ThroughputPhase,
};

use std::io::Write as _;

/// Runs one bench subcommand to completion.
///
/// `null-server` prints `listening on http://ADDR` on stdout once bound (scripts wait for that
/// line to learn the port) and serves until Ctrl-C, then reports what it served.
pub async fn run(cmd: BenchCommand) -> Result<BenchReport, BenchError> {
    match cmd {
        BenchCommand::Put(args) => Ok(BenchReport::Put(put::run(args.try_into()?).await?)),
        BenchCommand::Get(args) => Ok(BenchReport::Get(get::run(args.try_into()?).await?)),
        BenchCommand::Fanout(args) => Ok(BenchReport::Fanout(Box::new(fanout::run(args.try_into()?).await?))),
        BenchCommand::NullServer(args) => {
            let server = NullServer::bind(&args.addr).await?;
            let mut out = std::io::stdout().lock();
            // Nothing useful to do if stdout is gone; the server still serves.
            let _ = writeln!(out, "listening on http://{}", server.local_addr());
            let _ = out.flush();
            drop(out);
            let stop = async {
                // If no signal handler can be installed, serve until killed.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            Ok(BenchReport::NullServer(server.serve_until(stop).await))
        }
    }
}
