//! `riffle stream create|list|describe|delete|split|merge|scale`: the control plane of any
//! Kinesis endpoint (`riffle serve` by default, AWS with `--endpoint-url`/`--region` and the
//! standard credential chain), as tables for people and `--output json` for scripts. Commands
//! that change a stream wait until it is ACTIVE again (or gone) unless `--no-wait`.

mod errors;
mod ops;
mod view;

use crate::client::{Endpoint, LOCAL_ENDPOINT};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Args)]
#[command(mut_arg("endpoint_url", |a| a
    .default_value(LOCAL_ENDPOINT)
    .help("Kinesis endpoint: `riffle serve`'s by default; AWS's is https://kinesis.<region>.amazonaws.com")))]
pub struct StreamArgs {
    #[command(flatten)]
    endpoint: Endpoint,
    /// How to print the answer: aligned tables, or JSON with stable snake_case keys.
    #[arg(long, short = 'o', value_enum, default_value = "table", global = true)]
    output: Output,
    #[command(subcommand)]
    command: StreamCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
enum StreamCommand {
    /// Create a stream and wait until it is ACTIVE.
    Create {
        name: String,
        /// Provisioned shards.
        #[arg(long, default_value_t = 1, conflicts_with = "on_demand")]
        shards: i32,
        /// On-demand capacity mode instead (the server scales the shards).
        #[arg(long)]
        on_demand: bool,
        #[command(flatten)]
        wait: Wait,
    },
    /// List streams: name, status, mode, open shards, retention.
    List,
    /// Show a stream's summary and every shard: hash range, lineage, sequence range, state.
    Describe { name: String },
    /// Delete a stream and wait until it is gone.
    Delete {
        name: String,
        /// Delete it even if enhanced fan-out consumers are registered (they go too).
        #[arg(long)]
        enforce_consumer_deletion: bool,
        #[command(flatten)]
        wait: Wait,
    },
    /// Split an open shard in two, at its midpoint unless --at says where.
    Split {
        name: String,
        /// The shard: `shardId-000000000001` or just `1`.
        shard: String,
        /// The first hash key of the upper child (decimal); default: the middle of the shard's range.
        #[arg(long, value_name = "HASH_KEY")]
        at: Option<u128>,
        #[command(flatten)]
        wait: Wait,
    },
    /// Merge two adjacent open shards into one.
    Merge {
        name: String,
        shard: String,
        adjacent: String,
        #[command(flatten)]
        wait: Wait,
    },
    /// Change the number of open shards with UpdateShardCount (UNIFORM_SCALING).
    Scale {
        name: String,
        /// The number of open shards wanted.
        #[arg(long)]
        shards: i32,
        #[command(flatten)]
        wait: Wait,
    },
}

#[derive(Debug, Args)]
struct Wait {
    /// Return at once instead of waiting for the stream to be ACTIVE (or gone).
    #[arg(long)]
    no_wait: bool,
}

pub async fn run(args: StreamArgs) -> anyhow::Result<()> {
    let client = args.endpoint.kinesis_client().await;
    let endpoint = args.endpoint.describe(&client);
    let local = args.endpoint.endpoint_url.as_deref().is_some_and(crate::client::is_loopback);
    let ctx = ops::Ctx { client, endpoint, local, output: args.output };
    match args.command {
        StreamCommand::Create { name, shards, on_demand, wait } => {
            ctx.create(&name, (!on_demand).then_some(shards), !wait.no_wait).await
        }
        StreamCommand::List => ctx.list().await,
        StreamCommand::Describe { name } => ctx.describe(&name).await,
        StreamCommand::Delete { name, enforce_consumer_deletion, wait } => {
            ctx.delete(&name, enforce_consumer_deletion, !wait.no_wait).await
        }
        StreamCommand::Split { name, shard, at, wait } => ctx.split(&name, &shard_id(&shard), at, !wait.no_wait).await,
        StreamCommand::Merge { name, shard, adjacent, wait } => {
            ctx.merge(&name, &shard_id(&shard), &shard_id(&adjacent), !wait.no_wait).await
        }
        StreamCommand::Scale { name, shards, wait } => ctx.scale(&name, shards, !wait.no_wait).await,
    }
}

/// `7` -> `shardId-000000000007`; anything else is taken as a full id.
fn shard_id(s: &str) -> String {
    match s.parse::<u64>() {
        Ok(n) => format!("shardId-{n:012}"),
        Err(_) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shard_numbers_expand_to_ids() {
        assert_eq!(super::shard_id("7"), "shardId-000000000007");
        assert_eq!(super::shard_id("shardId-000000000012"), "shardId-000000000012");
    }
}
