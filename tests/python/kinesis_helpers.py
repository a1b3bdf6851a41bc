"""Shared helpers for the Riffle boto3 / AWS CLI suite (imported by conftest and the test modules)."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "000000000000"
REGION = "us-east-1"
MAX_HASH = 2**128 - 1
ACCESS_KEY = "AKIDRIFFLETEST000000"
SECRET_KEY = "riffle-test-secret-key"
LISTEN_RE = re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+)")
STREAM_NAME_PATTERN = "[a-zA-Z0-9_.-]+"


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}"


def rnf_message(name: str) -> str:
    return f"Stream {name} under account {ACCOUNT_ID} not found."


def unique_name(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------------------------


def riffle_binary() -> str:
    binary = os.environ.get("RIFFLE_BIN") or str(REPO_ROOT / "target" / "debug" / "riffle")
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        raise RuntimeError(
            f"riffle binary not found at {binary}: run `cargo build -p riffle-cli` or set RIFFLE_BIN"
        )
    return binary


class RiffleServer:
    """One `riffle serve` process bound to 127.0.0.1:0 on a given data dir; restartable."""

    def __init__(self, data_dir: Path, log_path: Path, extra_args=(), delay_ms: int = 50):
        self.binary = riffle_binary()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(log_path)
        self.extra_args = list(extra_args)
        self.delay_ms = delay_ms
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.scheme = "http"
        self._log = None
        self._log_lock = threading.Lock()
        self.starts = 0

    # -- lifecycle -------------------------------------------------------------------------

    def command(self) -> list[str]:
        d = str(self.delay_ms)
        return [
            self.binary, "serve",
            "--addr", "127.0.0.1:0",
            "--data-dir", str(self.data_dir),
            "--create-delay-ms", d,
            "--delete-delay-ms", d,
            "--update-delay-ms", d,
            *self.extra_args,
        ]

    def _write_log(self, data: bytes) -> None:
        with self._log_lock:
            if self._log is not None and not self._log.closed:
                self._log.write(data)
                self._log.flush()

    def start(self, timeout: float = 30.0) -> "RiffleServer":
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        self.starts += 1
        self._log = open(self.log_path, "ab")
        self._write_log(f"==== start #{self.starts}: {' '.join(self.command())}\n".encode())
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=str(self.data_dir.parent),
        )
        lines: "queue.Queue[bytes | None]" = queue.Queue()

        def pump(stream):
            for line in iter(stream.readline, b""):
                self._write_log(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError(f"riffle did not print its listen line within {timeout}s\n{self.log_tail()}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait()
                raise RuntimeError(f"riffle exited with {rc} before listening\n{self.log_tail()}")
            m = LISTEN_RE.search(line.decode("utf-8", "replace"))
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Send `sig` and wait; returns the exit code (negative = killed by a signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError(f"riffle did not exit within {timeout}s after signal {sig}\n{self.log_tail()}")
        rc = self.proc.returncode
        with self._log_lock:
            if self._log is not None:
                self._log.write(f"==== exited with {rc}\n".encode())
                self._log.close()
        return rc

    def kill(self) -> int | None:
        return self.stop(signal.SIGKILL)

    def restart(self, sig: int = signal.SIGTERM) -> int | None:
        rc = self.stop(sig)
        self.start()
        return rc

    @property
    def endpoint(self) -> str:
        assert self.port is not None
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def client(self, **kw):
        return make_client(self.endpoint, **kw)

    def log_tail(self, n: int = 40) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return "(no server log)"
        return "---- server log (tail) ----\n" + "\n".join(text.splitlines()[-n:])


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


def make_client(endpoint: str, validate: bool = True, read_timeout: int = 60, verify=None):
    cfg = Config(
        region_name=REGION,
        retries={"mode": "standard", "max_attempts": 1},  # no retries: errors must surface
        connect_timeout=5,
        read_timeout=read_timeout,
        parameter_validation=validate,
    )
    return boto3.session.Session().client(
        "kinesis",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=cfg,
        verify=verify,
    )


@dataclass
class CliResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else None

    def ok(self) -> "CliResult":
        assert self.rc == 0, f"aws cli failed rc={self.rc}\nstdout={self.stdout}\nstderr={self.stderr}"
        return self


def cli_env() -> dict:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_RETRY_MODE="standard",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return env


def run_aws(endpoint: str, *args: str, timeout: float = 120) -> CliResult:
    """`aws --endpoint-url <ep> --output json kinesis <args>` via the pinned awscli in this interpreter."""
    cmd = [
        sys.executable, "-m", "awscli",
        "--endpoint-url", endpoint,
        "--region", REGION,
        "--output", "json",
        "kinesis", *args,
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), timeout=timeout)
    return CliResult(p.returncode, p.stdout, p.stderr)


# --------------------------------------------------------------------------------------------
# Kinesis helpers
# --------------------------------------------------------------------------------------------


def expect_error(fn, code: str, message: str | None = None, *, status: int = 400,
                 startswith: str | None = None, contains: str | None = None, **kwargs) -> ClientError:
    """Call fn(**kwargs), assert it raises ClientError with the given __type/message/HTTP status."""
    try:
        result = fn(**kwargs)
    except ClientError as e:
        err = e.response.get("Error", {})
        got_code, got_msg = err.get("Code"), err.get("Message")
        got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        summary = f"got code={got_code!r} status={got_status!r} message={got_msg!r}"
        assert got_code == code, f"expected {code}; {summary}"
        if message is not None:
            assert got_msg == message, f"expected message {message!r}; {summary}"
        if startswith is not None:
            assert (got_msg or "").startswith(startswith), f"expected message starting {startswith!r}; {summary}"
        if contains is not None:
            assert contains in (got_msg or ""), f"expected message containing {contains!r}; {summary}"
        assert got_status == status, f"expected HTTP {status}; {summary}"
        return e
    raise AssertionError(f"expected {code} but the call succeeded: {result!r}")


def wait_status(client, name: str, status: str = "ACTIVE", timeout: float = 10.0, interval: float = 0.05) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        s = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        last = s["StreamStatus"]
        if last == status:
            return s
        time.sleep(interval)
    raise AssertionError(f"stream {name} did not reach {status} within {timeout}s (last status {last})")


def wait_gone(client, name: str, timeout: float = 10.0, interval: float = 0.05) -> ClientError:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.describe_stream_summary(StreamName=name)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return e
            raise
        time.sleep(interval)
    raise AssertionError(f"stream {name} still exists {timeout}s after DeleteStream")


def create_stream(client, name: str | None = None, shards: int | None = 1, wait: bool = True, **kw) -> str:
    name = name or unique_name()
    args = {"StreamName": name, **kw}
    if shards is not None:
        args["ShardCount"] = shards
    client.create_stream(**args)
    if wait:
        wait_status(client, name, "ACTIVE")
    return name


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def expected_ranges(n: int) -> list[tuple[int, int]]:
    """Spec §3: w = floor(2^128 / N); shard i = [i*w, (i+1)*w - 1]; last ends at 2^128 - 1."""
    w = 2**128 // n
    ranges = [(i * w, (i + 1) * w - 1) for i in range(n)]
    ranges[-1] = (ranges[-1][0], MAX_HASH)
    return ranges


def list_all_shards(client, name: str) -> list[dict]:
    """All shards via ListShards + NextToken (not the boto3 paginator: it re-sends StreamName, see botocore#2009)."""
    resp = client.list_shards(StreamName=name)
    shards = list(resp["Shards"])
    while resp.get("NextToken"):
        resp = client.list_shards(NextToken=resp["NextToken"])
        shards.extend(resp["Shards"])
    return shards


def shard_for_hash(shards: list[dict], h: int) -> str:
    matches = [
        s["ShardId"] for s in shards
        if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})
        and int(s["HashKeyRange"]["StartingHashKey"]) <= h <= int(s["HashKeyRange"]["EndingHashKey"])
    ]
    assert len(matches) == 1, f"hash {h} matched shards {matches}"
    return matches[0]


