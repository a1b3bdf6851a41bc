#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property, integration through the AWS SDK for Rust,
# crash tests that SIGKILL the server) and the Python suite (boto3 and the AWS CLI, installed
# pinned into .venv by tests/python/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== dependency layering (ARCHITECTURE.md)"
python3 scripts/check-layering.py

echo "== cargo test (workspace)"
cargo test --workspace --locked

echo "== python suite (boto3, AWS CLI)"
cargo build --locked -p riffle-cli
RIFFLE_BIN="$PWD/target/debug/riffle" bash tests/python/run.sh

echo "== javascript suite (AWS SDK v3, HTTP/2 and HTTP/1.1)"
RIFFLE_BIN="$PWD/target/debug/riffle" bash tests/js/run.sh
