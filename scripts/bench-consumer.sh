#!/usr/bin/env bash
# The consumer benchmark of issue 6: one worker with a trivial processor (counts records,
# checkpoints after every batch) draining a pre-filled stream on one fresh release
# `riffle serve --fsync always`, in one run, two ways:
#   1. riffle-consumer (crates/riffle-consumer/examples/bench_worker.rs);
#   2. kcl-rs from PyPI (pinned in tests/python/requirements.txt, installed into the repo's
#      .venv by tests/python/run.sh) through scripts/bench_consumer_kcl.py;
# then fail-over for riffle-consumer: a worker holding every lease is SIGKILLed, a second worker
# of the same application starts at once, more records are put, and we time the kill to the
# second worker's first record processed. Figures go into BENCHMARKS.md between the
# bench-consumer markers (the rest of the file is left alone).
#
#   scripts/bench-consumer.sh                       # 1,000,000 records, 4 shards
#   scripts/bench-consumer.sh --records 500000 --shards 4
#
# Both workers poll (GetRecords, MaxRecords 10000, 200 ms idle between empty reads) from
# TRIM_HORIZON under a fresh application name (so a fresh lease table). Records are 100 bytes.
# Raw output stays in bench-out/consumer-<time>/.
# Environment: RIFFLE_BENCH_BIN=/path/to/riffle and RIFFLE_BENCH_WORKER=/path/to/bench_worker
# use those binaries instead of building them.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RECORDS=1000000
SHARDS=4
FAILOVER_MS=10000
FAILOVER_RECORDS=10000
OUT="$ROOT/BENCHMARKS.md"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) RECORDS="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    --failover-ms) FAILOVER_MS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[bench-consumer %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$ROOT/bench-out/consumer-$RUN_ID"
mkdir -p "$RESULTS"
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
PY="$ROOT/.venv/bin/python"
"$PY" -c 'import kcl_rs' 2>/dev/null \
  || { echo "kcl-rs is not in $ROOT/.venv; run tests/python/run.sh once to create it" >&2; exit 1; }

RIFFLE="${RIFFLE_BENCH_BIN:-}"
WORKER="${RIFFLE_BENCH_WORKER:-}"
if [[ -z "$RIFFLE" || -z "$WORKER" ]]; then
  log "building riffle and the bench_worker example (release)"
  (cd "$ROOT" && cargo build --release -p riffle-cli && cargo build --release -p riffle-consumer --example bench_worker) \
    > "$RESULTS/build.log" 2>&1 || { echo "build failed; see $RESULTS/build.log" >&2; exit 1; }
  # Copies, so concurrent builds in the shared target dir cannot swap them mid-run.
  cp "$ROOT/target/release/riffle" "$RESULTS/riffle"
  cp "$ROOT/target/release/examples/bench_worker" "$RESULTS/bench_worker"
  RIFFLE="${RIFFLE_BENCH_BIN:-$RESULTS/riffle}"
  WORKER="${RIFFLE_BENCH_WORKER:-$RESULTS/bench_worker}"
fi

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  # The server's log of the run goes with it: of no use afterwards.
  rm -rf "$DATA"
}
DATA="$RESULTS/riffle-data"
trap cleanup EXIT

"$RIFFLE" serve --addr 127.0.0.1:0 --data-dir "$DATA" --fsync always > "$RESULTS/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  PORT="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$RESULTS/serve.log" | head -1 | sed 's/.*://' || true)"
  [[ -n "$PORT" ]] && break
  sleep 0.1
done
[[ -n "${PORT:-}" ]] || { echo "riffle serve did not start; see $RESULTS/serve.log" >&2; exit 1; }
EP="http://127.0.0.1:$PORT"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

log "creating stream bench ($SHARDS shards) on $EP and putting $RECORDS records of 100 B"
"$RIFFLE" bench put --endpoint "$EP" --stream bench --shards "$SHARDS" --records "$RECORDS" --json > "$RESULTS/fill.json"
ok="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records_ok"])' "$RESULTS/fill.json")"
[[ "$ok" == "$RECORDS" ]] || { echo "pre-fill wrote $ok of $RECORDS records" >&2; exit 1; }

log "1/6 riffle-consumer: one worker drains $RECORDS records"
timeout 300 "$WORKER" "$EP" "riffle-$RUN_ID" bench w1 "$RECORDS" --exit --failover-ms "$FAILOVER_MS" \
  > "$RESULTS/riffle.jsonl" 2> "$RESULTS/riffle.err"

