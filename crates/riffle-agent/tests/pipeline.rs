//! The agent end to end against a real server (in process): files written, rotated both ways,
//! deleted and recreated, new files appearing; the stream read back and deaggregated must hold
//! every line exactly once. Also: a restart resumes at the checkpoint, and a wrong stream name
//! stops the agent at start.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use riffle_agent::{AgentConfig, AgentError, AgentOptions};
use riffle_testkit::{TestServer, create_active_stream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

fn config(dir: &Path, stream: &str, endpoint: &str) -> AgentConfig {
    let json = serde_json::json!({
        "checkpointFile": dir.join("state/checkpoints.json"),
        "kinesis.endpoint": endpoint,
        "awsAccessKeyId": "AKIDTEST",
        "awsSecretAccessKey": "secret",
        "flows": [{
            "filePattern": dir.join("logs/*.log"),
            "kinesisStream": stream,
            "initialPosition": "START_OF_FILE",
            "partitionKeyOption": "DETERMINISTIC"
        }]
    });
    AgentConfig::from_json_str(&json.to_string()).unwrap()
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), AgentError>>,
}

fn start(config: AgentConfig) -> Running {
    let (stop, rx) = oneshot::channel::<()>();
    let opts = AgentOptions { close_after: Duration::from_millis(300), ..AgentOptions::default() };
    let task = tokio::spawn(riffle_agent::run(config, opts, async move {
        let _ = rx.await;
    }));
    Running { stop, task }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn append(path: &Path, lines: impl IntoIterator<Item = String>, expected: &mut Vec<String>) {
    let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
    for line in lines {
        writeln!(f, "{line}").unwrap();
        expected.push(line);
    }
}

fn lines(tag: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{tag}-{i:05} {}", "payload ".repeat(i % 5))).collect()
}

/// Every user record in the stream (aggregates unpacked), as text without its `\n`.
async fn read_stream(client: &aws_sdk_kinesis::Client, stream: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, records) in riffle_testkit::read_stream(client, stream).await {
        for r in &records {
            let data = r.data().as_ref();
            let datas = if riffle_proto::agg::is_aggregated(data) {
                riffle_proto::agg::deaggregate(data).unwrap().into_iter().map(|d| d.data).collect()
            } else {
                vec![data.to_vec()]
            };
            for d in datas {
                let text = String::from_utf8(d).unwrap();
                out.push(text.strip_suffix('\n').unwrap_or(&text).to_owned());
            }
        }
    }
    out
}

fn counts(v: &[String]) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for s in v {
        *m.entry(s.as_str()).or_default() += 1;
    }
    m
}

