"""Fixtures for the Riffle boto3 / AWS CLI compatibility suite.

* `server`      – session-wide `riffle serve` on 127.0.0.1:0 in a temp data dir (50 ms state delays).
* `endpoint`    – its http://127.0.0.1:<port>.
* `kinesis`     – boto3 Kinesis client (dummy credentials, us-east-1, no retries).
* `kinesis_raw` – same, with botocore's client-side parameter validation off (to reach server validation).
* `streams`     – factory creating uniquely named streams (waits for ACTIVE); deletes them afterwards.
* `aws`         – runs `python -m awscli --endpoint-url … --output json kinesis …` (pinned CLI v1).
* `riffle_factory` – starts extra servers on their own data dir; each can `.restart(SIGTERM|SIGKILL)`.
"""

from __future__ import annotations

import importlib.util
import os
import signal

import pytest
from botocore.exceptions import ClientError

from kinesis_helpers import (
    RiffleServer,
    create_stream,
    make_client,
    run_aws,
    unique_name,
)

# Keep the suite hermetic: no user AWS config, no proxy for loopback.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.pop("AWS_PROFILE", None)
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("riffle-session")
    srv = RiffleServer(base / "data", base / "server.log")
    srv.start()
    yield srv
    srv.stop(signal.SIGTERM)


@pytest.fixture(scope="session")
def endpoint(server) -> str:
    return server.endpoint


@pytest.fixture(scope="session")
def kinesis(endpoint):
    return make_client(endpoint)


@pytest.fixture(scope="session")
def kinesis_raw(endpoint):
    """Client without botocore's parameter validation, for requests the server itself must reject."""
    return make_client(endpoint, validate=False)


class StreamFactory:
    def __init__(self, client):
        self.client = client
        self.created: list[str] = []

    def __call__(self, shards: int | None = 1, name: str | None = None, wait: bool = True,
                 prefix: str = "py", **kw) -> str:
        name = name or unique_name(prefix)
        self.created.append(name)
        return create_stream(self.client, name, shards=shards, wait=wait, **kw)

    def cleanup(self):
        for name in self.created:
            try:
                self.client.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
            except ClientError:
                pass


@pytest.fixture
def streams(kinesis):
    factory = StreamFactory(kinesis)
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
def aws(endpoint):
    if importlib.util.find_spec("awscli") is None:
        pytest.fail("awscli is not installed in this interpreter; run tests/python/run.sh")

    def run(*args: str, timeout: float = 120):
        return run_aws(endpoint, *args, timeout=timeout)

    return run


@pytest.fixture
def riffle_factory(tmp_path):
    """Start dedicated servers (own data dir, restartable). Usage: srv = riffle_factory('--fsync', 'always')."""
    started: list[RiffleServer] = []

    def start(*extra_args: str, delay_ms: int = 50) -> RiffleServer:
        idx = len(started)
        srv = RiffleServer(tmp_path / f"data{idx}", tmp_path / f"server{idx}.log",
                           extra_args=extra_args, delay_ms=delay_ms)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        try:
            srv.stop(signal.SIGTERM)
        except Exception:  # noqa: BLE001 - best-effort teardown
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the tail of the server log(s) to failing tests, to make server-side issues debuggable."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    srv = item.funcargs.get("server") if hasattr(item, "funcargs") else None
    if isinstance(srv, RiffleServer):
        rep.sections.append(("riffle server log", srv.log_tail(25)))
