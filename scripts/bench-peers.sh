#!/usr/bin/env bash
# Runs the same load against Riffle and its peers (kinesalite, kinesis-mock, moto) plus the null
# server (the transport ceiling), one after another on this machine, and writes the comparison
# into BENCHMARKS.md (between the bench-peers markers; the rest of the file is left alone).
#
#   scripts/bench-peers.sh                      # all scenarios, all targets, ~10 s per put
#   scripts/bench-peers.sh --duration 3 --scenarios a --targets null,kinesalite
#
# Options:
#   --duration SECS    seconds of put load per run (default 10)
#   --scenarios LIST   comma list of a,b,c,f (default a,b,c,f)
#                        a: 100 B records, batch 500, concurrency 4, 4 shards
#                        b: same with 256 shards
#                        c: 10 KiB records, batch 500, concurrency 4, 4 shards
#                        f: enhanced fan-out, riffle and kinesis-mock only (the others have no
#                           SubscribeToShard): 4 shards, 100 B records; delivery latency at
#                           1000 records/s (PutRecords of 10) for --duration seconds, then a
#                           backlog of 10,000 records per --duration second read from TRIM_HORIZON
#   --targets LIST     comma list of null,riffle,kinesalite,kinesis-mock,moto (default all)
#   --out FILE         markdown file to update (default BENCHMARKS.md at the repo root)
#   --timeout SECS     hard limit for the whole script (default 2700)
#
# Environment: RIFFLE_BENCH_BIN=/path/to/riffle uses that binary instead of building riffle-cli.
#
# Peers are installed pinned into $RIFFLE_BENCH_CACHE (default ~/.cache/riffle-bench-peers):
# npm packages kinesalite and kinesis-local (kinesis-mock's Node build), and a venv with
# moto[server]. Every server listens on 127.0.0.1 (kinesis-mock has no bind option and listens
# on all interfaces); all traffic goes to 127.0.0.1. Each target gets a fresh server per
# scenario, so no run reads another's data. Raw JSON reports stay in bench-out/peers-<time>/.
set -euo pipefail

KINESALITE_VERSION=3.3.3
KINESIS_LOCAL_VERSION=0.6.2
MOTO_VERSION=5.2.5

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ORIG_ARGS=("$@")
DURATION=10
SCENARIOS=a,b,c,f
TARGETS=null,riffle,kinesalite,kinesis-mock,moto
OUT="$ROOT/BENCHMARKS.md"
TOTAL_TIMEOUT=2700
GET_MAX_SECS=90
# bench fanout's --max-secs: the cap on each wait for deliveries and on writing the backlog.
FANOUT_MAX_SECS=120
STREAM=bench

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --targets) TARGETS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --timeout) TOTAL_TIMEOUT="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Bound the whole run: re-exec once under timeout(1); the EXIT trap below stops any server.
if [[ -z "${RIFFLE_BENCH_PEERS_BOUNDED:-}" ]]; then
  export RIFFLE_BENCH_PEERS_BOUNDED=1
  exec timeout -k 15 "$TOTAL_TIMEOUT" "$0" "${ORIG_ARGS[@]}"
fi

CACHE="${RIFFLE_BENCH_CACHE:-$HOME/.cache/riffle-bench-peers}"
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$ROOT/bench-out/peers-$RUN_ID"
mkdir -p "$RESULTS" "$CACHE"
INDEX="$RESULTS/index.tsv"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$INDEX"

