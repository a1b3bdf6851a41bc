"""Error conformance: every case of conformance/cases.json, one test each, over raw HTTP.

Each case names a target, a body (a JSON value, or a raw string sent as is) and what AWS answers:
HTTP status, `__type` (checked in the body and in the `x-amzn-ErrorType` header) and the exact
message (or `message_regex` where it holds generated values; `null` where AWS sends none). Its
`source` says where the expectation comes from. Placeholders: `{stream}` (an ACTIVE 2-shard
stream, `setup: "stream"`; `"stream48"` has 48 h retention), `{missing}` (a name no stream has),
`{account}`, `{region}`, and `{b64:N}` inside a string (base64 of N zero bytes).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kinesis_helpers import ACCOUNT_ID, REGION

CASES = json.loads((Path(__file__).parent / "conformance" / "cases.json").read_text())
PREFIX = "Kinesis_20131202."
JSON_11 = "application/x-amz-json-1.1"
CBOR_11 = "application/x-amz-cbor-1.1"
B64 = re.compile(r"\{b64:(\d+)\}")


def _request(endpoint, target, body: bytes | None, *, method="POST", path="/", content_type=JSON_11, timeout=120):
    u = urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    headers = {} if content_type is None else {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    try:
        try:
            conn.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (and close) before an oversized body is fully sent.
            pass
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _call(endpoint, op, body: dict):
    return _request(endpoint, PREFIX + op, json.dumps(body).encode())


def _make_stream(endpoint, retention=None) -> str:
    name = "conf-" + uuid.uuid4().hex[:12]
    status, _, body = _call(endpoint, "CreateStream", {"StreamName": name, "ShardCount": 2})
    assert status == 200, body
    deadline = time.time() + 30
    while time.time() < deadline:
        _, _, body = _call(endpoint, "DescribeStreamSummary", {"StreamName": name})
        if json.loads(body)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    if retention:
        status, _, body = _call(endpoint, "IncreaseStreamRetentionPeriod",
                                {"StreamName": name, "RetentionPeriodHours": retention})
        assert status == 200, body
        time.sleep(0.2)
    return name


@pytest.fixture(scope="session")
def conformance_streams(endpoint):
    made: dict[str, str] = {}

    def get(kind: str) -> str:
        if kind not in made:
            made[kind] = _make_stream(endpoint, retention=48 if kind == "stream48" else None)
        return made[kind]

    yield get
    for name in made.values():
        _call(endpoint, "DeleteStream", {"StreamName": name})


def _subst(value, names: dict):
    if isinstance(value, str):
        value = B64.sub(lambda m: base64.b64encode(bytes(int(m.group(1)))).decode(), value)
        for k, v in names.items():
            value = value.replace("{" + k + "}", v)
        return value
    if isinstance(value, list):
        return [_subst(v, names) for v in value]
    if isinstance(value, dict):
        return {_subst(k, names): _subst(v, names) for k, v in value.items()}
    return value


def test_cases_are_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 150
    for c in CASES:
        assert c.get("source"), c["name"]
        exp = c["expect"]
        assert {"status", "type"} <= exp.keys() and ("message" in exp) != ("message_regex" in exp), c["name"]


XML_ERROR = re.compile(r"<(\w+)>\n  <Message>(.*)</Message>\n</\1>\n|<(\w+)/>\n", re.S)


def _error_document(content_type, headers, raw: bytes):
    """The error as `{"__type", "message"}`, whichever of AWS's shapes carried it, and whether
    that shape is the API's own (JSON or CBOR, named again in `x-amzn-ErrorType`) rather than the
    XML of requests that never reach the API (no content type) or Coral's deprecated
    `application/json` envelope (status 200); neither of those has the header."""
    if "content-type" not in headers:
        m = XML_ERROR.fullmatch(raw.decode())
        assert m, raw
        doc = {"__type": m.group(1) or m.group(3)}
        if m.group(2) is not None:
            doc["message"] = m.group(2)
        return doc, False
    if headers["content-type"] == "application/json":
        output = json.loads(raw)["Output"]
        assert output.get("message", output.get("Message", "x")) is None, output
        return {"__type": output["__type"]}, False
    if content_type == CBOR_11:
        import cbor2
        return cbor2.loads(raw), True
    return json.loads(raw), True


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conformance(endpoint, conformance_streams, case):
    names = {"account": ACCOUNT_ID, "region": REGION, "missing": "missing-" + uuid.uuid4().hex[:12]}
    if case.get("setup", "none") != "none":
        names["stream"] = conformance_streams(case["setup"])
    target = case["target"]
    if target is not None and not case.get("raw_target"):
        target = PREFIX + target
    content_type = case.get("content_type", JSON_11)
    if "cbor_hex" in case:
        body, content_type = bytes.fromhex(case["cbor_hex"]), CBOR_11
    elif "oversize" in case:
        n = case["oversize"]
        body = b'{"StreamName":"s","PartitionKey":"k","Data":"' + b"A" * (n - 44) + b'"}'
        assert len(body) >= n
    elif case["body"] is None:
        body = None
    elif isinstance(case["body"], str):
        body = case["body"].encode()
    else:
        body = json.dumps(_subst(case["body"], names)).encode()
    status, headers, raw = _request(endpoint, target, body, method=case.get("method", "POST"),
                                    path=case.get("path", "/"), content_type=content_type)
    exp = case["expect"]
    doc, api_shape = _error_document(content_type, headers, raw)
    got = (status, doc.get("__type"), headers.get("x-amzn-errortype"))
    assert got == (exp["status"], exp["type"], exp["type"] if api_shape else None), (got, doc)
    if "message_regex" in exp:
        pattern = _subst(exp["message_regex"], {k: re.escape(v) for k, v in names.items()})
        assert re.fullmatch(pattern, doc.get("message") or ""), doc
    elif exp["message"] is None:
        assert "message" not in doc and "Message" not in doc, doc
    else:
        assert doc.get("message") == _subst(exp["message"], names), doc
