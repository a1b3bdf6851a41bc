"""`riffle serve --auth`: SigV4 from boto3 and the AWS CLI is accepted; bad, missing or half-made signatures get
AWS's exact __type, message and HTTP 400 (checked with raw urllib requests too); presigned URLs verify."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import urllib.error
import urllib.request

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from kinesis_helpers import ACCESS_KEY, REGION, SECRET_KEY, cli_env, expect_error, unique_name

JSON_11 = "application/x-amz-json-1.1"
LIST_STREAMS = "Kinesis_20131202.ListStreams"
TEMP_KEY, TEMP_SECRET, TEMP_TOKEN = "ASIARIFFLETEMP000000", "temp-secret", "IQoJb3JpZ2luX2VjEAYaCXVzLWVhc3QtMSJH+token="
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")
UNKNOWN_KEY = "The security token included in the request is invalid."


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """One --auth server for the module: the suite's key (flag) and a temporary key (keys file)."""
    from kinesis_helpers import RiffleServer

    base = tmp_path_factory.mktemp("riffle-auth")
    keys = base / "keys.txt"
    keys.write_text(f"# temporary credentials\n{TEMP_KEY}:{TEMP_SECRET}:{TEMP_TOKEN}\n")
    srv = RiffleServer(base / "data", base / "server.log",
                       extra_args=("--auth", "--access-key", f"{ACCESS_KEY}:{SECRET_KEY}", "--auth-keys-file", str(keys)))
    srv.start()
    yield srv
    srv.stop()


def client(endpoint: str, key: str = ACCESS_KEY, secret: str = SECRET_KEY, token: str | None = None,
           region: str = REGION):
    cfg = Config(region_name=region, retries={"mode": "standard", "max_attempts": 1})
    return boto3.session.Session().client("kinesis", endpoint_url=endpoint, region_name=region,
                                          aws_access_key_id=key, aws_secret_access_key=secret,
                                          aws_session_token=token, config=cfg)


def raw_post(url: str, headers: dict, body: bytes = b"{}"):
    """POST without any signing; returns (status, content type, parsed JSON body)."""
    headers = {"Content-Type": JSON_11, "X-Amz-Target": LIST_STREAMS, **headers}
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type"), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), json.loads(e.read())


def signed_request(endpoint: str, *, presign: bool = False, secret: str = SECRET_KEY, key: str = ACCESS_KEY,
                   payload: str = "UNSIGNED-PAYLOAD") -> AWSRequest:
    """A ListStreams request (body `{}`) signed by botocore's own signers: header form, or presigned query form with
    the payload declared `UNSIGNED-PAYLOAD` or as its SHA-256."""
    headers = {"Content-Type": JSON_11, "X-Amz-Target": LIST_STREAMS}
    creds = Credentials(key, secret)
    if presign:
        # SigV4QueryAuth would move a body into the query string, so it signs an empty one and the
        # payload hash it signs is the one declared here (x-amz-content-sha256, itself signed).
        headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD" if payload == "UNSIGNED-PAYLOAD" else \
            hashlib.sha256(b"{}").hexdigest()
        req = AWSRequest(method="POST", url=endpoint + "/", data=b"", headers=headers)
        botocore.auth.SigV4QueryAuth(creds, "kinesis", REGION, expires=300).add_auth(req)
    else:
        req = AWSRequest(method="POST", url=endpoint + "/", data=b"{}", headers=headers)
        botocore.auth.SigV4Auth(creds, "kinesis", REGION).add_auth(req)
    return req


def send(req: AWSRequest, body: bytes = b"{}"):
    headers = {k: v for k, v in req.headers.items()}
    return raw_post(req.url, headers, body)


# ---- correct signatures ---------------------------------------------------------------------


def test_boto3_signs_correctly(auth_server):
    kinesis = client(auth_server.endpoint)
    name = unique_name("auth")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    kinesis.put_record(StreamName=name, Data=b"signed", PartitionKey="k")
    assert name in kinesis.list_streams()["StreamNames"]


def test_boto3_with_session_token(auth_server):
    client(auth_server.endpoint, TEMP_KEY, TEMP_SECRET, TEMP_TOKEN).list_streams()


