#!/usr/bin/env bash
# The producer benchmark of issue 5: 100-byte user records against one fresh release
# `riffle serve` (fsync always), in one run, four ways:
#   1. a loop of single PutRecord calls through the AWS SDK for Rust, each awaited (`riffle bench
#      producer --sdk-put-loop`): what an application writes without a KPL;
#   2. the same loop through riffle-bench's raw client (`riffle bench put --batch 1
#      --concurrency 1`: requests serialised once, not signed), the floor of one call's cost;
#   3. riffle-producer (`riffle bench producer`: aggregation, collection, KPL defaults);
#   4. aiokpl from PyPI (pinned below) through scripts/bench_producer_aiokpl.py;
# in --repeat rounds (default 3), each round running all four in turn, so a slow spell of the
# machine (its figures move by a sixth from one minute to the next) falls on every client
# alike; each client's median round is reported, with the range. Then it writes the figures
# and ratios into BENCHMARKS.md between the bench-producer markers (the rest of the file, the
# bench-peers section included, is left alone).
#
#   scripts/bench-producer.sh                 # 3 rounds of 10 s per client, 256 shards
#   scripts/bench-producer.sh --duration 5 --shards 16 --repeat 1
#
# Both producers run at the KPL's default RateLimit (150% of each shard's 1 MiB/s and 1,000
# records/s); the stream has enough shards (256) that this is not what bounds them (at 64, the
# limit, 96 MiB/s in all, is reached before the cores are). Raw JSON
# stays in bench-out/producer-<time>/. aiokpl is installed into
# $RIFFLE_BENCH_CACHE/producer-venv (default ~/.cache/riffle-bench-peers).
# Environment: RIFFLE_BENCH_BIN=/path/to/riffle uses that binary instead of building riffle-cli.
set -euo pipefail

AIOKPL_VERSION=0.2.0
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION=10
SHARDS=256
REPEAT=3
OUT="$ROOT/BENCHMARKS.md"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[bench-producer %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$ROOT/bench-out/producer-$RUN_ID"
mkdir -p "$RESULTS"
CACHE="${RIFFLE_BENCH_CACHE:-$HOME/.cache/riffle-bench-peers}"
VENV="$CACHE/producer-venv"
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1

if [[ "$("$VENV/bin/python" -c 'import aiokpl; print(aiokpl.__version__)' 2>/dev/null || true)" != "$AIOKPL_VERSION" ]]; then
  log "installing aiokpl==$AIOKPL_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "aiokpl==$AIOKPL_VERSION" > "$RESULTS/pip-install.log" 2>&1
fi

RIFFLE="${RIFFLE_BENCH_BIN:-}"
if [[ -z "$RIFFLE" ]]; then
  log "building riffle (release)"
  (cd "$ROOT" && cargo build --release -p riffle-cli) > "$RESULTS/build.log" 2>&1 \
    || { echo "riffle-cli does not build; see $RESULTS/build.log" >&2; exit 1; }
  # A copy, so concurrent builds in the shared target dir cannot swap it mid-run.
  cp "$ROOT/target/release/riffle" "$RESULTS/riffle"
  RIFFLE="$RESULTS/riffle"
fi

DATA="$RESULTS/riffle-data"
"$RIFFLE" serve --addr 127.0.0.1:0 --data-dir "$DATA" --fsync always > "$RESULTS/serve.log" 2>&1 &
SERVER_PID=$!
# The server's log of the run is deleted with it: gigabytes a run, of no use afterwards.
trap 'kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  PORT="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$RESULTS/serve.log" | head -1 | sed 's/.*://' || true)"
  [[ -n "$PORT" ]] && break
  sleep 0.1
done
[[ -n "${PORT:-}" ]] || { echo "riffle serve did not start; see $RESULTS/serve.log" >&2; exit 1; }
EP="http://127.0.0.1:$PORT"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

log "creating stream bench ($SHARDS shards) on $EP"
"$RIFFLE" bench producer --endpoint "$EP" --stream bench --shards "$SHARDS" --records 1 --json > /dev/null
for round in $(seq 1 "$REPEAT"); do
  log "round $round/$REPEAT: 1/4 single PutRecord loop through the AWS SDK, $DURATION s"
  "$RIFFLE" bench producer --endpoint "$EP" --stream bench --sdk-put-loop --duration "$DURATION" --json \
    > "$RESULTS/sdk-loop-$round.json"
  log "round $round/$REPEAT: 2/4 single PutRecord loop through riffle-bench's raw client, $DURATION s"
  "$RIFFLE" bench put --endpoint "$EP" --stream bench --batch 1 --concurrency 1 --duration "$DURATION" --json \
    > "$RESULTS/single-$round.json"
  log "round $round/$REPEAT: 3/4 riffle-producer, $DURATION s"
  "$RIFFLE" bench producer --endpoint "$EP" --stream bench --duration "$DURATION" --json \
    > "$RESULTS/producer-$round.json"
  log "round $round/$REPEAT: 4/4 aiokpl $AIOKPL_VERSION, $DURATION s"
  "$VENV/bin/python" "$ROOT/scripts/bench_producer_aiokpl.py" --endpoint "$EP" --stream bench \
    --duration "$DURATION" > "$RESULTS/aiokpl-$round.json"
done
LOAD_AT_END="$(cut -d' ' -f1-3 /proc/loadavg)"

VERSIONS="riffle $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || VERSIONS="$VERSIONS (dirty tree)"
VERSIONS="$VERSIONS; $(rustc --version); aiokpl $AIOKPL_VERSION with $("$VENV/bin/pip" freeze | grep -E '^(aiobotocore|botocore)==' | tr '\n' ' ')on $("$VENV/bin/python" --version)"
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | awk '{print $1, $2}'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), Linux $(uname -r)"