log() { printf '[bench-peers %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

for tool in cargo node npm python3 curl; do
  command -v "$tool" >/dev/null || { echo "missing required tool: $tool" >&2; exit 1; }
done

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap 'stop_server' EXIT
trap 'log "interrupted or timed out"; exit 124' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- install and build
declare -A UNAVAILABLE=()

npm_version() { node -p "require('$CACHE/npm/node_modules/$1/package.json').version" 2>/dev/null || true; }

if [[ "$(npm_version kinesalite)" != "$KINESALITE_VERSION" || "$(npm_version kinesis-local)" != "$KINESIS_LOCAL_VERSION" ]]; then
  log "installing kinesalite@$KINESALITE_VERSION kinesis-local@$KINESIS_LOCAL_VERSION into $CACHE/npm"
  if ! npm install --no-audit --no-fund --prefix "$CACHE/npm" \
      "kinesalite@$KINESALITE_VERSION" "kinesis-local@$KINESIS_LOCAL_VERSION" > "$RESULTS/npm-install.log" 2>&1; then
    UNAVAILABLE[kinesalite]="npm install failed"
    UNAVAILABLE[kinesis-mock]="npm install failed"
  fi
fi
MOTO_PY="$CACHE/venv/bin/python"
if [[ "$("$MOTO_PY" -c 'import moto; print(moto.__version__)' 2>/dev/null || true)" != "$MOTO_VERSION" ]]; then
  log "installing moto[server]==$MOTO_VERSION into $CACHE/venv"
  if ! { python3 -m venv "$CACHE/venv" && "$CACHE/venv/bin/pip" install -q "moto[server]==$MOTO_VERSION"; } \
      > "$RESULTS/pip-install.log" 2>&1; then
    UNAVAILABLE[moto]="pip install failed"
  fi
fi

cd "$ROOT"
log "building the bench driver and riffle (release)"
cargo build --release -p riffle-bench --example bench > "$RESULTS/build-bench.log" 2>&1 \
  || { echo "cannot build riffle-bench; see $RESULTS/build-bench.log" >&2; exit 1; }
RIFFLE_BIN="${RIFFLE_BENCH_BIN:-}"
if [[ -n "$RIFFLE_BIN" ]]; then
  RIFFLE_DESC="riffle binary $RIFFLE_BIN ($("$RIFFLE_BIN" --version 2>/dev/null || echo 'unknown version'))"
else
  RIFFLE_BIN="$ROOT/target/release/riffle"
  RIFFLE_DESC="riffle $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
  git -C "$ROOT" diff --quiet HEAD 2>/dev/null || RIFFLE_DESC="$RIFFLE_DESC (dirty tree)"
  if ! cargo build --release -p riffle-cli > "$RESULTS/build-riffle.log" 2>&1; then
    UNAVAILABLE[riffle]="riffle-cli does not build (see bench-out/peers-$RUN_ID/build-riffle.log)"
  fi
fi

# The driver is `riffle bench` once it prints JSON reports, else the crate's example binary
# (same BenchCommand, same code).
DRIVER=("$ROOT/target/release/examples/bench")
DRIVER_NAME="riffle-bench example (target/release/examples/bench)"

# ---------------------------------------------------------------- targets
# start_<target> PORT LOGFILE -> sets SERVER_PID and ENDPOINT, returns non-zero if not ready.
wait_http() { # PORT SECS: any HTTP answer to a Kinesis-shaped POST means ready
  local port="$1" secs="$2" code
  for _ in $(seq 1 $((secs * 5))); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    code="$(curl -s -o /dev/null -w '%{http_code}' -m 2 -X POST "http://127.0.0.1:$port/" \
      -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: Kinesis_20131202.ListStreams' \
      -d '{}' 2>/dev/null || true)"
    [[ -n "$code" && "$code" != 000 ]] && return 0
    sleep 0.2
  done
  return 1
}
wait_line() { # LOGFILE SECS: the "listening on http://HOST:PORT" line; prints PORT
  local logfile="$1" secs="$2" port
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    port="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$logfile" 2>/dev/null | head -1 | sed 's/.*://')"
    [[ -n "$port" ]] && { echo "$port"; return 0; }
    sleep 0.1
  done
  return 1
}

