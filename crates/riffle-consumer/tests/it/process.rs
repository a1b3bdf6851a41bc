//! Workers as separate processes (the `print_worker` example): one is SIGKILLed mid-stream and
//! the other finishes its shards after the failover time, from its checkpoints, losing nothing.

use crate::common::*;
use riffle_testkit::TestServer;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// `target/<profile>/examples/print_worker`: `cargo test` builds examples next to this binary,
/// but not when run with `--test it`, so build it then.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("examples").join("print_worker");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "-p", "riffle-consumer", "--example", "print_worker"])
            .status()
            .expect("cargo runs");
        assert!(built.success(), "building the print_worker example failed");
    }
    path
}

struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

fn spawn(endpoint: &str, worker: &str) -> Proc {
    let mut child = Command::new(example())
        .args([endpoint, "proc-app", "proc", worker, "1500"])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", example().display()));
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    Proc { child, lines }
}

fn data(procs: &[&Proc]) -> HashSet<String> {
    procs
        .iter()
        .flat_map(|p| p.lines.lock().unwrap().clone())
        .filter_map(|l| l.splitn(3, ' ').nth(2).map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_worker_process_loses_no_records() {
    let server = TestServer::start().await;
    let client = stream(&server, "proc", 4).await;
    let table = leases(&server, "proc-app");
    let mut a = spawn(&server.endpoint(), "a");
    wait_until("a holds all 4 leases", LONG, || async { owners(&table).await.get("a") == Some(&4) }).await;
    let mut b = spawn(&server.endpoint(), "b");
    wait_until("two each", LONG, || async {
        let o = owners(&table).await;
        o.get("a") == Some(&2) && o.get("b") == Some(&2)
    })
    .await;
    put(&client, "proc", &keys(8), 0..10).await;
    wait_until("80 records printed", LONG, || async { data(&[&a, &b]).len() == 80 }).await;

    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    put(&client, "proc", &keys(8), 10..20).await;
    wait_until("b holds all 4 leases after failover", LONG, || async { owners(&table).await.get("b") == Some(&4) })
        .await;
    wait_until("all 160 records printed", LONG, || async { data(&[&a, &b]).len() == 160 }).await;
    let _ = b.child.kill();
    let _ = b.child.wait();
}
