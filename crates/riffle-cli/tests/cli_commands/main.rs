//! The `riffle` binary as a person or a script runs it: `riffle stream ...` against a child
//! `riffle serve`, shell completions, and `riffle serve` reading `riffle.toml`.

mod bench;
mod completions;
mod config;
mod stream;

use riffle_testkit::ChildServer;
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_riffle"))
}

/// A `riffle serve` child in its own temporary directory, quick to change stream states.
fn server(extra: &[&str]) -> (ChildServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--update-delay-ms", "20"];
    args.extend_from_slice(extra);
    (ChildServer::spawn(bin(), &dir.path().join("data"), &args), dir)
}

/// `riffle ARGS` with throwaway credentials, as a local user would have them.
fn riffle(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT_URL_KINESIS")
        .output()
        .unwrap()
}

fn stdout_of(out: &Output, args: &[&str]) -> String {
    assert!(out.status.success(), "riffle {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Stdout of a command that must succeed.
fn ok(args: &[&str]) -> String {
    stdout_of(&riffle(args), args)
}

/// Stdout of a command that must succeed, parsed as JSON.
fn ok_json(args: &[&str]) -> serde_json::Value {
    let text = ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("riffle {args:?} printed no JSON ({e}): {text}"))
}

/// Stderr of a command that must fail with a non-zero exit code.
fn fails(args: &[&str]) -> String {
    let out = riffle(args);
    assert!(!out.status.success(), "riffle {args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
    assert_ne!(out.status.code(), Some(0));
    String::from_utf8(out.stderr).unwrap()
}
