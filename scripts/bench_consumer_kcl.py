"""One kcl-rs worker (PyPI `kcl-rs`, run from the repo's .venv) with a trivial processor, for
scripts/bench-consumer.sh: counts records, checkpoints after every batch, and prints JSON lines
(times in ms since the Unix epoch), as examples/bench_worker.rs does for riffle-consumer:
`{"event":"start"}` at once, `{"event":"shard_first"}` at each shard processor's first record, and
`{"event":"done"}` once EXPECTED records were processed — then it shuts down, or with --hold keeps
its leases until SIGTERM/SIGINT (or SIGKILL, for the fail-over run).

    python scripts/bench_consumer_kcl.py --endpoint URL --stream NAME --app NAME --expected N [--hold]

Kinesis and the lease table both go to --endpoint (AWS_ENDPOINT_URL), as tests/python/test_kcl.py
drives kcl-rs against riffle serve.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time


def now_ms() -> int:
    return int(time.time() * 1000)


def main() -> int:
    start_ms = now_ms()
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stream", required=True)
    ap.add_argument("--app", required=True)
    ap.add_argument("--expected", type=int, required=True)
    ap.add_argument("--max-records", type=int, default=10000)
    ap.add_argument("--idle-ms", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--hold", action="store_true", help="keep running (and holding leases) after EXPECTED")
    ap.add_argument("--worker-id", default=None)
    args = ap.parse_args()
    print(json.dumps({"event": "start", "t_ms": start_ms}), flush=True)
    for var, value in {"AWS_ENDPOINT_URL": args.endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                       "AWS_REGION": "us-east-1"}.items():
        os.environ[var] = value
    os.environ.setdefault("RUST_LOG", "error")
    import kcl_rs  # after the environment is set

    lock = threading.Lock()
    state = {"count": 0, "first_ms": 0}
    done = threading.Event()

    class Processor(kcl_rs.RecordProcessorBase):
        def initialize(self, inp):
            self.shard = inp.shard_id
            self.seen = False

        def process_records(self, inp):
            n = len(inp.records)
            if n:
                with lock:
                    if not self.seen:
                        self.seen = True
                        print(json.dumps({"event": "shard_first", "shard": self.shard, "t_ms": now_ms()}), flush=True)
                    if not state["first_ms"]:
                        state["first_ms"] = now_ms()
                    state["count"] += n
                    if state["count"] >= args.expected:
                        done.set()
            inp.checkpointer.checkpoint()

        def lease_lost(self, inp):
            pass

        def shard_ended(self, inp):
            inp.checkpointer.checkpoint()

        def shutdown_requested(self, inp):
            inp.checkpointer.checkpoint()

    scheduler = kcl_rs.Scheduler(
        stream_name=args.stream, application_name=args.app, record_processor_factory=Processor,
        region="us-east-1", initial_position="TRIM_HORIZON", retrieval_mode="POLLING",
        max_records=args.max_records, idle_time_between_reads_millis=args.idle_ms,
        worker_identifier=args.worker_id)
    scheduler.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: (stop.set(), done.set()))
    finished = done.wait(args.timeout) and not stop.is_set()
    done_ms = now_ms()
    with lock:
        out = {"event": "done" if finished else "timeout", "t_ms": done_ms, "start_ms": start_ms,
               "first_ms": state["first_ms"], "records": state["count"], "kcl_rs": kcl_version()}
    print(json.dumps(out), flush=True)
    if args.hold and finished:
        stop.wait()
    scheduler.shutdown()
    return 0 if finished else 1


def kcl_version() -> str:
    try:
        from importlib.metadata import version
        return version("kcl-rs")
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