@pytest.mark.cli
def test_aws_cli_signs_correctly(auth_server):
    out = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", auth_server.endpoint, "--region", REGION,
                          "--output", "json", "kinesis", "list-streams"],
                         capture_output=True, text=True, env=cli_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "StreamNames" in json.loads(out.stdout)


@pytest.mark.cli
def test_aws_cli_with_a_wrong_secret(auth_server):
    env = {**cli_env(), "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    out = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", auth_server.endpoint, "--region", REGION,
                          "kinesis", "list-streams"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode != 0
    assert "An error occurred (InvalidSignatureException) when calling the ListStreams operation" in out.stderr
    assert out.stderr.rstrip().endswith(": " + MISMATCH), out.stderr


def test_botocore_header_signature_over_raw_http(auth_server):
    status, _, body = send(signed_request(auth_server.endpoint))
    assert status == 200 and "StreamNames" in body, body


@pytest.mark.parametrize("payload", ["UNSIGNED-PAYLOAD", "sha256"])
def test_presigned_url(auth_server, payload):
    req = signed_request(auth_server.endpoint, presign=True, payload=payload)
    assert "X-Amz-Signature=" in req.url and "Authorization" not in req.headers
    status, _, body = send(req)
    assert status == 200 and "StreamNames" in body, body


def test_presigned_url_with_a_wrong_secret(auth_server):
    status, _, body = send(signed_request(auth_server.endpoint, presign=True, secret="not-the-secret"))
    assert (status, body) == (400, {"__type": "InvalidSignatureException", "message": MISMATCH})


# ---- refused: through boto3 ------------------------------------------------------------------


def test_wrong_secret(auth_server):
    expect_error(client(auth_server.endpoint, secret="not-the-secret").list_streams,
                 "InvalidSignatureException", MISMATCH)


def test_unknown_access_key(auth_server):
    expect_error(client(auth_server.endpoint, key="AKIDNOBODY0000000000").list_streams,
                 "UnrecognizedClientException", UNKNOWN_KEY)


def test_session_token_missing_or_wrong(auth_server):
    expect_error(client(auth_server.endpoint, TEMP_KEY, TEMP_SECRET).list_streams,
                 "UnrecognizedClientException", UNKNOWN_KEY)
    expect_error(client(auth_server.endpoint, TEMP_KEY, TEMP_SECRET, "not-the-token").list_streams,
                 "UnrecognizedClientException", "The security token included in the request is invalid")


def test_wrong_region(auth_server):
    expect_error(client(auth_server.endpoint, region="eu-west-1").list_streams,
                 "InvalidSignatureException", "Credential should be scoped to a valid region, not 'eu-west-1'. ")


def signed_at(monkeypatch, endpoint: str, offset: dt.timedelta) -> tuple[AWSRequest, str]:
    """A botocore-signed request dated `offset` from now, and that date as the server prints it."""
    when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + offset
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: when.replace(tzinfo=None))
    req = signed_request(endpoint)
    monkeypatch.undo()
    return req, when.strftime("%Y%m%dT%H%M%SZ")


def server_times(message: str, prefix: str) -> tuple[dt.datetime, dt.datetime]:
    """The two dates AWS prints after the request's: the window's edge and the server's now."""
    edge, _, rest = message[len(prefix):].partition(" (")
    parse = lambda s: dt.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)  # noqa: E731
    return parse(edge), parse(rest[:16])