log "2/6 kcl-rs: one worker drains $RECORDS records"
timeout 360 "$PY" "$ROOT/scripts/bench_consumer_kcl.py" --endpoint "$EP" --stream bench --app "kcl-$RUN_ID" \
  --expected "$RECORDS" > "$RESULTS/kcl.jsonl" 2> "$RESULTS/kcl.err"

# Waits until FILE has a line containing PATTERN at least N times (or gives up after SECONDS).
wait_lines() {
  local file="$1" pattern="$2" n="$3" seconds="$4"
  for _ in $(seq 1 $((seconds * 10))); do
    [[ "$(grep -c "$pattern" "$file" 2>/dev/null || true)" -ge "$n" ]] && return 0
    sleep 0.1
  done
  return 1
}

# Puts small batches in the background until the returned PID is killed: records on every shard,
# so a worker that gains a lease shows it by processing.
trickle() {
  ( while true; do
      "$RIFFLE" bench put --endpoint "$EP" --stream bench --records 2000 --json >/dev/null 2>&1 || true
      sleep 0.2
    done ) &
  TRICKLE_PID=$!
  PIDS+=("$TRICKLE_PID")
}

# run_worker KIND APP ID EXPECTED OUT [--exit|--hold]: a riffle-consumer or kcl-rs worker in the
# background; its PID in WORKER_PID.
run_worker() {
  local kind="$1" app="$2" id="$3" expected="$4" out="$5" mode="${6:-}"
  if [[ "$kind" == riffle ]]; then
    local flags=(--failover-ms "$FAILOVER_MS")
    [[ "$mode" == --exit ]] && flags+=(--exit)
    "$WORKER" "$EP" "$app" bench "$id" "$expected" "${flags[@]}" > "$out.jsonl" 2> "$out.err" &
  else
    local flags=()
    [[ "$mode" == --hold ]] && flags+=(--hold)
    "$PY" "$ROOT/scripts/bench_consumer_kcl.py" --endpoint "$EP" --stream bench --app "$app" --worker-id "$id" \
      --expected "$expected" --timeout 600 "${flags[@]}" > "$out.jsonl" 2> "$out.err" &
  fi
  WORKER_PID=$!
  PIDS+=("$WORKER_PID")
}

# fail_over KIND: worker a drains the stream holding every lease and is SIGKILLed 1 s after;
# worker b of the same application starts at that moment and FAILOVER_RECORDS more are put.
fail_over() {
  local kind="$1" app="failover-$1-$RUN_ID"
  run_worker "$kind" "$app" a "$RECORDS" "$RESULTS/failover-$kind-a" --hold
  local a_pid="$WORKER_PID"
  wait_lines "$RESULTS/failover-$kind-a.jsonl" '"done"' 1 400 || { echo "$kind fail-over worker a never drained the stream" >&2; exit 1; }
  sleep 1  # let its last checkpoints land, so b resumes from them
  date +%s%3N > "$RESULTS/failover-$kind.kill_ms"
  kill -KILL "$a_pid"
  wait "$a_pid" 2>/dev/null || true
  run_worker "$kind" "$app" b "$FAILOVER_RECORDS" "$RESULTS/failover-$kind-b" --exit
  local b_pid="$WORKER_PID"
  "$RIFFLE" bench put --endpoint "$EP" --stream bench --records "$FAILOVER_RECORDS" --json > "$RESULTS/failover-$kind-put.json"
  date +%s%3N > "$RESULTS/failover-$kind.put_done_ms"
  timeout 400 tail --pid "$b_pid" -f /dev/null || { echo "$kind fail-over worker b did not finish" >&2; exit 1; }
}

# rebalance KIND: worker a drains the stream and holds every lease; worker c of the same
# application joins while records trickle in; we time c's start to c processing on half the shards.
rebalance() {
  local kind="$1" app="rebalance-$1-$RUN_ID"
  run_worker "$kind" "$app" a "$RECORDS" "$RESULTS/rebalance-$kind-a" --hold
  local a_pid="$WORKER_PID"
  wait_lines "$RESULTS/rebalance-$kind-a.jsonl" '"done"' 1 400 || { echo "$kind rebalance worker a never drained the stream" >&2; exit 1; }
  trickle
  sleep 1
  run_worker "$kind" "$app" c 1000000000 "$RESULTS/rebalance-$kind-c" --hold
  local c_pid="$WORKER_PID"
  wait_lines "$RESULTS/rebalance-$kind-c.jsonl" '"shard_first"' $((SHARDS / 2)) 400 \
    || { echo "$kind rebalance worker c never took half the shards" >&2; exit 1; }
  kill "$TRICKLE_PID" 2>/dev/null || true
  kill -TERM "$a_pid" "$c_pid" 2>/dev/null || true
  wait "$a_pid" "$c_pid" 2>/dev/null || true
}

