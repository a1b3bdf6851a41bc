#!/usr/bin/env bash
# Runs the Python (boto3 + AWS CLI) compatibility suite against a locally built riffle server.
#   tests/python/run.sh [extra pytest args]
# Env: RIFFLE_BIN=/path/to/riffle skips the cargo build and tests that binary instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt

if [ -z "${RIFFLE_BIN:-}" ]; then
  cargo build -p riffle-cli
  export RIFFLE_BIN="$ROOT/target/debug/riffle"
fi

set +e
"$VENV/bin/python" -m pytest tests/python -q "$@"
rc=$?
exit $rc