start_null() {
  "${DRIVER[@]}" null-server --addr 127.0.0.1:0 > "$2" 2>&1 &
  SERVER_PID=$!
  local port; port="$(wait_line "$2" 20)" || return 1
  ENDPOINT="http://127.0.0.1:$port"
}
start_riffle() {
  local data="$RESULTS/riffle-data"
  rm -rf "$data"; mkdir -p "$data"
  "$RIFFLE_BIN" serve --addr "127.0.0.1:$1" --data-dir "$data" > "$2" 2>&1 &
  SERVER_PID=$!
  wait_line "$2" 30 > /dev/null || return 1
  ENDPOINT="http://127.0.0.1:$1"
}
start_kinesalite() {
  # The CLI binds all interfaces; the library lets us bind loopback. Shard limit raised for (b).
  node -e "require(process.argv[1])({shardLimit: 300}).listen(+process.argv[2], '127.0.0.1')" \
    "$CACHE/npm/node_modules/kinesalite" "$1" > "$2" 2>&1 &
  SERVER_PID=$!
  wait_http "$1" 30 || return 1
  ENDPOINT="http://127.0.0.1:$1"
}
start_kinesis_mock() {
  local tls; tls="$(free_port)"
  KINESIS_MOCK_PLAIN_PORT="$1" KINESIS_MOCK_TLS_PORT="$tls" SHARD_LIMIT=300 LOG_LEVEL=ERROR \
    KINESIS_MOCK_CERT_PATH="$CACHE/npm/node_modules/kinesis-local/server.json" \
    node "$CACHE/npm/node_modules/kinesis-local/main.js" > "$2" 2>&1 &
  SERVER_PID=$!
  wait_http "$1" 60 || return 1
  ENDPOINT="http://127.0.0.1:$1"
}
start_moto() {
  "$CACHE/venv/bin/moto_server" -H 127.0.0.1 -p "$1" > "$2" 2>&1 &
  SERVER_PID=$!
  wait_http "$1" 60 || return 1
  ENDPOINT="http://127.0.0.1:$1"
}

# If `riffle bench` exists and prints JSON, drive with it (the shipped tool); probe on a null server.
if [[ -z "${UNAVAILABLE[riffle]:-}" && -x "$RIFFLE_BIN" ]]; then
  if start_null 0 "$RESULTS/probe-null.log"; then
    if "$RIFFLE_BIN" bench put --endpoint "$ENDPOINT" --stream probe --records 10 --batch 5 --json 2>/dev/null \
        | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["kind"] == "put" else 1)' 2>/dev/null; then
      DRIVER=("$RIFFLE_BIN" bench)
      DRIVER_NAME="riffle bench (target/release/riffle)"
    fi
  fi
  stop_server
fi
log "driver: $DRIVER_NAME"

# ---------------------------------------------------------------- runs
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$INDEX"; }
first_error() { grep -m1 -E 'error|Error|Exception' "$1" 2>/dev/null | cut -c1-160 | tr '\t' ' ' || true; }

run_one() { # SCENARIO TARGET SHARDS RECORD_SIZE
  local sc="$1" target="$2" shards="$3" size="$4"
  local base="$RESULTS/$sc-$target" port
  if [[ -n "${UNAVAILABLE[$target]:-}" ]]; then
    record "$sc" "$target" na "${UNAVAILABLE[$target]}"; return
  fi
  if [[ "$target" == riffle && ! -x "$RIFFLE_BIN" ]]; then
    record "$sc" "$target" na "target/release/riffle missing"; return
  fi
  port="$(free_port)"
  log "scenario $sc: $target (shards=$shards record=$size B)"
  if ! "start_${target//-/_}" "$port" "$base.server.log"; then
    record "$sc" "$target" na "server did not become ready (see $(basename "$base").server.log)"
    stop_server; return
  fi
  if ! timeout $((DURATION + 240)) "${DRIVER[@]}" put --endpoint "$ENDPOINT" --stream "$STREAM" \
      --shards "$shards" --record-size "$size" --batch 500 --concurrency 4 --duration "$DURATION" \
      --json > "$base.put.json" 2> "$base.put.err"; then
    local why; why="$(first_error "$base.put.err")"
    record "$sc" "$target" na "put failed: ${why:-exit status or timeout}"
    stop_server; return
  fi
  if ! timeout $((GET_MAX_SECS + 120)) "${DRIVER[@]}" get --endpoint "$ENDPOINT" --stream "$STREAM" \
      --concurrency 4 --limit 10000 --max-secs "$GET_MAX_SECS" \
      --json > "$base.get.json" 2> "$base.get.err"; then
    rm -f "$base.get.json"
  fi
  # A server that died mid-run (crash, or killed from outside) makes the row meaningless.
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    record "$sc" "$target" na "server exited during the run (see $(basename "$base").server.log)"
    SERVER_PID=""; return
  fi
  record "$sc" "$target" ok ""
  stop_server
  rm -rf "$RESULTS/riffle-data"
}