log "3/6 riffle-consumer fail-over (failover time $FAILOVER_MS ms)"
fail_over riffle
log "4/6 kcl-rs fail-over (its default failover time)"
fail_over kcl
log "5/6 riffle-consumer rebalance: a second worker joins one that holds every lease"
rebalance riffle
log "6/6 kcl-rs rebalance"
rebalance kcl
LOAD_AT_END="$(cut -d' ' -f1-3 /proc/loadavg)"

VERSIONS="riffle $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || VERSIONS="$VERSIONS (dirty tree)"
VERSIONS="$VERSIONS; $(rustc --version); kcl-rs $("$PY" -c 'from importlib.metadata import version; print(version("kcl-rs"))') on $("$PY" --version)"
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | awk '{print $1, $2}'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), Linux $(uname -r)"

python3 - "$RESULTS" "$OUT" "$RECORDS" "$SHARDS" "$FAILOVER_MS" "$FAILOVER_RECORDS" \
  "$LOAD_AT_START" "$LOAD_AT_END" "$VERSIONS" "$MACHINE" <<'PY'
import datetime, json, re, sys
(results, out, records, shards, failover_ms, fo_records, load0, load1, versions, machine) = sys.argv[1:]
records, shards = int(records), int(shards)

def events(name):
    evs = {}
    for line in open(f"{results}/{name}.jsonl"):
        line = line.strip()
        if line.startswith("{"):
            e = json.loads(line)
            evs.setdefault(e["event"], e)
    return evs

def drain(name):
    e = events(name)
    d = e["done"]
    assert d["records"] >= records, f"{name}: {d['records']} of {records} records"
    steady = (d["t_ms"] - d["first_ms"]) / 1000
    wall = (d["t_ms"] - d["start_ms"]) / 1000
    return {"records": d["records"], "steady_s": steady, "wall_s": wall, "cold_s": (d["first_ms"] - d["start_ms"]) / 1000,
            "rate": records / steady if steady > 0 else float("inf"), "wall_rate": records / wall}

r, k = drain("riffle"), drain("kcl")
def shard_firsts(name):
    """Each shard's first processed record, in ms since the epoch."""
    firsts = {}
    for line in open(f"{results}/{name}.jsonl"):
        if line.startswith("{") and '"shard_first"' in line:
            e = json.loads(line)
            firsts.setdefault(e["shard"], e["t_ms"])
    return firsts

def fail_over(kind):
    kill_ms = int(open(f"{results}/failover-{kind}.kill_ms").read())
    put_ms = int(open(f"{results}/failover-{kind}.put_done_ms").read())
    firsts = shard_firsts(f"failover-{kind}-b")
    done = events(f"failover-{kind}-b")["done"]
    return {"all": (max(firsts.values()) - kill_ms) / 1000, "first": (min(firsts.values()) - kill_ms) / 1000,
            "shards": len(firsts), "done": (done["t_ms"] - kill_ms) / 1000, "records": done["records"],
            "put": (put_ms - kill_ms) / 1000}

