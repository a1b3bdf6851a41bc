//! The `riffle` command.

mod agent;
mod alloc;
mod bench_producer;
mod client;
mod completions;
mod config_file;
mod metrics;
mod put;
mod serve;
mod stream;
mod tail;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "riffle", version, about = "Kinesis Data Streams, rebuilt: server, load tool and clients")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Kinesis-compatible server.
    Serve(Box<serve::ServeArgs>),
    /// Drive load against any Kinesis endpoint (Riffle, AWS, or another emulator).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Send lines from stdin or files to a stream through the producer (aggregated, batched,
    /// retried), with progress on a terminal and a summary at the end.
    Put(put::PutArgs),
    /// Tail files and send their lines to Kinesis, as the Kinesis Agent does (agent.json or TOML).
    Agent(agent::AgentArgs),
    /// Print a stream's records as they arrive, from a chosen position, KPL aggregates
    /// unpacked, following splits and merges (parents before children).
    Tail(tail::TailArgs),
    /// Create, list, describe, delete and reshard streams on any Kinesis endpoint.
    Stream(stream::StreamArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
}

/// `riffle bench`: riffle-bench's workloads, plus the producer's (which needs the AWS SDK that
/// riffle-bench stays off).
#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// User records through riffle-producer (aggregated, collected) as fast as it takes them.
    Producer(bench_producer::ProducerBenchArgs),
    #[command(flatten)]
    Other(riffle_bench::BenchCommand),
}

fn main() -> anyhow::Result<()> {
    alloc::keep_freed_memory();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(*args).await,
            Command::Put(args) => put::run(args).await,
            Command::Tail(args) => tail::run(args).await,
            Command::Stream(args) => stream::run(args).await,
            Command::Completions(args) => {
                completions::run(&args, &mut Cli::command());
                Ok(())
            }
            Command::Agent(args) => agent::run(args).await,
            Command::Bench(BenchCommand::Producer(args)) => bench_producer::run(args).await,
            Command::Bench(BenchCommand::Other(cmd)) => {
                let json = cmd.json();
                let report = riffle_bench::run(cmd).await?;
                if json {
                    println!("{}", report.to_json());
                } else {
                    print!("{report}");
                }
                Ok(())
            }
        }
    })
}