run_fanout() { # TARGET: scenario f, enhanced fan-out
  local target="$1" base="$RESULTS/f-$1" port
  if [[ -n "${UNAVAILABLE[$target]:-}" ]]; then
    record f "$target" na "${UNAVAILABLE[$target]}"; return
  fi
  if [[ "$target" == riffle && ! -x "$RIFFLE_BIN" ]]; then
    record f "$target" na "target/release/riffle missing"; return
  fi
  port="$(free_port)"
  log "scenario f: $target (fan-out, ${DURATION} s at 1000 records/s, backlog $((DURATION * 10000)))"
  if ! "start_${target//-/_}" "$port" "$base.server.log"; then
    record f "$target" na "server did not become ready (see $(basename "$base").server.log)"
    stop_server; return
  fi
  if ! timeout $((4 * DURATION + 3 * FANOUT_MAX_SECS + 300)) "${DRIVER[@]}" fanout --endpoint "$ENDPOINT" \
      --stream "$STREAM" --shards 4 --record-size 100 --rate 1000 --batch 10 --duration "$DURATION" \
      --backlog $((DURATION * 10000)) --max-secs "$FANOUT_MAX_SECS" \
      --json > "$base.fanout.json" 2> "$base.fanout.err"; then
    local why; why="$(first_error "$base.fanout.err")"
    record f "$target" na "fanout failed: ${why:-exit status or timeout}"
    rm -f "$base.fanout.json"; stop_server; return
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    record f "$target" na "server exited during the run (see $(basename "$base").server.log)"
    SERVER_PID=""; return
  fi
  record f "$target" ok ""
  stop_server
  rm -rf "$RESULTS/riffle-data"
}

IFS=, read -r -a SC_LIST <<< "$SCENARIOS"
IFS=, read -r -a TG_LIST <<< "$TARGETS"
for sc in "${SC_LIST[@]}"; do
  case "$sc" in
    a) shards=4; size=100 ;;
    b) shards=256; size=100 ;;
    c) shards=4; size=10240 ;;
    f)
      for target in "${TG_LIST[@]}"; do
        case "$target" in
          riffle|kinesis-mock) run_fanout "$target" ;;
          null|kinesalite|moto) ;; # no SubscribeToShard
          *) echo "unknown target $target" >&2; exit 2 ;;
        esac
      done
      continue ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
  for target in "${TG_LIST[@]}"; do
    case "$target" in
      null|riffle|kinesalite|kinesis-mock|moto) run_one "$sc" "$target" "$shards" "$size" ;;
      *) echo "unknown target $target" >&2; exit 2 ;;
    esac
  done
done

# ---------------------------------------------------------------- report
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
mem="$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
# Other work on the machine skews every row alike; the load average at the start says how much.
versions="$RIFFLE_DESC; $(rustc --version); node $(node --version); kinesalite $(npm_version kinesalite); kinesis-local $(npm_version kinesis-local) (kinesis-mock); moto $("$MOTO_PY" -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?') on $("$MOTO_PY" --version 2>&1)"

python3 - --results "$RESULTS" --out "$OUT" \
  --command "scripts/bench-peers.sh${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}" \
  --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  --machine "$(nproc) cores, ${cpu_model:-unknown CPU}, $mem RAM, $(uname -sr); load average at start $LOAD_AT_START" \
  --versions "$versions" --driver "$DRIVER_NAME" --duration "$DURATION" <<'PY'
