#!/usr/bin/env bash
# The agent benchmark of issue 7: lines/s from files to a stream through `riffle agent`
# (100-byte lines, START_OF_FILE, KPL aggregation on), and the agent's CPU seconds per million
# lines, next to `cat` of the same files to /dev/null as the ceiling, in one run against one
# fresh release `riffle serve --in-memory`.
#
#   scripts/bench-agent.sh                    # 4 files x 1,000,000 lines, 64 shards
#   scripts/bench-agent.sh --lines 250000 --files 2 --shards 16
#
# The agent is done when its checkpoint file covers every byte of every file (checkpoints move
# only after the stream acknowledged the records), so the time is files-to-acknowledged.
# Prints a Markdown table; raw output stays in bench-out/agent-<time>/.
# Environment: RIFFLE_BENCH_BIN=/path/to/riffle uses that binary instead of building riffle-cli.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LINES=1000000
FILES=4
SHARDS=64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --lines) LINES="$2"; shift 2 ;;
    --files) FILES="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[bench-agent %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
RUN="$ROOT/bench-out/agent-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN/logs" "$RUN/state"

BIN="${RIFFLE_BENCH_BIN:-}"
if [[ -z "$BIN" ]]; then
  log "building release riffle"
  cargo build --release -q -p riffle-cli --manifest-path "$ROOT/Cargo.toml"
  BIN="$ROOT/target/release/riffle"
fi

SERVER_PID=""; AGENT_PID=""
cleanup() {
  [[ -n "$AGENT_PID" ]] && kill "$AGENT_PID" 2>/dev/null || true
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

"$BIN" serve --in-memory --addr 127.0.0.1:0 --create-delay-ms 0 >"$RUN/serve.out" 2>"$RUN/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q '://' "$RUN/serve.out" 2>/dev/null && break; sleep 0.1; done
ENDPOINT="http://$(grep -o '://[0-9.:]*' "$RUN/serve.out" | head -1 | cut -c4-)"
log "server at $ENDPOINT"
curl -sf -X POST "$ENDPOINT" -H 'X-Amz-Target: Kinesis_20131202.CreateStream' \
  -H 'Content-Type: application/x-amz-json-1.1' -d "{\"StreamName\":\"bench\",\"ShardCount\":$SHARDS}" >/dev/null
sleep 1

log "writing $FILES files x $LINES lines of 100 bytes"
for f in $(seq "$FILES"); do
  awk -v n="$LINES" -v f="$f" 'BEGIN { for (i = 0; i < n; i++) printf "%02d%097d\n", f, i }' >"$RUN/logs/app$f.log"
done
TOTAL=$((LINES * FILES))
BYTES=$(cat "$RUN"/logs/*.log | wc -c)

# The ceiling: reading the same (cached) files.
cat "$RUN"/logs/*.log >/dev/null
CAT_START=$(date +%s.%N)
cat "$RUN"/logs/*.log >/dev/null
CAT_SECS=$(echo "$(date +%s.%N) - $CAT_START" | bc -l)

cat >"$RUN/agent.json" <<EOF
{ "checkpointFile": "$RUN/state/checkpoints.json", "awsAccessKeyId": "x", "awsSecretAccessKey": "x",
  "log.statusReportingPeriodSeconds": 5,
  "flows": [{ "filePattern": "$RUN/logs/*.log", "kinesisStream": "bench", "initialPosition": "START_OF_FILE" }] }
EOF

covered() {
  python3 - "$RUN/state/checkpoints.json" <<'EOF'
import json, sys
try:
    print(sum(c["offset"] for c in json.load(open(sys.argv[1]))["checkpoints"]))
except Exception:
    print(0)
EOF
}

log "agent: sending $TOTAL lines ($BYTES bytes)"
START=$(date +%s.%N)
"$BIN" agent --config "$RUN/agent.json" --endpoint-url "$ENDPOINT" --checkpoint-interval-ms 100 2>"$RUN/agent.err" &
AGENT_PID=$!
while [[ "$(covered)" -lt "$BYTES" ]]; do
  kill -0 "$AGENT_PID" 2>/dev/null || { log "agent died: $(tail -5 "$RUN/agent.err")"; exit 1; }
  sleep 0.05
done
SECS=$(echo "$(date +%s.%N) - $START" | bc -l)
TICKS=$(getconf CLK_TCK)
CPU=$(awk -v t="$TICKS" '{ print ($14 + $15) / t }' "/proc/$AGENT_PID/stat")
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || true; AGENT_PID=""

printf '\n| what | lines | seconds | lines/s | CPU s per 1M lines |\n|---|---|---|---|---|\n'
printf '| cat to /dev/null (ceiling) | %d | %.2f | %.0f | |\n' "$TOTAL" "$CAT_SECS" "$(echo "$TOTAL / $CAT_SECS" | bc -l)"
printf '| riffle agent -> riffle serve (%d shards) | %d | %.2f | %.0f | %.2f |\n' "$SHARDS" "$TOTAL" "$SECS" \
  "$(echo "$TOTAL / $SECS" | bc -l)" "$(echo "$CPU * 1000000 / $TOTAL" | bc -l)"