python3 - "$RESULTS" "$OUT" "$DURATION" "$SHARDS" "$LOAD_AT_START" "$LOAD_AT_END" "$VERSIONS" "$MACHINE" "$REPEAT" <<'PY'
import datetime, json, re, sys
results, out, duration, shards, load0, load1, versions, machine, repeat = sys.argv[1:]
repeat = int(repeat)
RATE = {"single": "records_per_sec"}


def median_run(name):
    """The client's median round by rate (the lower middle one of an even count), with the
    range of its rates over the rounds."""
    runs = [json.load(open(f"{results}/{name}-{r}.json")) for r in range(1, repeat + 1)]
    key = RATE.get(name, "user_records_per_sec")
    runs.sort(key=lambda run: run[key])
    median = runs[(len(runs) - 1) // 2]
    median["range"] = (runs[0][key], runs[-1][key])
    return median


single, sdk, producer, aiokpl = (median_run(n) for n in ("single", "sdk-loop", "producer", "aiokpl"))
s_rate, p_rate, a_rate = single["records_per_sec"], producer["user_records_per_sec"], aiokpl["user_records_per_sec"]
k_rate = sdk["user_records_per_sec"]
fmt = lambda x: f"{x:,.0f}"
spread = lambda run: f"{fmt(run['range'][0])}–{fmt(run['range'][1])}" if repeat > 1 else "-"
ratio = lambda a, b: f"{a / b:,.0f}x" if b else "n/a"
rows = [
    ("loop of single PutRecord calls, AWS SDK for Rust (`riffle bench producer --sdk-put-loop`)", fmt(k_rate),
     spread(sdk), fmt(k_rate), f"{sdk['cpu_us_per_user_record']:.2f}",
     f"{sdk['written']:,} written, {sdk['failed']} failed"),
    ("loop of single PutRecord calls, raw unsigned client (`riffle bench put --batch 1 --concurrency 1`)",
     fmt(s_rate), spread(single), fmt(s_rate), "-",
     f"{single['records_ok']:,} written, {single['records_failed']} failed"),
    ("**riffle-producer** (`riffle bench producer`)", fmt(p_rate), spread(producer),
     f"{producer['kinesis_records_per_sec']:,.1f}", f"{producer['cpu_us_per_user_record']:.2f}",
     f"{producer['written']:,} written, {producer['failed']} failed"),
    (f"aiokpl {versions.split('aiokpl ')[1].split(' ')[0]} (`scripts/bench_producer_aiokpl.py`)", fmt(a_rate),
     spread(aiokpl), f"{aiokpl['kinesis_records_per_sec']:,.1f}", f"{aiokpl['cpu_us_per_user_record']:.2f}",
     f"{aiokpl['written']:,} written, {aiokpl['failed']} failed"),
]
lines = [
    "<!-- bench-producer:begin (generated by scripts/bench-producer.sh; edits here are overwritten) -->",
    "## Producer: user records/s (generated)",
    "",
    f"- Command: `scripts/bench-producer.sh --duration {duration} --shards {shards} --repeat {repeat}`",
    f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
    f"- Machine: {machine}; load average {load0} at start, {load1} at end (other engineers' builds share these cores)",
    f"- Versions: {versions}",
    f"- Server: one fresh release `riffle serve --fsync always` on 127.0.0.1 for all runs, stream of {shards} shards; "
    f"each run {duration} s of puts of 100-byte user records with distinct partition keys, then the drain; "
    "the driver shares the cores with the server.",
    f"- {repeat} rounds, each running the four clients in turn; a client's figures are those of its median round "
    "(by rate), the range its rates over all rounds. The ratios divide medians.",
    "- user records/s counts records answered as written over the whole run, drain included; "
    "the producers run at the KPL's default RateLimit (150% of each shard's limits), which "
    f"{shards} shards put above what this machine reaches. CPU is the client process's, per user record written.",
    "- The SDK loop is what the KPL's \"about 800x\" is measured against: an application's own PutRecord calls, "
    "signed and awaited one by one. The raw loop sends pre-serialised, unsigned requests (local servers do not "
    "check signatures): no real client is cheaper, so it bounds the ratio from below.",
    "",
    "| client | user records/s | range over rounds | Kinesis records/s | CPU us / user record | records (median round) |",
    "|---|--:|--:|--:|--:|---|",
    *[f"| {a} | {b} | {r} | {c} | {d} | {e} |" for a, b, r, c, d, e in rows],
    "",
    f"Ratios: riffle-producer vs the SDK's single-PutRecord loop **{ratio(p_rate, k_rate)}** "
    f"(the KPL claims about 800x); vs the raw-client loop **{ratio(p_rate, s_rate)}**; "
    f"vs aiokpl **{ratio(p_rate, a_rate)}**.",
    "<!-- bench-producer:end -->",
]
section = "\n".join(lines) + "\n"
text = open(out).read()
pat = re.compile(r"<!-- bench-producer:begin.*?<!-- bench-producer:end -->\n?", re.S)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(out, "w").write(text)
print(section)
PY