def test_signature_expired(auth_server, monkeypatch):
    req, date = signed_at(monkeypatch, auth_server.endpoint, dt.timedelta(minutes=-10))
    status, _, body = send(req)
    assert status == 400 and body["__type"] == "InvalidSignatureException", body
    prefix = f"Signature expired: {date} is now earlier than "
    assert body["message"].startswith(prefix) and body["message"].endswith(" - 5 min.)"), body
    edge, now = server_times(body["message"], prefix)
    assert now - edge == dt.timedelta(minutes=5)
    assert abs((now - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60


def test_signature_not_yet_current(auth_server, monkeypatch):
    req, date = signed_at(monkeypatch, auth_server.endpoint, dt.timedelta(minutes=10))
    status, _, body = send(req)
    assert status == 400 and body["__type"] == "InvalidSignatureException", body
    prefix = f"Signature not yet current: {date} is still later than "
    assert body["message"].startswith(prefix) and body["message"].endswith(" + 5 min.)"), body
    edge, now = server_times(body["message"], prefix)
    assert edge - now == dt.timedelta(minutes=5)


def test_clock_skew_within_five_minutes(auth_server, monkeypatch):
    for minutes in (-4, 4):
        req, _ = signed_at(monkeypatch, auth_server.endpoint, dt.timedelta(minutes=minutes))
        status, _, body = send(req)
        assert status == 200, body


# ---- refused: raw HTTP ---------------------------------------------------------------------------


def test_no_authentication_at_all(auth_server):
    status, content_type, body = raw_post(auth_server.endpoint + "/", {})
    assert (status, content_type) == (400, JSON_11)
    assert body == {"__type": "MissingAuthenticationTokenException", "message": "Missing Authentication Token"}


def test_authorization_without_parts(auth_server):
    status, _, body = raw_post(auth_server.endpoint + "/", {"Authorization": "X"})
    assert status == 400
    assert body == {"__type": "IncompleteSignatureException", "message": (
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either "
        "a 'X-Amz-Date' or a 'Date' header. Authorization=X")}


def test_authorization_missing_signed_headers(auth_server):
    header = "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, Signature=f"
    status, _, body = raw_post(auth_server.endpoint + "/", {"Authorization": header, "X-Amz-Date": "20240301T120000Z"})
    assert (status, body) == (400, {"__type": "IncompleteSignatureException", "message":
                                    f"Authorization header requires 'SignedHeaders' parameter. Authorization={header}"})


def test_query_string_without_parts(auth_server):
    status, _, body = raw_post(auth_server.endpoint + "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a", {})
    assert (status, body) == (400, {"__type": "IncompleteSignatureException", "message": (
        "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
        "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.")})


def test_header_and_query_string_both(auth_server):
    status, _, body = raw_post(auth_server.endpoint + "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", {"Authorization": "X"})
    assert (status, body) == (400, {"__type": "InvalidSignatureException", "message":
                                    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                                    "HTTP header."})


def test_malformed_date(auth_server):
    req = signed_request(auth_server.endpoint)
    req.headers.replace_header("X-Amz-Date", "2024-03-01")
    status, _, body = send(req)
    assert (status, body) == (400, {"__type": "IncompleteSignatureException", "message":
                                    "Date must be in ISO-8601 'basic format'. Got '2024-03-01'. "
                                    "See http://en.wikipedia.org/wiki/ISO_8601"})


def test_tampered_body(auth_server):
    status, _, body = send(signed_request(auth_server.endpoint), b'{"Limit": 1}')
    assert (status, body) == (400, {"__type": "InvalidSignatureException", "message": MISMATCH})


def test_host_not_signed(auth_server):
    req = signed_request(auth_server.endpoint)
    req.headers.replace_header("Authorization", req.headers["Authorization"].replace("host;", ""))
    status, _, body = send(req)
    assert (status, body) == (400, {"__type": "InvalidSignatureException", "message":
                                    "'Host' must be a 'SignedHeader' in the AWS Authorization."})


# ---- configuration ---------------------------------------------------------------------------------


def test_keys_from_the_environment(riffle_factory, monkeypatch):
    monkeypatch.setenv("RIFFLE_ACCESS_KEYS", f"AKIDOTHER:other-secret,{ACCESS_KEY}:{SECRET_KEY}")
    srv = riffle_factory("--auth")
    srv.client().list_streams()
    expect_error(client(srv.endpoint, secret="nope").list_streams, "InvalidSignatureException", MISMATCH)


def test_auth_without_keys_refuses_to_start(riffle_factory, monkeypatch, tmp_path):
    monkeypatch.delenv("RIFFLE_ACCESS_KEYS", raising=False)
    with pytest.raises(RuntimeError, match="exited with 1 before listening"):
        riffle_factory("--auth")
    log = (tmp_path / "server0.log").read_text()
    assert "--auth needs at least one access key: give --access-key AKID:SECRET" in log, log


def test_auth_is_off_by_default(endpoint):
    # The session server runs without --auth: no signature at all is needed.
    status, _, body = raw_post(endpoint + "/", {})
    assert status == 200 and "StreamNames" in body, body
