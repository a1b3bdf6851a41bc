#!/usr/bin/env bash
# Runs the JavaScript compatibility suite (AWS SDK for JavaScript v3, pinned in package-lock.json)
# against a locally built riffle server, once with the SDK's default HTTP/2 handler and once with
# its HTTP/1.1 handler.
#   tests/js/run.sh [extra node --test args]
# Env: RIFFLE_BIN=/path/to/riffle skips the cargo build and tests that binary instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

(cd tests/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

if [ -z "${RIFFLE_BIN:-}" ]; then
  cargo build -p riffle-cli
  export RIFFLE_BIN="$ROOT/target/debug/riffle"
fi

set +e
node --test "$@" tests/js/
rc=$?
exit $rc
