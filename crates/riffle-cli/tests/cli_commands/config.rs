//! `riffle serve` with a `riffle.toml`: values applied, flags override them, unknown keys
//! refused by name (with --config, and from ./riffle.toml found in the working directory).

use super::{bin, ok_json, server};
use std::process::Command;

#[test]
fn riffle_toml_values_apply_and_flags_override_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("riffle.toml");
    // `addr` is overridden by the test server's own `--addr 127.0.0.1:0`: were the file's
    // port used, the server would not start (port 1 needs root and nothing listens there).
    std::fs::write(&config, "[serve]\naddr = \"127.0.0.1:1\"\nregion = \"eu-west-1\"\nshard-limit = 3\n").unwrap();
    let config = config.to_str().unwrap();

    let (from_file, _d1) = server(&["--config", config]);
    let url = from_file.endpoint();
    let created = ok_json(&["stream", "create", "s", "--shards", "2", "-o", "json", "--endpoint-url", &url]);
    assert!(created["arn"].as_str().unwrap().starts_with("arn:aws:kinesis:eu-west-1:"), "{created}");
    let err = super::fails(&["stream", "create", "t", "--shards", "2", "--endpoint-url", &url]);
    assert!(err.contains("limit"), "shard-limit = 3 applies: {err}");

    let (overridden, _d2) = server(&["--config", config, "--region", "ap-south-1"]);
    let url = overridden.endpoint();
    let created = ok_json(&["stream", "create", "s", "--shards", "2", "-o", "json", "--endpoint-url", &url]);
    assert!(created["arn"].as_str().unwrap().starts_with("arn:aws:kinesis:ap-south-1:"), "{created}");
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("riffle.toml"), "[serve]\nin-memory = true\nshard-limt = 3\n").unwrap();
    // Found in the working directory, with no --config.
    let out = Command::new(bin()).arg("serve").current_dir(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key `shard-limt`") && err.contains("riffle.toml"), "{err}");

    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[serve]\nin-memory = true\n[sevre]\nregion = \"x\"\n").unwrap();
    let out = Command::new(bin()).args(["serve", "--config"]).arg(&other).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sevre") && err.contains("other.toml"), "{err}");
}
