//! Test fixtures shared by the integration tests of every crate.
//!
//! - [`TestServer`]: a Riffle server in this process, on 127.0.0.1:0, in a temporary data
//!   directory that survives [`TestServer::restart`].
//! - [`ChildServer`]: the `riffle` binary as a child process, for tests that must kill it
//!   with SIGKILL.
//! - [`kinesis_client`]: the official AWS SDK for Rust, pointed at a server, with dummy
//!   credentials; [`dynamodb_client`] likewise for the lease-table endpoint.

use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
/// Re-exported so client crates' tests configure servers without depending on the server crate.
pub use riffle_server::{FaultPlan, ServerConfig};
use riffle_server::{Server, Storage};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Server settings for tests: short lifecycle delays so tests do not wait.
pub fn test_config(dir: &Path) -> ServerConfig {
    ServerConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        storage: Storage::Disk(dir.to_path_buf()),
        create_delay: Duration::from_millis(20),
        delete_delay: Duration::from_millis(20),
        update_delay: Duration::from_millis(20),
        ..ServerConfig::default()
    }
}

/// A server running inside the test process.
pub struct TestServer {
    server: Option<Server>,
    dir: tempfile::TempDir,
    config: ServerConfig,
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = test_config(dir.path());
        Self::start_with(dir, config).await
    }

    pub async fn start_with(dir: tempfile::TempDir, config: ServerConfig) -> Self {
        let server = riffle_server::start(config.clone()).await.expect("server starts");
        Self { server: Some(server), dir, config }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("running").local_addr()
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// The `metrics_addr` listener's address, if the config asked for one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().expect("running").metrics_addr()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Shuts down cleanly and starts again on the same data directory (on a new port).
    pub async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.server = Some(riffle_server::start(self.config.clone()).await.expect("server restarts"));
    }

    /// Shuts the server down and leaves it down (clients then get connection errors).
    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }

    /// Restarts with a changed configuration (same data directory).
    pub async fn restart_with(&mut self, change: impl FnOnce(&mut ServerConfig)) {
        change(&mut self.config);
        self.restart().await;
    }

    pub async fn client(&self) -> aws_sdk_kinesis::Client {
        kinesis_client(&self.endpoint()).await
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        dynamodb_client(&self.endpoint())
    }
}

/// The AWS SDK for Rust against `endpoint`, with dummy credentials and no retries, so tests
/// see every error the server sends.
pub async fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    let conf = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "riffle-testkit"))
        .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_kinesis::Client::from_conf(conf)
}

/// The AWS SDK for Rust's DynamoDB client against `endpoint` (the lease-table endpoint `riffle
/// serve` answers on its one port), dummy credentials, no retries.
pub fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "AKIDTEST",
            "secret",
            None,
            None,
            "riffle-testkit",
        ))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// Every record of every shard of `stream`, shard by shard in ListShards order, each read from
/// TRIM_HORIZON until it is caught up (an empty read at the tip) or closed.
pub async fn read_stream(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
) -> Vec<(String, Vec<aws_sdk_kinesis::types::Record>)> {
    let listed = client.list_shards().stream_name(stream).send().await.expect("list_shards");
    let mut out = Vec::new();
    for shard in listed.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("get_shard_iterator")
            .shard_iterator
            .expect("an open or retained shard has an iterator");
        let mut records = Vec::new();
        loop {
            let page = client.get_records().shard_iterator(&iterator).limit(10_000).send().await.expect("get_records");
            let caught_up = page.records().is_empty() && page.millis_behind_latest() == Some(0);
            records.extend(page.records().iter().cloned());
            match page.next_shard_iterator() {
                Some(next) if !caught_up => iterator = next.to_string(),
                _ => break,
            }
        }
        out.push((shard.shard_id().to_string(), records));
    }
    out
}

/// Creates a KCL-style lease table: `leaseKey` (string) as its hash key, on demand.
pub async fn create_lease_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("leaseKey")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("name and type are set"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("leaseKey")
                .key_type(KeyType::Hash)
                .build()
                .expect("name and key type are set"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create_table");
}

/// Creates a stream and waits until it is ACTIVE.
pub async fn create_active_stream(client: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    client.create_stream().stream_name(name).shard_count(shards).send().await.expect("create_stream");
    for _ in 0..500 {
        let s = client.describe_stream_summary().stream_name(name).send().await.expect("describe");
        let status = s.stream_description_summary().map(|d| d.stream_status().clone());
        if status == Some(aws_sdk_kinesis::types::StreamStatus::Active) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("stream {name} never became ACTIVE");
}

/// The `riffle` binary running as a child process.
pub struct ChildServer {
    child: Child,
    addr: SocketAddr,
    bin: PathBuf,
    data_dir: PathBuf,
    args: Vec<String>,
}

impl ChildServer {
    /// Starts `bin serve --addr 127.0.0.1:0 --data-dir <dir> <args>` and waits for its
    /// "listening on" line.
    pub fn spawn(bin: &Path, data_dir: &Path, args: &[&str]) -> Self {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (child, addr) = Self::launch(bin, data_dir, &args);
        Self { child, addr, bin: bin.to_path_buf(), data_dir: data_dir.to_path_buf(), args }
    }

    fn launch(bin: &Path, data_dir: &Path, args: &[String]) -> (Child, SocketAddr) {
        let mut child = Command::new(bin)
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--create-delay-ms", "20", "--delete-delay-ms", "20"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("riffle binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("reads the banner");
        let addr = line
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([',', ' ', '\n']).next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in banner {line:?}"));
        (child, addr)
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the binary again on the same data directory.
    pub fn restart(&mut self) {
        self.kill();
        let (child, addr) = Self::launch(&self.bin, &self.data_dir, &self.args);
        self.child = child;
        self.addr = addr;
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}
