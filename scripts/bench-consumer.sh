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
}
trap cleanup EXIT

DATA="$RESULTS/riffle-data"
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

log "1/3 riffle-consumer: one worker drains $RECORDS records"
timeout 300 "$WORKER" "$EP" "riffle-$RUN_ID" bench w1 "$RECORDS" --exit --failover-ms "$FAILOVER_MS" \
  > "$RESULTS/riffle.jsonl" 2> "$RESULTS/riffle.err"

log "2/3 kcl-rs: one worker drains $RECORDS records"
timeout 360 "$PY" "$ROOT/scripts/bench_consumer_kcl.py" --endpoint "$EP" --stream bench --app "kcl-$RUN_ID" \
  --expected "$RECORDS" > "$RESULTS/kcl.jsonl" 2> "$RESULTS/kcl.err"

log "3/3 riffle-consumer fail-over (failover time $FAILOVER_MS ms)"
APP_FO="failover-$RUN_ID"
"$WORKER" "$EP" "$APP_FO" bench a "$RECORDS" --failover-ms "$FAILOVER_MS" > "$RESULTS/failover-a.jsonl" 2> "$RESULTS/failover-a.err" &
A_PID=$!
PIDS+=("$A_PID")
for _ in $(seq 1 600); do grep -q '"done"' "$RESULTS/failover-a.jsonl" && break; sleep 0.1; done
grep -q '"done"' "$RESULTS/failover-a.jsonl" || { echo "fail-over worker a never drained the stream" >&2; exit 1; }
sleep 1  # let its last checkpoints land, so b resumes from them
KILL_MS="$(date +%s%3N)"
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null || true
"$WORKER" "$EP" "$APP_FO" bench b "$FAILOVER_RECORDS" --exit --failover-ms "$FAILOVER_MS" \
  > "$RESULTS/failover-b.jsonl" 2> "$RESULTS/failover-b.err" &
B_PID=$!
PIDS+=("$B_PID")
"$RIFFLE" bench put --endpoint "$EP" --stream bench --records "$FAILOVER_RECORDS" --json > "$RESULTS/failover-put.json"
PUT_DONE_MS="$(date +%s%3N)"
timeout 120 tail --pid "$B_PID" -f /dev/null || { echo "fail-over worker b did not finish" >&2; exit 1; }
LOAD_AT_END="$(cut -d' ' -f1-3 /proc/loadavg)"

VERSIONS="riffle $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || VERSIONS="$VERSIONS (dirty tree)"
VERSIONS="$VERSIONS; $(rustc --version); kcl-rs $("$PY" -c 'from importlib.metadata import version; print(version("kcl-rs"))') on $("$PY" --version)"
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | awk '{print $1, $2}'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), Linux $(uname -r)"

python3 - "$RESULTS" "$OUT" "$RECORDS" "$SHARDS" "$FAILOVER_MS" "$FAILOVER_RECORDS" "$KILL_MS" "$PUT_DONE_MS" \
  "$LOAD_AT_START" "$LOAD_AT_END" "$VERSIONS" "$MACHINE" <<'PY'
import datetime, json, re, sys
(results, out, records, shards, failover_ms, fo_records, kill_ms, put_done_ms,
 load0, load1, versions, machine) = sys.argv[1:]
records, kill_ms, put_done_ms = int(records), int(kill_ms), int(put_done_ms)

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
b = events("failover-b")
b_shards = {}
for line in open(f"{results}/failover-b.jsonl"):
    if line.startswith("{") and '"shard_first"' in line:
        e = json.loads(line)
        b_shards.setdefault(e["shard"], e["t_ms"])
fo_first = (min(b_shards.values()) - kill_ms) / 1000
fo_all = (max(b_shards.values()) - kill_ms) / 1000
fo_done = (b["done"]["t_ms"] - kill_ms) / 1000
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
    f"Fail-over (riffle-consumer only; kcl-rs 0.1.4 does not expose its failover time to Python): worker `a` "
    f"(failover time {int(failover_ms):,} ms{default_note}) drains the stream holding all {shards} leases and is "
    f"SIGKILLed 1 s after its last record; worker `b` of the same application starts at that moment and "
    f"{int(fo_records):,} more records are put at once (put finished {(put_done_ms - kill_ms) / 1000:.2f} s after the kill). "
    f"Kill -> `b`'s first record on every one of the {len(b_shards)} shards: **{fo_all:.2f} s** "
    f"(first shard after {fo_first:.2f} s: `b` steals one lease at once for balance, as the KCL does, without waiting "
    f"for expiry; the others it takes once their counters stood still for the failover time). "
    f"Kill -> `b` processed all {b['done']['records']:,} new records: {fo_done:.2f} s.",
    "<!-- bench-consumer:end -->",
]
section = "\n".join(lines) + "\n"
text = open(out).read()
pat = re.compile(r"<!-- bench-consumer:begin.*?<!-- bench-consumer:end -->\n?", re.S)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(out, "w").write(text)
print(section)
PY
