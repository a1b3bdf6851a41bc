#!/usr/bin/env bash
# Bounded fuzzing of every decoder: JSON and CBOR request decoding, the request path through the
# server's dispatch (request), log recovery, DynamoDB expressions (dynamo_expr) and requests
# (dynamo_request: batches and transactions included), KPL aggregates (deaggregate) and
# SubscribeToShard event streams (eventstream).
# Usage: scripts/fuzz.sh [seconds per target, default 60]. The nightly job runs it with 600.
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable toolchain provide them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
for target in decode_json decode_cbor request log_recovery dynamo_expr dynamo_request deaggregate eventstream; do
  echo "== fuzz $target for ${secs}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$secs"
done
