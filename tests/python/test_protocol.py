"""Wire-level checks (spec §1) with plain HTTP: what every SDK relies on besides the JSON members."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

from kinesis_helpers import ACCOUNT_ID, unique_name, wait_status

JSON_11 = "application/x-amz-json-1.1"
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDRIFFLETEST000000/20250101/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)


def _post(endpoint: str, target: str | None, body: bytes, content_type: str = JSON_11):
    headers = {"Content-Type": content_type, "X-Amz-Date": "20250101T000000Z", "Authorization": AUTH}
    if target is not None:
        headers["X-Amz-Target"] = target
    req = urllib.request.Request(endpoint + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _hdr(headers: dict, name: str):
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def test_success_response_headers(endpoint, streams):
    name = streams(shards=1)
    status, headers, body = _post(endpoint, "Kinesis_20131202.DescribeStreamSummary",
                                  json.dumps({"StreamName": name}).encode())
    assert status == 200
    assert _hdr(headers, "Content-Type").startswith(JSON_11)
    assert _hdr(headers, "x-amzn-RequestId")
    doc = json.loads(body)
    summary = doc["StreamDescriptionSummary"]
    # timestamps are JSON numbers (epoch seconds), not strings
    assert isinstance(summary["StreamCreationTimestamp"], (int, float))
    assert summary["StreamName"] == name


def test_no_output_operation_body(endpoint, streams):
    name = streams(shards=1)
    status, _, body = _post(endpoint, "Kinesis_20131202.AddTagsToStream",
                            json.dumps({"StreamName": name, "Tags": {"a": "b"}}).encode())
    assert status == 200
    assert body.strip() in (b"", b"{}")


def test_error_body_shape(endpoint):
    status, headers, body = _post(endpoint, "Kinesis_20131202.DescribeStream",
                                  json.dumps({"StreamName": "no-such-stream-proto"}).encode())
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"] == "ResourceNotFoundException"
    assert doc["message"] == f"Stream no-such-stream-proto under account {ACCOUNT_ID} not found."
    assert _hdr(headers, "Content-Type").startswith(JSON_11)


def test_unknown_operation(endpoint):
    status, _, body = _post(endpoint, "Kinesis_20131202.NoSuchOperation", b"{}")
    assert status == 400
    assert json.loads(body)["__type"] == "UnknownOperationException"


@pytest.mark.parametrize("body", [b"{not json", b'{"StreamName": 5}', b"[]"])
def test_malformed_body_serialization_exception(endpoint, body):
    status, _, resp = _post(endpoint, "Kinesis_20131202.DescribeStreamSummary", body)
    assert status == 400
    assert json.loads(resp)["__type"] == "SerializationException"


def test_string_timestamp_rejected(endpoint, streams):
    name = streams(shards=1)
    status, _, resp = _post(endpoint, "Kinesis_20131202.GetShardIterator", json.dumps({
        "StreamName": name, "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP",
        "Timestamp": "2016-04-04T19:58:46.480-00:00"}).encode())
    assert status == 400
    assert json.loads(resp)["__type"] == "SerializationException"


def test_bad_base64_data(endpoint, streams):
    name = streams(shards=1)
    status, _, resp = _post(endpoint, "Kinesis_20131202.PutRecord", json.dumps({
        "StreamName": name, "PartitionKey": "k", "Data": "not base64!!"}).encode())
    assert status == 400
    assert json.loads(resp)["__type"] == "SerializationException"


def test_unknown_members_ignored_and_sequence_numbers_are_strings(endpoint, streams):
    name = streams(shards=1)
    status, _, resp = _post(endpoint, "Kinesis_20131202.PutRecord", json.dumps({
        "StreamName": name, "PartitionKey": "k", "Data": base64.b64encode(b"raw").decode(),
        "SomeFutureMember": {"x": 1}}).encode())
    assert status == 200, resp
    doc = json.loads(resp)
    assert isinstance(doc["SequenceNumber"], str) and doc["SequenceNumber"].isdigit()
    assert doc["ShardId"] == "shardId-000000000000"


def test_integer_members_floor_fractions_and_refuse_strings(endpoint, kinesis, streams):
    """Kinesis reads an Integer member given as 2.7 as 2 (kinesalite's recordings of AWS), and
    refuses a string with the Java deserializer's words."""
    name = unique_name("py-float")
    streams.created.append(name)
    status, _, resp = _post(endpoint, "Kinesis_20131202.CreateStream",
                            json.dumps({"StreamName": name, "ShardCount": 2.7}).encode())
    assert status == 200, resp
    wait_status(kinesis, name)
    status, _, resp = _post(endpoint, "Kinesis_20131202.ListShards",
                            json.dumps({"StreamName": name, "MaxResults": 1.99}).encode())
    assert status == 200, resp
    page = json.loads(resp)
    assert len(page["Shards"]) == 1 and "NextToken" in page
    assert len(kinesis.list_shards(StreamName=name)["Shards"]) == 2
    status, _, resp = _post(endpoint, "Kinesis_20131202.ListShards",
                            json.dumps({"StreamName": name, "MaxResults": "1"}).encode())
    assert status == 400
    assert json.loads(resp) == {"__type": "SerializationException",
                                "message": "class java.lang.String can not be converted to an Integer"}


def _raw(endpoint: str, method: str, headers: dict, body: bytes | None = None):
    req = urllib.request.Request(endpoint + "/", data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_cors_preflight_and_answer_headers(endpoint):
    """A browser page using the JavaScript SDK: the preflight is allowed, and answers say so."""
    status, headers, body = _raw(endpoint, "OPTIONS", {
        "Origin": "http://localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-amz-target, x-amz-date, authorization",
    })
    assert (status, body) == (200, b"")
    assert _hdr(headers, "Access-Control-Allow-Origin") == "*"
    assert _hdr(headers, "Access-Control-Allow-Methods") == "POST"
    assert _hdr(headers, "Access-Control-Allow-Headers") == "content-type, x-amz-target, x-amz-date, authorization"
    assert _hdr(headers, "Access-Control-Max-Age") == "172800"

    status, headers, body = _raw(endpoint, "POST", {"Origin": "http://localhost:3000", "Content-Type": JSON_11,
                                                    "X-Amz-Target": "Kinesis_20131202.ListStreams"}, b"{}")
    assert status == 200 and "StreamNames" in json.loads(body)
    assert _hdr(headers, "Access-Control-Allow-Origin") == "*"
    assert "x-amzn-RequestId" in _hdr(headers, "Access-Control-Expose-Headers")
    # DynamoDB answers (the lease tables on the same port) carry them too.
    status, headers, body = _raw(endpoint, "POST", {"Origin": "http://localhost:3000",
                                                    "Content-Type": "application/x-amz-json-1.0",
                                                    "X-Amz-Target": "DynamoDB_20120810.ListTables"}, b"{}")
    assert status == 200 and "TableNames" in json.loads(body)
    assert _hdr(headers, "Access-Control-Allow-Origin") == "*"
    # Without an Origin, no CORS headers.
    status, headers, _ = _post(endpoint, "Kinesis_20131202.ListStreams", b"{}")
    assert status == 200 and _hdr(headers, "Access-Control-Allow-Origin") is None


def test_unsigned_requests_that_never_reach_the_api_under_auth(riffle_factory):
    """Under --auth, a GET or a foreign content type with no signature is refused for the missing
    token first, in the XML shape (kinesalite's connection tests); signed, it is the access denial."""
    from kinesis_helpers import ACCESS_KEY, SECRET_KEY

    srv = riffle_factory("--auth", "--access-key", f"{ACCESS_KEY}:{SECRET_KEY}")
    missing = (b"<MissingAuthenticationTokenException>\n  <Message>Missing Authentication Token</Message>\n"
               b"</MissingAuthenticationTokenException>\n")
    for method, headers in [("GET", {}), ("PUT", {}), ("POST", {"Content-Type": "text/plain"})]:
        status, got_headers, body = _raw(srv.endpoint, method, headers, b"{}" if method != "GET" else None)
        assert (status, body) == (403, missing), (method, headers)
        assert _hdr(got_headers, "Content-Type") is None
    status, _, body = _raw(srv.endpoint, "GET", {"Authorization": AUTH})
    assert status == 403 and body.startswith(b"<AccessDeniedException>")