"""Renders bench-out/peers-*/ into a markdown section and splices it into BENCHMARKS.md."""
import argparse, json, os, re

ap = argparse.ArgumentParser()
for flag in ("results", "out", "command", "date", "machine", "versions", "driver", "duration"):
    ap.add_argument("--" + flag, required=True)
a = ap.parse_args()

SCENARIOS = {
    "a": "(a) 100 B records, PutRecords batch 500, 4 connections, 4 shards",
    "b": "(b) 100 B records, PutRecords batch 500, 4 connections, 256 shards",
    "c": "(c) 10 KiB records, PutRecords batch 500, 4 connections, 4 shards",
}
PEERS = ("kinesalite", "kinesis-mock", "moto")
LABEL = {"null": "null server (ceiling)", "riffle": "**riffle**", "kinesalite": "kinesalite",
         "kinesis-mock": "kinesis-mock", "moto": "moto"}

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

runs = {}
with open(os.path.join(a.results, "index.tsv")) as f:
    for line in f:
        sc, target, status, reason = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
        base = os.path.join(a.results, f"{sc}-{target}")
        runs.setdefault(sc, []).append({
            "target": target, "status": status, "reason": reason,
            "put": load(base + ".put.json"), "get": load(base + ".get.json"),
            "fanout": load(base + ".fanout.json"),
        })

def num(x, digits=0):
    return f"{x:,.{digits}f}"

def ratio(x, ref):
    if not ref:
        return "-"
    v = x / ref
    return f"{v:.0f}x" if v >= 10 else f"{v:.2f}x" if v >= 1 else f"{v:.2g}x"

def failures(put):
    n = put["records_failed"] + put["records_in_failed_requests"]
    if n == 0:
        return "0"
    errs = {**put["request_errors"], **{"rec:" + k: v for k, v in put["record_errors"].items()}}
    top = ", ".join(f"{k} {v}" for k, v in sorted(errs.items(), key=lambda kv: -kv[1])[:2])
    return f"{n:,} ({top})"

def read_back(target, put, get):
    if target == "null":
        return "n/a (answers synthetic records)"
    if get is None:
        return "get failed"
    note = " (stopped by --max-secs)" if get["truncated"] else ""
    if get["shards_failed"]:
        note += f" ({get['shards_failed']} shards failed)"
    written, read = put["records_ok"], get["records"]
    if read == written:
        return f"all {read:,}{note}"
    return f"{read:,} of {written:,} ({read - written:+,}){note}"

def fanout_notes(fo):
    l, t = fo["latency"], fo["throughput"]
    notes = []
    if l["missing"]:
        notes.append(f"{l['missing']:,} of {l['acked']:,} acknowledged records never delivered")
    if l["put_failed"]:
        notes.append(f"{l['put_failed']:,} puts failed")
    if l["put_records_per_sec"] < 0.95 * l["target_rate"]:
        notes.append(f"puts reached {l['put_records_per_sec']:,.0f} of {l['target_rate']:,.0f} records/s")
    if l["before_ack"]:
        notes.append(f"{l['before_ack'] / max(l['delivered'], 1):.0%} of records read before their put's answer")
    subs = l["subscriptions"]
    if subs["subscribe_calls"] and not subs["initial_responses"]:
        notes.append("no initial-response event")
    errs = dict(subs["errors"])
    for k, v in (t["subscriptions"]["errors"] if t else {}).items():
        errs[k] = errs.get(k, 0) + v
    if errs:
        top = ", ".join(f"{k} {v}" for k, v in sorted(errs.items(), key=lambda kv: -kv[1])[:2])
        notes.append(f"stream errors: {top}")
    if t and t["backlog_acked"] < t["backlog"]:
        notes.append(f"only {t['backlog_acked']:,} of {t['backlog']:,} backlog records written in time")
    if t and not t["complete"]:
        notes.append(f"{t['backlog_delivered']:,} of {t['backlog_acked']:,} backlog records delivered in time")
    return "; ".join(notes) or "-"