/// Waits until every expected line is in the stream (fails after a generous deadline), then
/// returns what the stream holds.
async fn wait_for(client: &aws_sdk_kinesis::Client, stream: &str, expected: &[String]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = read_stream(client, stream).await;
        let have = counts(&got);
        let missing: Vec<&String> = expected.iter().filter(|e| !have.contains_key(e.as_str())).collect();
        if missing.is_empty() {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} lines never arrived, e.g. {:?}",
            missing.len(),
            &missing[..3.min(missing.len())]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_exactly_once(got: &[String], expected: &[String]) {
    let got = counts(got);
    let want = counts(expected);
    let dups: Vec<_> = got.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(dups.is_empty(), "duplicated lines: {dups:?}");
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_deletions_and_new_files_deliver_every_line_exactly_once() {
    let server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "logs", 2).await;
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let app = logs.join("app.log");
    let mut expected = Vec::new();
    append(&app, lines("before-start", 100), &mut expected);
    let agent = start(config(dir.path(), "logs", &server.endpoint()));
    append(&app, lines("running", 100), &mut expected);
    wait_for(&client, "logs", &expected).await;

    // Rename rotation: the old inode gets a few more lines after the rename (the writer's open
    // handle), the new file starts at once.
    append(&app, lines("pre-rename", 50), &mut expected);
    fs::rename(&app, logs.join("app.log.1")).unwrap();
    append(&logs.join("app.log.1"), lines("after-rename-old-inode", 10), &mut expected);
    append(&app, lines("new-after-rename", 50), &mut expected);
    wait_for(&client, "logs", &expected).await;

    // copytruncate: the copy's name does not match the pattern, so the agent must not lose or
    // repeat anything around the truncation.
    fs::copy(&app, logs.join("app.log.2")).unwrap();
    OpenOptions::new().write(true).truncate(true).open(&app).unwrap();
    append(&app, lines("after-copytruncate", 50), &mut expected);
    wait_for(&client, "logs", &expected).await;

    // Deleted and recreated under the same name.
    append(&app, lines("before-delete", 20), &mut expected);
    fs::remove_file(&app).unwrap();
    append(&app, lines("recreated", 30), &mut expected);
    // A new file matching the pattern appears.
    append(&logs.join("other.log"), lines("other", 40), &mut expected);
    // Compressed rotated files are never read.
    fs::write(logs.join("old.log.gz"), b"not lines\n").unwrap();
    fs::write(logs.join("zipped.log.gz"), b"not lines\n").unwrap();
    let got = wait_for(&client, "logs", &expected).await;
    agent.stop().await;
    assert_exactly_once(&got, &expected);
    let final_read = read_stream(&client, "logs").await;
    assert_exactly_once(&final_read, &expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_exactly_at_the_checkpoint() {
    let server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "resume", 1).await;
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("logs")).unwrap();
    let app = dir.path().join("logs/app.log");
    let mut expected = Vec::new();
    append(&app, lines("first-run", 200), &mut expected);
    let agent = start(config(dir.path(), "resume", &server.endpoint()));
    wait_for(&client, "resume", &expected).await;
    agent.stop().await;
    let checkpoints = fs::read_to_string(dir.path().join("state/checkpoints.json")).unwrap();
    assert!(checkpoints.contains("app.log"), "{checkpoints}");

    // Written while the agent is down, including a file that did not exist before.
    append(&app, lines("while-down", 100), &mut expected);
    append(&dir.path().join("logs/late.log"), lines("late-file", 20), &mut expected);
    let agent = start(config(dir.path(), "resume", &server.endpoint()));
    let got = wait_for(&client, "resume", &expected).await;
    agent.stop().await;
    assert_exactly_once(&got, &expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_stream_is_an_error_at_start() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = start(config(dir.path(), "no-such-stream", &server.endpoint()));
    let err = agent.task.await.unwrap().unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, AgentError::Start(_)), "{message}");
    assert!(message.contains("no-such-stream") && message.contains("does not exist"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_options_apply_end_to_end() {
    let server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "shaped", 1).await;
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("logs")).unwrap();
    fs::create_dir(dir.path().join("csv")).unwrap();
    let json = serde_json::json!({
        "checkpointFile": dir.path().join("state/checkpoints.json"),
        "kinesis.endpoint": server.endpoint(),
        "awsAccessKeyId": "AKIDTEST",
        "awsSecretAccessKey": "secret",
        "flows": [
            {
                "filePattern": dir.path().join("logs/*.log"),
                "kinesisStream": "shaped",
                "initialPosition": "START_OF_FILE",
                "multiLineStartPattern": "^\\d{4}-",
                "skipHeaderLines": 1
            },
            {
                "filePattern": dir.path().join("csv/*.csv"),
                "kinesisStream": "shaped",
                "initialPosition": "START_OF_FILE",
                "dataProcessingOptions": [{"optionName": "CSVTOJSON", "customFieldNames": ["id", "name"]}]
            }
        ]
    });
    let agent = start(AgentConfig::from_json_str(&json.to_string()).unwrap());
    let trace = "2026-01-01 ERROR boom\n  at a.b(C.java:1)\n  at d.e(F.java:2)\n";
    fs::write(dir.path().join("logs/app.log"), format!("# header\n{trace}2026-01-02 INFO ok\n")).unwrap();
    fs::write(dir.path().join("csv/people.csv"), "1,ada\n2,grace\n").unwrap();
    // The last multi-line record completes once its file has been quiet for a moment.
    let expected: Vec<String> = vec![
        trace.trim_end().to_string(),
        "2026-01-02 INFO ok".into(),
        r#"{"id":"1","name":"ada"}"#.into(),
        r#"{"id":"2","name":"grace"}"#.into(),
    ];
    let got = wait_for(&client, "shaped", &expected).await;
    agent.stop().await;
    assert_exactly_once(&got, &expected);
}