def _retry_throttled(fn, **kwargs):
    """Retry only ProvisionedThroughputExceeded (what every real Kinesis consumer does)."""
    for attempt in range(40):
        try:
            return fn(**kwargs)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ProvisionedThroughputExceededException" or attempt == 39:
                raise
            time.sleep(0.25)


def shard_iterator(client, name: str, shard_id: str, it_type: str = "TRIM_HORIZON", **kw) -> str:
    return _retry_throttled(
        client.get_shard_iterator, StreamName=name, ShardId=shard_id, ShardIteratorType=it_type, **kw
    )["ShardIterator"]


def get_records(client, iterator: str, **kw) -> dict:
    return _retry_throttled(client.get_records, ShardIterator=iterator, **kw)


def read_shard(client, name: str, shard_id: str, it_type: str = "TRIM_HORIZON", expect: int | None = None,
               max_calls: int = 100, **kw) -> list[dict]:
    """Read a shard from the given position until caught up (empty batch and MillisBehindLatest 0),
    or until `expect` records have been read."""
    it = shard_iterator(client, name, shard_id, it_type, **kw)
    out: list[dict] = []
    for _ in range(max_calls):
        resp = get_records(client, it)
        out.extend(resp["Records"])
        it = resp.get("NextShardIterator")
        if it is None:
            break
        if expect is not None and len(out) >= expect:
            break
        if expect is None and not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
            break
    return out