def rebalance(kind):
    start = events(f"rebalance-{kind}-c")["start"]["t_ms"]
    firsts = sorted(shard_firsts(f"rebalance-{kind}-c").values())[: shards // 2]
    return {"balanced": (firsts[-1] - start) / 1000, "first": (firsts[0] - start) / 1000}

fo = {k: fail_over(k) for k in ("riffle", "kcl")}
rb = {k: rebalance(k) for k in ("riffle", "kcl")}
default_note = ", the KCL's default" if int(failover_ms) == 10000 else ""
fmt = lambda x: f"{x:,.0f}"
row = lambda name, x: (f"| {name} | {fmt(x['rate'])} | {x['steady_s']:.2f} | {fmt(x['wall_rate'])} | {x['wall_s']:.2f} | "
                       f"{x['cold_s']:.2f} | {x['records']:,} of {records:,} |")
lines = [
    "<!-- bench-consumer:begin (generated by scripts/bench-consumer.sh; edits here are overwritten) -->",
    "## Consumer: one worker, trivial processor (generated)",
    "",
    f"- Command: `scripts/bench-consumer.sh --records {records} --shards {shards} --failover-ms {failover_ms}`",
    f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
    f"- Machine: {machine}; load average {load0} at start, {load1} at end (other engineers' builds share these cores)",
    f"- Versions: {versions}",
    f"- Server: one fresh release `riffle serve --fsync always` on 127.0.0.1 (temporary data dir) for every run; "
    f"stream of {shards} shards pre-filled with {records:,} records of 100 bytes (`riffle bench put --records {records}`). "
    "Server, worker and (in fail-over) load driver share the cores.",
    "- Each worker is one process with a trivial processor (counts records, checkpoints after every batch), "
    "POLLING from TRIM_HORIZON with MaxRecords 10000 and 200 ms idle between empty reads, under a fresh "
    "application name (fresh lease table, on riffle's DynamoDB endpoint). riffle-consumer: "
    "`crates/riffle-consumer/examples/bench_worker.rs`; kcl-rs: `scripts/bench_consumer_kcl.py` "
    "(Python processor, called once per batch).",
    "- records/s = records / (first record processed -> last record processed). Wall = process start -> last "
    "record processed, so it includes start-up, lease table creation and lease taking (\"cold start\" = process start -> "
    "first record processed).",
    "",
    "| worker | records/s (first -> last) | first -> last s | records/s (wall) | wall s | cold start s | records processed |",
    "|---|--:|--:|--:|--:|--:|---|",
    row("**riffle-consumer**", r),
    row("kcl-rs (Python processor)", k),
    "",
    f"Ratio riffle-consumer vs kcl-rs: **{r['rate'] / k['rate']:,.1f}x** first -> last, "
    f"**{r['wall_rate'] / k['wall_rate']:,.1f}x** wall.",
    "",
    'kcl-rs\'s cold start is its own start-up sequence: with RUST_LOG=info it logs "Lease table is still empty" every 3 s for 30 s (the KCL waiting for a leader to fill a new lease table), then about 60 s between "Syncing Kinesis shard info" and "Starting LeaseCoordinator" (its log shows shard-sync leader elections at both ends of that minute); not yet checked whether any riffle answer lengthens that step.',
    "",
    "### Fail-over and rebalance (same run, same server and stream)",
    "",
    f"- Fail-over: worker `a` drains the stream holding all {shards} leases and is SIGKILLed 1 s after its last "
    f"record; worker `b` of the same application starts at that moment and {int(fo_records):,} more records are put "
    f"at once. Time from the kill to `b`'s first record on every shard. riffle-consumer's failover time is "
    f"{int(failover_ms):,} ms{default_note}; kcl-rs 0.1.4 runs with its own default (10 s; not settable from Python). "
    "The time includes `b`'s process start.",
    f"- Rebalance: worker `a` drains the stream and holds all {shards} leases; while records trickle in (2,000 every "
    f"~0.2 s), worker `c` of the same application starts. Time from `c`'s process start to `c` processing records "
    f"on {shards // 2} shards (an even split). riffle-consumer steals by graceful handoff (the loser checkpoints "
    "first, so nothing is processed twice).",
    "",
    "| worker | fail-over: kill -> all shards s | kill -> first shard s | rebalance: start -> even s | start -> first stolen shard s |",
    "|---|--:|--:|--:|--:|",
    f"| **riffle-consumer** | {fo['riffle']['all']:.2f} | {fo['riffle']['first']:.2f} | {rb['riffle']['balanced']:.2f} | {rb['riffle']['first']:.2f} |",
    f"| kcl-rs | {fo['kcl']['all']:.2f} | {fo['kcl']['first']:.2f} | {rb['kcl']['balanced']:.2f} | {rb['kcl']['first']:.2f} |",
    "",
    f"Ratios (kcl-rs time / riffle-consumer time): fail-over **{fo['kcl']['all'] / fo['riffle']['all']:,.1f}x**, "
    f"rebalance **{rb['kcl']['balanced'] / rb['riffle']['balanced']:,.1f}x**.",
    "<!-- bench-consumer:end -->",
]
section = "\n".join(lines) + "\n"
text = open(out).read()
pat = re.compile(r"<!-- bench-consumer:begin.*?<!-- bench-consumer:end -->\n?", re.S)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(out, "w").write(text)
print(section)
PY