def fanout_table(rows):
    ok = {r["target"]: r["fanout"] for r in rows if r["status"] == "ok" and r["fanout"]}
    km = ok.get("kinesis-mock")
    km_rate = km["throughput"]["per_subscription_records_per_sec"] if km and km["throughput"] else 0
    out = ["### (f) Enhanced fan-out: SubscribeToShard over HTTP/1.1, 4 shards (a subscription each), 100 B records",
           "",
           "| target | put rec/s | delivered | ack -> event p50 ms | p99 ms | max ms | put sent -> event p50 / p99 ms "
           "| backlog | rec/s per subscription | MB/s per subscription | per subscription vs kinesis-mock "
           "| all subscriptions rec/s | notes |",
           "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        t = r["target"]
        fo = ok.get(t)
        if fo is None:
            out.append(f"| {LABEL.get(t, t)} | n/a ({r['reason'] or 'no report'}) ||||||||||||")
            continue
        l, tp = fo["latency"], fo["throughput"]
        lat, sent = l["latency"], l["from_send"]
        delivered = f"all {l['delivered']:,}" if l["missing"] == 0 else f"{l['delivered']:,} of {l['acked']:,}"
        tcols = ["-"] * 5
        if tp:
            per_sub = tp["per_subscription_records_per_sec"]
            tcols = [num(tp["backlog_acked"]), num(per_sub), num(tp["per_subscription_mb_per_sec"], 2),
                     ratio(per_sub, km_rate), num(tp["records_per_sec"])]
        out.append("| " + " | ".join([
            LABEL.get(t, t), num(l["put_records_per_sec"]), delivered, f"{lat['p50_ms']:.2f}",
            f"{lat['p99_ms']:.2f}", f"{lat['max_ms']:.2f}", f"{sent['p50_ms']:.2f} / {sent['p99_ms']:.2f}",
            *tcols, fanout_notes(fo),
        ]) + " |")
    out.append("")
    return out

lines = [
    "<!-- bench-peers:begin (generated by scripts/bench-peers.sh; edits here are overwritten) -->",
    "## Riffle vs peers (generated)",
    "",
    f"- Command: `{a.command}`",
    f"- Date: {a.date}",
    f"- Machine: {a.machine}",
    f"- Versions: {a.versions}",
    f"- Load driver: {a.driver}. Each target is a fresh server per scenario on 127.0.0.1, sharing "
    "the same cores with the load driver.",
]
if any(sc != "f" for sc in runs):
    lines += [
        f"- (a)-(c): put runs {a.duration} s per target, then a catch-up `get` (TRIM_HORIZON to tip, "
        "4 shards in parallel, Limit 10000). put records/s and MB/s count only records acknowledged "
        "with a SequenceNumber and ShardId (MB = 10^6 bytes of record data); latency is per request. "
        "\"vs\" columns divide put records/s by the fastest peer's and by the null server's. "
        "\"read back\" compares records read by `get` with records acknowledged by `put`.",
    ]
if "f" in runs:
    lines += [
        f"- (f): `bench fanout` registers a consumer, subscribes it at LATEST to every shard and waits "
        f"for the response heads, then puts 1,000 records/s (PutRecords of 10, paced open-loop, at most "
        f"64 in flight) for {a.duration} s. Latency runs from reading the PutRecords answer that "
        "acknowledged a record to reading the event that carries it (0 when the event came first); "
        "\"put sent\" runs from sending the PutRecords. Then it writes a backlog of 10,000 records per "
        "second of put time (PutRecords of 500, 4 connections, failures retried), a second consumer "
        "subscribes at TRIM_HORIZON, and a subscription's rate is the records it delivered (the "
        "latency phase's too) over the time to its last backlog record. Raw JSON, HTTP/1.1, riffle "
        "with its defaults (`--fsync always`).",
    ]
lines.append("")
for sc in sorted(runs):
    rows = runs[sc]
    if sc == "f":
        lines += fanout_table(rows)
        continue
    ok = {r["target"]: r for r in rows if r["status"] == "ok" and r["put"]}
    peer_best = max((ok[t]["put"]["records_per_sec"] for t in PEERS if t in ok), default=0)
    peer_get_best = max((ok[t]["get"]["records_per_sec"] for t in PEERS if t in ok and ok[t]["get"]), default=0)
    null_rps = ok["null"]["put"]["records_per_sec"] if "null" in ok else 0
    null_get = ok["null"]["get"]["records_per_sec"] if "null" in ok and ok["null"]["get"] else 0
    lines += [f"### {SCENARIOS.get(sc, sc)}", "",
              "| target | put rec/s | put MB/s | put p50 ms | put p99 ms | failed records | vs fastest peer | vs null "
              "| get rec/s | get MB/s | get p50 / p99 ms | get vs fastest peer | get vs null | read back |",
              "|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        t = r["target"]
        if t not in ok:
            lines.append(f"| {LABEL.get(t, t)} | n/a ({r['reason'] or 'no report'}) ||||||||||||| ")
            continue
        p, g = ok[t]["put"], ok[t]["get"]
        if g is None:
            gcols = ["-", "-", "-", "-", "-"]
        else:
            gl = g["latency"]
            gcols = [num(g["records_per_sec"]), num(g["mb_per_sec"], 2),
                     f"{gl['p50_ms']:.1f} / {gl['p99_ms']:.1f}",
                     "-" if t == "null" else ratio(g["records_per_sec"], peer_get_best),
                     ratio(g["records_per_sec"], null_get)]
        lat = p["latency"]
        lines.append("| " + " | ".join([
            LABEL.get(t, t), num(p["records_per_sec"]), num(p["mb_per_sec"], 2),
            f"{lat['p50_ms']:.2f}", f"{lat['p99_ms']:.2f}", failures(p),
            "-" if t == "null" else ratio(p["records_per_sec"], peer_best),
            ratio(p["records_per_sec"], null_rps), *gcols, read_back(t, p, g),
        ]) + " |")
    lines.append("")
if any(sc != "f" for sc in runs):
    lines += [
        "Notes: kinesalite (LevelDB in memory), kinesis-mock and moto keep data in memory and never "
        "fsync; Riffle acknowledges a write only once it is durable under its fsync policy (`always` "
        "by default). moto assigns sequence numbers with an unsynchronised read-then-insert per shard, "
        "so concurrent writers overwrite each other's records after they were acknowledged: its "
        "\"read back\" falls short of what put counted. The null server parses every request and "
        "base64-decodes every record but stores nothing; it answers reads with as many synthetic "
        "records (of the size written) as were put, base64-encoding each, so both its columns are "
        "the transport ceiling for this machine and driver.",
    ]
if "f" in runs:
    if any(sc != "f" for sc in runs):
        lines.append("")
    lines += [
        "Fan-out: of the peers only kinesis-mock implements SubscribeToShard (kinesalite and moto do "
        "not, nor does the null server). A server that pushes a record as soon as it is stored does so "
        "while its answer to the put is still on the way, so events are often read before the put's "
        "answer (the notes give the share) and \"ack -> event\" understates the delay; \"put sent -> "
        "event\" is the whole trip.",
    ]
lines += [
    "<!-- bench-peers:end -->",
]
section = "\n".join(lines) + "\n"

try:
    with open(a.out) as f:
        doc = f.read()
except FileNotFoundError:
    doc = "# Benchmarks\n\n"
pat = re.compile(r"<!-- bench-peers:begin.*?<!-- bench-peers:end -->\n?", re.S)
doc = pat.sub(lambda _: section, doc) if pat.search(doc) else doc.rstrip("\n") + "\n\n" + section
with open(a.out, "w") as f:
    f.write(doc)
print(section)
PY
log "wrote $OUT (raw reports in bench-out/peers-$RUN_ID)"
