//! `--metrics-addr` of `riffle serve`, `riffle put` and `riffle tail` (issue 8): each process
//! serves Prometheus text at /metrics — the server's CloudWatch metrics, the producer's KPL
//! metrics, the process's own — while the API port keeps answering as before.

use riffle_testkit::{TestServer, create_active_stream};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

fn riffle(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_riffle"));
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env_remove("RIFFLE_CONFIG");
    cmd
}

/// A blocking HTTP/1.1 request; the status line and headers, and the body.
fn http(addr: SocketAddr, method: &str, path: &str) -> (String, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    write!(conn, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

fn scrape(addr: SocketAddr) -> String {
    let (head, body) = http(addr, "GET", "/metrics");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body
}

/// The address in `http://ADDR/metrics` on the first line of `stderr` that names one.
fn metrics_line(stderr: ChildStderr) -> SocketAddr {
    let mut lines = BufReader::new(stderr).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("metrics on http://"))
        .expect("the command says where its metrics are");
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    line["metrics on http://".len()..].trim_end_matches("/metrics").parse().unwrap()
}

/// Scrapes `addr` until `pred` holds (a producer flushes when it likes); bounded.
fn scrape_until(addr: SocketAddr, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = scrape(addr);
        if pred(&text) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_answers_metrics_on_its_port_and_on_metrics_addr() {
    let mut child = riffle(&["serve", "--in-memory", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut banner).unwrap();
    let _child = Killed(child);
    let addr = |marker: &str| -> SocketAddr {
        let rest = &banner[banner.find(marker).unwrap_or_else(|| panic!("{banner}")) + marker.len()..];
        rest.split(['/', ',', ' ', '\n']).next().unwrap().parse().unwrap()
    };
    let (api, side) = (addr("listening on http://"), addr("metrics on http://"));
    for text in [scrape(api), scrape(side)] {
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("riffle_log_segments "), "{text}");
    }
    let (head, body) = http(api, "GET", "/");
    assert!(head.starts_with("HTTP/1.1 403") && body.contains("AccessDeniedException"), "{head}\n{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_tail_serve_their_process_metrics() {
    let server = TestServer::start().await;
    create_active_stream(&server.client().await, "lines", 2).await;
    let endpoint = server.endpoint();
    tokio::task::spawn_blocking(move || {
        let mut put =
            riffle(&["put", "--stream", "lines", "--endpoint-url", &endpoint, "--metrics-addr", "127.0.0.1:0"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
        let metrics = metrics_line(put.stderr.take().unwrap());
        let mut stdin = put.stdin.take().unwrap();
        for i in 0..100 {
            writeln!(stdin, "line {i}").unwrap();
        }
        stdin.flush().unwrap();
        // Still running (stdin open): its KPL metrics say what it has put so far.
        let put_so_far = |t: &str| t.lines().any(|l| l.starts_with("UserRecordsPut{") && l.ends_with(" 100"));
        let text = scrape_until(metrics, put_so_far);
        assert!(put_so_far(&text), "{text}");
        assert!(text.contains("process_cpu_seconds_total "), "{text}");
        drop(stdin);
        assert!(put.wait().unwrap().success());

        let mut tail = riffle(&["tail", "lines", "--from", "trim-horizon", "--endpoint-url", &endpoint])
            .args(["--metrics-addr", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let metrics = metrics_line(tail.stderr.take().unwrap());
        let _tail = Killed(tail);
        assert!(scrape(metrics).contains("process_threads "));
        assert!(http(metrics, "GET", "/").0.starts_with("HTTP/1.1 404"));
    })
    .await
    .unwrap();
}
