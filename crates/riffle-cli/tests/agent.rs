//! `riffle agent` as a process: SIGKILLed (and its server SIGKILLed) at random moments while
//! lines are written and rotated, then every line must be in the stream at least once; SIGTERM
//! exits 0; a wrong stream or refused credentials exit non-zero with a message saying so.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use riffle_testkit::{ChildServer, create_active_stream, kinesis_client};

const BIN: &str = env!("CARGO_BIN_EXE_riffle");

fn write_config(dir: &Path, stream: &str, key: &str) -> PathBuf {
    let json = serde_json::json!({
        "checkpointFile": dir.join("state/checkpoints.json"),
        "awsAccessKeyId": key,
        "awsSecretAccessKey": "SECRET",
        "log.statusReportingPeriodSeconds": 1,
        "flows": [{
            "filePattern": dir.join("logs/app.log*"),
            "kinesisStream": stream,
            "initialPosition": "START_OF_FILE",
        }]
    });
    let path = dir.join("agent.json");
    fs::write(&path, json.to_string()).unwrap();
    path
}

fn spawn_agent(config: &Path, endpoint: &str, stderr: Stdio) -> Child {
    Command::new(BIN)
        .args(["agent", "--checkpoint-interval-ms", "100", "--config"])
        .arg(config)
        .args(["--endpoint-url", endpoint])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

async fn stream_lines(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, records) in riffle_testkit::read_stream(client, stream).await {
        for r in &records {
            let data = r.data().as_ref();
            let parts = if riffle_proto::agg::is_aggregated(data) {
                riffle_proto::agg::deaggregate(data).unwrap().into_iter().map(|d| d.data).collect()
            } else {
                vec![data.to_vec()]
            };
            for p in parts {
                out.push(String::from_utf8(p).unwrap().trim_end_matches('\n').to_owned());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_agent_and_server_loses_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = ChildServer::spawn(Path::new(BIN), &data, &[]);
    create_active_stream(&kinesis_client(&server.endpoint()).await, "crash", 2).await;
    fs::create_dir(dir.path().join("logs")).unwrap();
    let config = write_config(dir.path(), "crash", "AKID");
    let app = dir.path().join("logs/app.log");
    let mut agent = spawn_agent(&config, &server.endpoint(), Stdio::null());
    let mut rng = rand::rng();
    let mut written = Vec::new();
    let mut rotations = 0;
    for round in 0..6 {
        let kill_at = rng.random_range(0..300);
        for i in 0..300 {
            if i == kill_at {
                if rng.random_bool(0.5) {
                    server.restart(); // SIGKILL, then start on the same data directory.
                }
                kill(&mut agent);
                agent = spawn_agent(&config, &server.endpoint(), Stdio::null());
            }
            if i % 100 == 99 && rng.random_bool(0.5) {
                rotations += 1;
                fs::rename(&app, dir.path().join(format!("logs/app.log.{rotations}"))).unwrap();
            }
            let line = format!("round-{round}-line-{i:04}-{}", "z".repeat(i % 50));
            let mut f = OpenOptions::new().create(true).append(true).open(&app).unwrap();
            writeln!(f, "{line}").unwrap();
            written.push(line);
            if i % 20 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let client = kinesis_client(&server.endpoint()).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got: HashSet<String> = stream_lines(&client, "crash").await.into_iter().collect();
        let missing: Vec<&String> = written.iter().filter(|l| !got.contains(*l)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} lines missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(3)]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // SIGTERM: flush, final checkpoints, exit 0.
    let status = Command::new("kill").args(["-TERM", &agent.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || agent.wait().unwrap()).await.unwrap();
    assert!(exit.success(), "agent exited with {exit:?} after SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_stream_or_refused_credentials_exit_non_zero_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        ChildServer::spawn(Path::new(BIN), &dir.path().join("data"), &["--auth", "--access-key", "AKID:SECRET"]);
    fs::create_dir(dir.path().join("logs")).unwrap();
    let config = write_config(dir.path(), "missing-stream", "AKID");
    let out = spawn_agent(&config, &server.endpoint(), Stdio::piped()).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("\"missing-stream\" does not exist"), "{stderr}");

    let config = write_config(dir.path(), "missing-stream", "WRONGKEY");
    let out = spawn_agent(&config, &server.endpoint(), Stdio::piped()).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("credentials were refused"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_reads_the_agent_section_of_riffle_toml() {
    let dir = tempfile::tempdir().unwrap();
    let server = ChildServer::spawn(Path::new(BIN), &dir.path().join("data"), &[]);
    let toml = format!(
        "[serve]\naddr = \"127.0.0.1:0\"\n\n[agent]\ncheckpointFile = {:?}\n\n[[agent.flows]]\nfilePattern = {:?}\nkinesisStream = \"from-riffle-toml\"\n",
        dir.path().join("state/checkpoints.json"),
        dir.path().join("logs/*.log"),
    );
    fs::write(dir.path().join("riffle.toml"), toml).unwrap();
    // Found in the working directory, with no --config: the stream named there is checked.
    let out = Command::new(BIN)
        .args(["agent", "--endpoint-url", &server.endpoint()])
        .current_dir(dir.path())
        .env("AWS_ACCESS_KEY_ID", "AKID")
        .env("AWS_SECRET_ACCESS_KEY", "SECRET")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("\"from-riffle-toml\" does not exist"), "{stderr}");

    // Neither --config nor ./riffle.toml: say what to give.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).arg("agent").current_dir(empty.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--config agent.json") && stderr.contains("[agent]"), "{stderr}");
}
