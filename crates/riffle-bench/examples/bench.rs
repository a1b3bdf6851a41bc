//! Stand-alone driver for the bench subcommands, for use before (or without) the `riffle`
//! binary: `cargo run --release -p riffle-bench --example bench -- put --endpoint ... --json`.

use clap::Parser;

#[derive(Parser)]
#[command(name = "bench", about = "Kinesis load tool (same flags as `riffle bench`)")]
struct Cli {
    #[command(subcommand)]
    cmd: riffle_bench::BenchCommand,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let json = cli.cmd.json();
    match riffle_bench::run(cli.cmd).await {
        Ok(report) if json => println!("{}", report.to_json()),
        Ok(report) => print!("{report}"),
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            std::process::exit(1);
        }
    }
}
