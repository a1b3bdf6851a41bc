"""CBOR 1.1 (spec §1) as the AWS SDK for Java v2 sends it — and so the KCL 2.x/3.x and anything built on it.

Requests are raw HTTP with `Content-Type: application/x-amz-cbor-1.1`, bodies hand-built the way Jackson's
CBORGenerator writes them for the SDK: indefinite-length maps (0xBF ... 0xFF) and arrays (0x9F ... 0xFF),
definite-length text keys and strings, blobs as byte strings (major type 2), and timestamps as tag 1 around an
8-byte integer of epoch *milliseconds* (`C1 1B <ms>`). Answers are decoded with cbor2, which reads tag 1 as epoch
seconds: response timestamps must be plain integers of epoch milliseconds (what the SDK's CBOR unmarshaller reads).
"""

from __future__ import annotations

import http.client
import struct
import time
import urllib.parse
import uuid
from datetime import datetime, timezone

import cbor2
import pytest

from kinesis_helpers import ACCOUNT_ID, MAX_HASH, REGION, rnf_message, stream_arn, unique_name

CBOR_11 = "application/x-amz-cbor-1.1"
TARGET = "Kinesis_20131202."
SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"
STREAM_NAME_PATTERN = "[a-zA-Z0-9_.-]+"


# --------------------------------------------------------------------------------------------
# A Jackson-shaped CBOR writer
# --------------------------------------------------------------------------------------------


class Millis(int):
    """A timestamp member: Java SDK v2 writes `tag 1` + `writeNumber(instant.toEpochMilli())`."""


def _head(major: int, n: int) -> bytes:
    """Initial byte + argument, shortest form (Jackson writes ints and lengths minimally)."""
    m = major << 5
    if n < 24:
        return bytes([m | n])
    if n <= 0xFF:
        return bytes([m | 24, n])
    if n <= 0xFFFF:
        return bytes([m | 25]) + struct.pack(">H", n)
    if n <= 0xFFFFFFFF:
        return bytes([m | 26]) + struct.pack(">I", n)
    return bytes([m | 27]) + struct.pack(">Q", n)


def jcbor(value) -> bytes:
    """Encode like the Java SDK v2's Jackson CBOR generator."""
    if isinstance(value, dict):
        out = bytearray(b"\xbf")  # writeStartObject(): indefinite-length map
        for k, v in value.items():
            out += jcbor(str(k)) + jcbor(v)
        return bytes(out + b"\xff")
    if isinstance(value, (list, tuple)):
        out = bytearray(b"\x9f")  # writeStartArray(): indefinite-length array
        for v in value:
            out += jcbor(v)
        return bytes(out + b"\xff")
    if isinstance(value, Millis):
        # writeTag(1); writeNumber(long): epoch ms do not fit 32 bits -> 0x1B + 8 bytes
        assert value >= 0
        return b"\xc1\x1b" + struct.pack(">Q", int(value))
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return _head(2, len(raw)) + raw  # writeBinary(): a byte string
    if value is None:
        return b"\xf6"
    raise TypeError(f"cannot encode {type(value)}")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# --------------------------------------------------------------------------------------------
# Raw HTTP
# --------------------------------------------------------------------------------------------


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def doc(self):
        """The body decoded as CBOR (an empty body is an empty structure)."""
        if not self.body:
            return {}
        try:
            return cbor2.loads(self.body)
        except cbor2.CBORDecodeError as e:
            raise AssertionError(f"response is not decodable CBOR ({e}): {self.body[:200].hex()}") from e

    def __repr__(self):
        return f"Reply({self.status}, {self.header('content-type')!r}, {self.body[:300]!r})"


def post(endpoint: str, op: str, body: bytes, content_type: str = CBOR_11, target: str | None = None) -> Reply:
    """POST / with the headers the Java SDK v2 sends (signature not checked by default)."""
    u = urllib.parse.urlsplit(endpoint)
    amz_date = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Content-Type": content_type,
        "X-Amz-Target": target or TARGET + op,
        "X-Amz-Date": amz_date,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential=AKIDRIFFLETEST000000/{amz_date[:8]}/{REGION}/kinesis/aws4_request, "
            "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;"
            "x-amz-target, Signature=" + "0" * 64),
        "User-Agent": "aws-sdk-java/2.31.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/21 Java/21 vendor/Eclipse_Adoptium "
                      "io/sync http/Apache cfg/retry-mode/legacy",
        "amz-sdk-invocation-id": str(uuid.uuid4()),
        "amz-sdk-request": "attempt=1; max=1",
        "Content-Length": str(len(body)),
    }
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def call(endpoint: str, op: str, params: dict | None = None) -> dict:
    """A successful CBOR call: 200, CBOR Content-Type, decoded body."""
    r = post(endpoint, op, jcbor(params or {}))
    assert r.status == 200, f"{op} failed: {r!r} {r.doc if r.body else ''}"
    assert r.header("content-type") == CBOR_11, r
    assert r.header("x-amzn-requestid"), "x-amzn-RequestId must be present"
    return r.doc


def expect_cbor_error(reply: Reply, code: str, message: str | None = None, status: int = 400,
                      startswith: str | None = None) -> dict:
    assert reply.status == status, f"expected HTTP {status} {code}; got {reply!r}"
    assert reply.header("content-type") == CBOR_11, f"errors must be answered in CBOR: {reply!r}"
    doc = reply.doc
    assert isinstance(doc, dict), doc
    # A body that cannot be parsed gets a bare SerializationException, an unknown target a bare
    # UnknownOperationException (no message), as Kinesis answers them.
    assert "__type" in doc and ("message" in doc or doc["__type"] in ("SerializationException",
                                                                     "UnknownOperationException")), doc
    assert doc["__type"] == code, doc
    if message is not None:
        assert doc["message"] == message, doc
    if startswith is not None:
        assert doc["message"].startswith(startswith), doc
    return doc


def wait_active(endpoint: str, name: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        s = call(endpoint, "DescribeStreamSummary", {"StreamName": name})["StreamDescriptionSummary"]
        if s["StreamStatus"] == "ACTIVE":
            return s
        assert time.monotonic() < deadline, f"{name} not ACTIVE after {timeout}s: {s}"
        time.sleep(0.025)


def iterator(endpoint: str, name: str, shard: str, it_type: str, **extra) -> str:
    it = call(endpoint, "GetShardIterator",
              {"StreamName": name, "ShardId": shard, "ShardIteratorType": it_type, **extra})["ShardIterator"]
    assert isinstance(it, str) and 1 <= len(it) <= 512
    return it


def read_all(endpoint: str, it: str, max_calls: int = 20) -> list[dict]:
    out: list[dict] = []
    for _ in range(max_calls):
        doc = call(endpoint, "GetRecords", {"ShardIterator": it, "Limit": 1000})
        assert type(doc["MillisBehindLatest"]) is int, doc
        out.extend(doc["Records"])
        it = doc.get("NextShardIterator")
        if it is None or (not doc["Records"] and doc["MillisBehindLatest"] == 0):
            break
    return out


@pytest.fixture
def cbor_streams(endpoint):
    """Factory creating streams through CBOR (waits for ACTIVE); deletes them afterwards."""
    created: list[str] = []

    def make(shards: int = 1, prefix: str = "cbor") -> str:
        name = unique_name(prefix)
        created.append(name)
        call(endpoint, "CreateStream", {"StreamName": name, "ShardCount": shards})
        wait_active(endpoint, name)
        return name

    yield make
    for name in created:
        post(endpoint, "DeleteStream", jcbor({"StreamName": name, "EnforceConsumerDeletion": True}))


# --------------------------------------------------------------------------------------------
# The writer itself
# --------------------------------------------------------------------------------------------


def test_writer_frames_like_jackson():
    body = jcbor({"StreamName": "s", "Records": [{"Data": b"\x00\xff", "PartitionKey": "k"}],
                  "Timestamp": Millis(1_459_799_926_480), "Limit": 25})
    assert body[0] == 0xBF and body[-1] == 0xFF
    assert b"\x67Records\x9f\xbf\x64Data\x42\x00\xff" in body  # indefinite array of indefinite maps, byte string
    assert b"\x69Timestamp\xc1\x1b" + (1_459_799_926_480).to_bytes(8, "big") in body
    assert b"\x65Limit\x18\x19" in body
    # and it is well-formed CBOR (cbor2 reads tag 1 as seconds, so decode that part as an untagged copy)
    doc = cbor2.loads(body.replace(b"\xc1\x1b", b"\x1b"))
    assert doc == {"StreamName": "s", "Records": [{"Data": b"\x00\xff", "PartitionKey": "k"}],
                   "Timestamp": 1_459_799_926_480, "Limit": 25}


# --------------------------------------------------------------------------------------------
# Control plane
# --------------------------------------------------------------------------------------------


def test_create_stream_and_describe_summary(endpoint, cbor_streams):
    name = unique_name("cbor-create")
    before = now_ms()
    r = post(endpoint, "CreateStream", jcbor({"StreamName": name, "ShardCount": 2,
                                               "StreamModeDetails": {"StreamMode": "PROVISIONED"}}))
    try:
        assert r.status == 200, r
        assert r.header("content-type") == CBOR_11, r
        # no-output operation: empty body, or an empty map
        assert r.body in (b"", b"\xa0", b"\xbf\xff"), r
        s = wait_active(endpoint, name)
        after = now_ms()
        assert s["StreamName"] == name
        assert s["StreamARN"] == stream_arn(name)
        assert s["OpenShardCount"] == 2
        assert s["RetentionPeriodHours"] == 24
        assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        ts = s["StreamCreationTimestamp"]
        # epoch milliseconds as a plain CBOR integer (not tag 1, not a float, not seconds)
        assert type(ts) is int, f"StreamCreationTimestamp should be an integer of epoch ms, got {ts!r}"
        assert before - 2000 <= ts <= after + 2000, (before, ts, after)

        d = call(endpoint, "DescribeStream", {"StreamName": name})["StreamDescription"]
        assert d["StreamStatus"] == "ACTIVE" and d["HasMoreShards"] is False
        assert d["StreamCreationTimestamp"] == ts
        assert [x["ShardId"] for x in d["Shards"]] == [SHARD0, SHARD1]
        half = 2**127
        assert [(x["HashKeyRange"]["StartingHashKey"], x["HashKeyRange"]["EndingHashKey"]) for x in d["Shards"]] == \
            [("0", str(half - 1)), (str(half), str(MAX_HASH))]
        assert isinstance(d["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"], str)
    finally:
        post(endpoint, "DeleteStream", jcbor({"StreamName": name}))


def test_list_shards(endpoint, cbor_streams):
    name = cbor_streams(shards=2)
    doc = call(endpoint, "ListShards", {"StreamName": name})
    assert [s["ShardId"] for s in doc["Shards"]] == [SHARD0, SHARD1]
    assert "NextToken" not in doc
    p1 = call(endpoint, "ListShards", {"StreamName": name, "MaxResults": 1})
    assert [s["ShardId"] for s in p1["Shards"]] == [SHARD0]
    assert isinstance(p1["NextToken"], str)
    p2 = call(endpoint, "ListShards", {"NextToken": p1["NextToken"]})
    assert p2["Shards"] == doc["Shards"][1:]
    assert "NextToken" not in p2


def test_tags_and_retention(endpoint, cbor_streams):
    name = cbor_streams()
    assert call(endpoint, "AddTagsToStream", {"StreamName": name, "Tags": {"a": "1", "b": "2"}}) in ({}, None)
    doc = call(endpoint, "ListTagsForStream", {"StreamName": name})
    assert {t["Key"]: t["Value"] for t in doc["Tags"]} == {"a": "1", "b": "2"}
    assert doc["HasMoreTags"] is False
    call(endpoint, "RemoveTagsFromStream", {"StreamName": name, "TagKeys": ["a"]})
    assert call(endpoint, "ListTagsForStream", {"StreamName": name})["Tags"] == [{"Key": "b", "Value": "2"}]
    call(endpoint, "IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48})
    s = call(endpoint, "DescribeStreamSummary", {"StreamName": name})["StreamDescriptionSummary"]
    assert s["RetentionPeriodHours"] == 48


# --------------------------------------------------------------------------------------------
# Data plane
# --------------------------------------------------------------------------------------------


def test_put_record_put_records_get_records(endpoint, cbor_streams):
    name = cbor_streams(shards=2)
    before = now_ms()
    blob = bytes(range(256))
    one = call(endpoint, "PutRecord", {"StreamName": name, "Data": blob, "PartitionKey": "pk",
                                       "ExplicitHashKey": "0"})
    assert one["ShardId"] == SHARD0
    assert isinstance(one["SequenceNumber"], str) and one["SequenceNumber"].isdigit()

    entries = [
        {"Data": b"\x00", "PartitionKey": "a", "ExplicitHashKey": str(MAX_HASH)},
        {"Data": "héllo ✓".encode(), "PartitionKey": "b", "ExplicitHashKey": "1"},
        {"Data": b"\xff" * 3000, "PartitionKey": "c", "ExplicitHashKey": str(2**127)},
        {"Data": b"", "PartitionKey": "d", "ExplicitHashKey": "2"},
    ]
    many = call(endpoint, "PutRecords", {"StreamName": name, "Records": entries})
    assert many["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in many["Records"]] == [SHARD1, SHARD0, SHARD1, SHARD0]
    assert all("ErrorCode" not in r for r in many["Records"])

    got0 = read_all(endpoint, iterator(endpoint, name, SHARD0, "TRIM_HORIZON"))
    after = now_ms()
    assert [r["SequenceNumber"] for r in got0] == \
        [one["SequenceNumber"], many["Records"][1]["SequenceNumber"], many["Records"][3]["SequenceNumber"]]
    assert [r["PartitionKey"] for r in got0] == ["pk", "b", "d"]
    for r, data in zip(got0, [blob, entries[1]["Data"], entries[3]["Data"]]):
        assert type(r["Data"]) is bytes, f"Data must come back as a CBOR byte string, got {type(r['Data'])}"
        assert r["Data"] == data
        ts = r["ApproximateArrivalTimestamp"]
        assert type(ts) is int, f"ApproximateArrivalTimestamp should be an integer of epoch ms, got {ts!r}"
        assert before - 1000 <= ts <= after + 1000, (before, ts, after)
    got1 = read_all(endpoint, iterator(endpoint, name, SHARD1, "TRIM_HORIZON"))
    assert [(r["PartitionKey"], r["Data"]) for r in got1] == [("a", b"\x00"), ("c", b"\xff" * 3000)]

    # AT / AFTER_SEQUENCE_NUMBER
    seq_b = many["Records"][1]["SequenceNumber"]
    at = read_all(endpoint, iterator(endpoint, name, SHARD0, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq_b))
    assert [r["PartitionKey"] for r in at] == ["b", "d"]
    aft = read_all(endpoint, iterator(endpoint, name, SHARD0, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seq_b))
    assert [r["PartitionKey"] for r in aft] == ["d"]

    # Limit and the continuation iterator
    first = call(endpoint, "GetRecords", {"ShardIterator": iterator(endpoint, name, SHARD0, "TRIM_HORIZON"),
                                          "Limit": 1})
    assert [r["PartitionKey"] for r in first["Records"]] == ["pk"]
    assert [r["PartitionKey"] for r in read_all(endpoint, first["NextShardIterator"])] == ["b", "d"]


def test_get_shard_iterator_at_timestamp_tag1_millis(endpoint, cbor_streams):
    name = cbor_streams()
    for i in range(3):
        call(endpoint, "PutRecord", {"StreamName": name, "Data": f"a{i}".encode(), "PartitionKey": "k"})
    time.sleep(0.02)
    mid = now_ms()
    time.sleep(0.02)
    call(endpoint, "PutRecords", {"StreamName": name, "Records": [
        {"Data": f"b{i}".encode(), "PartitionKey": "k"} for i in range(2)]})

    got = read_all(endpoint, iterator(endpoint, name, SHARD0, "AT_TIMESTAMP", Timestamp=Millis(mid)))
    assert [r["Data"] for r in got] == [b"b0", b"b1"]
    assert all(r["ApproximateArrivalTimestamp"] >= mid for r in got)

    # at the exact arrival millisecond of a record: that record is included
    everything = read_all(endpoint, iterator(endpoint, name, SHARD0, "TRIM_HORIZON"))
    assert [r["Data"] for r in everything] == [b"a0", b"a1", b"a2", b"b0", b"b1"]
    t_a1 = everything[1]["ApproximateArrivalTimestamp"]
    exact = read_all(endpoint, iterator(endpoint, name, SHARD0, "AT_TIMESTAMP", Timestamp=Millis(t_a1)))
    expected = [r["Data"] for r in everything if r["ApproximateArrivalTimestamp"] >= t_a1]
    assert [r["Data"] for r in exact] == expected and b"a1" in expected

    # before the first record: trim horizon; in the future (ms read as ms, not seconds): the AWS error
    old = read_all(endpoint, iterator(endpoint, name, SHARD0, "AT_TIMESTAMP", Timestamp=Millis(mid - 3_600_000)))
    assert len(old) == 5
    r = post(endpoint, "GetShardIterator", jcbor({"StreamName": name, "ShardId": SHARD0,
                                                   "ShardIteratorType": "AT_TIMESTAMP",
                                                   "Timestamp": Millis(now_ms() + 3_600_000)}))
    expect_cbor_error(r, "InvalidArgumentException",
                      startswith="The timestampInMillis parameter cannot be greater than the currentTimestampInMillis.")


def test_latest_iterator(endpoint, cbor_streams):
    name = cbor_streams()
    call(endpoint, "PutRecord", {"StreamName": name, "Data": b"old", "PartitionKey": "k"})
    doc = call(endpoint, "GetRecords", {"ShardIterator": iterator(endpoint, name, SHARD0, "LATEST")})
    assert doc["Records"] == [] and doc["MillisBehindLatest"] == 0
    call(endpoint, "PutRecord", {"StreamName": name, "Data": b"new", "PartitionKey": "k"})
    nxt = call(endpoint, "GetRecords", {"ShardIterator": doc["NextShardIterator"]})
    assert [r["Data"] for r in nxt["Records"]] == [b"new"]


def test_definite_length_cbor_also_accepted(endpoint, cbor_streams):
    """Other CBOR writers (cbor2 here) use definite lengths; the same request must work."""
    name = cbor_streams()
    r = post(endpoint, "PutRecords", cbor2.dumps({"StreamName": name, "Records": [
        {"Data": b"\x01\x02", "PartitionKey": "k"}]}))
    assert r.status == 200, r
    assert r.doc["FailedRecordCount"] == 0
    got = read_all(endpoint, iterator(endpoint, name, SHARD0, "TRIM_HORIZON"))
    assert [x["Data"] for x in got] == [b"\x01\x02"]


def test_list_shards_filter_with_tag1_timestamp(endpoint, cbor_streams):
    """A timestamp nested in a structure (ShardFilter.Timestamp) is read as tag-1 epoch ms too."""
    name = cbor_streams(shards=2)
    doc = call(endpoint, "ListShards", {"StreamName": name,
                                        "ShardFilter": {"Type": "AT_TIMESTAMP", "Timestamp": Millis(now_ms())}})
    assert [s["ShardId"] for s in doc["Shards"]] == [SHARD0, SHARD1]


def test_chunked_text_string_accepted(endpoint, cbor_streams):
    """Jackson writes long strings (over ~1,300 chars: a long NextToken, say) as indefinite-length
    text (0x7F chunks 0xFF); any chunked text must decode."""
    name = cbor_streams()
    half = len(name) // 2
    a, b = name[:half].encode(), name[half:].encode()
    body = b"\xbf\x6aStreamName\x7f" + bytes([0x60 + len(a)]) + a + bytes([0x60 + len(b)]) + b + b"\xff\xff"
    r = post(endpoint, "DescribeStreamSummary", body)
    assert r.status == 200, (r, r.doc)
    assert r.doc["StreamDescriptionSummary"]["StreamName"] == name


def test_large_blobs_round_trip(endpoint, cbor_streams):
    """Byte strings longer than a decoder's scratch buffer (4 KiB in ciborium) up to 1 MiB, as the
    KPL's aggregated records are."""
    name = cbor_streams()
    sizes = [4096, 4097, 100_000, 1024 * 1024 - 1]
    for i, n in enumerate(sizes[:2]):
        call(endpoint, "PutRecord", {"StreamName": name, "Data": bytes([i]) * n, "PartitionKey": "k"})
    out = call(endpoint, "PutRecords", {"StreamName": name, "Records": [
        {"Data": bytes([i + 2]) * n, "PartitionKey": "k"} for i, n in enumerate(sizes[2:])]})
    assert out["FailedRecordCount"] == 0
    got = read_all(endpoint, iterator(endpoint, name, SHARD0, "TRIM_HORIZON"))
    assert [r["Data"] for r in got] == [bytes([i]) * n for i, n in enumerate(sizes)]


def test_chunked_byte_string_accepted(endpoint, cbor_streams):
    name = cbor_streams()
    body = (b"\xbf" + jcbor("StreamName") + jcbor(name) + jcbor("PartitionKey") + jcbor("k")
            + jcbor("Data") + b"\x5f\x42\x01\x02\x41\x03\xff" + b"\xff")
    r = post(endpoint, "PutRecord", body)
    assert r.status == 200, (r, r.doc)
    got = read_all(endpoint, iterator(endpoint, name, SHARD0, "TRIM_HORIZON"))
    assert [x["Data"] for x in got] == [b"\x01\x02\x03"]


# --------------------------------------------------------------------------------------------
# Errors, in CBOR
# --------------------------------------------------------------------------------------------


def test_resource_not_found(endpoint):
    name = unique_name("cbor-missing")
    for op, params in [
        ("DescribeStreamSummary", {"StreamName": name}),
        ("DescribeStream", {"StreamName": name}),
        ("PutRecord", {"StreamName": name, "Data": b"x", "PartitionKey": "k"}),
        ("PutRecords", {"StreamName": name, "Records": [{"Data": b"x", "PartitionKey": "k"}]}),
        ("GetShardIterator", {"StreamName": name, "ShardId": SHARD0, "ShardIteratorType": "TRIM_HORIZON"}),
        ("ListShards", {"StreamName": name}),
    ]:
        expect_cbor_error(post(endpoint, op, jcbor(params)), "ResourceNotFoundException", rnf_message(name))


def test_resource_in_use_on_duplicate_create(endpoint, cbor_streams):
    name = cbor_streams()
    expect_cbor_error(post(endpoint, "CreateStream", jcbor({"StreamName": name, "ShardCount": 1})),
                      "ResourceInUseException", f"Stream {name} under account {ACCOUNT_ID} already exists.")


def test_validation_exception(endpoint):
    bad = "bad name!"
    msg = (f"1 validation error detected: Value '{bad}' at 'streamName' failed to satisfy constraint: "
           f"Member must satisfy regular expression pattern: {STREAM_NAME_PATTERN}")
    expect_cbor_error(post(endpoint, "DescribeStreamSummary", jcbor({"StreamName": bad})), "ValidationException", msg)
    expect_cbor_error(post(endpoint, "CreateStream", jcbor({"StreamName": bad, "ShardCount": 1})),
                      "ValidationException", msg)


def test_invalid_shard_iterator(endpoint):
    expect_cbor_error(post(endpoint, "GetRecords", jcbor({"ShardIterator": "AAAAAAAAAAAAAAAAAAAA"})),
                      "InvalidArgumentException", "Invalid ShardIterator.")


def test_unknown_operation(endpoint):
    r = post(endpoint, "NoSuchOperation", jcbor({}))
    expect_cbor_error(r, "UnknownOperationException")


@pytest.mark.parametrize("body", [
    pytest.param(b"\xbf\x6aStreamName", id="truncated-map"),
    pytest.param(b"\xbf\x6aStreamName\x63abc", id="indefinite-map-without-break"),
    pytest.param(b"\x1c", id="reserved-additional-info"),
    pytest.param(b"\xff", id="lone-break"),
    pytest.param(b"\xbf\x6aStreamName\x05\xff", id="integer-for-string"),
    pytest.param(b"\xbf\x6aStreamName\x6bnot-enough\xff", id="text-shorter-than-its-length"),
])
def test_malformed_cbor_serialization_exception(endpoint, body):
    expect_cbor_error(post(endpoint, "DescribeStreamSummary", body), "SerializationException")


def test_wrong_type_in_cbor_record_serialization_exception(endpoint, cbor_streams):
    name = cbor_streams()
    # ShardCount as a text string, Records as a map, Timestamp as text: what a broken client might send
    expect_cbor_error(post(endpoint, "CreateStream", jcbor({"StreamName": unique_name("x"), "ShardCount": "2"})),
                      "SerializationException")
    expect_cbor_error(post(endpoint, "PutRecords", jcbor({"StreamName": name, "Records": {"Data": b"x"}})),
                      "SerializationException")
    expect_cbor_error(post(endpoint, "GetShardIterator", jcbor({
        "StreamName": name, "ShardId": SHARD0, "ShardIteratorType": "AT_TIMESTAMP",
        "Timestamp": "2016-04-04T19:58:46.480-00:00"})), "SerializationException")


# --------------------------------------------------------------------------------------------
# JSON and CBOR see the same records
# --------------------------------------------------------------------------------------------


def test_mixed_json_and_cbor(endpoint, kinesis, streams):
    name = streams(shards=1, prefix="mixed")
    json_data = bytes(range(255, -1, -1)) + b"json"
    cbor_data = b"\x00cbor\xff" + bytes(range(256))

    # written with JSON (boto3: base64 on the wire), read with CBOR (byte string)
    j = kinesis.put_record(StreamName=name, Data=json_data, PartitionKey="json-key")
    c = call(endpoint, "PutRecord", {"StreamName": name, "Data": cbor_data, "PartitionKey": "cbor-key"})

    via_cbor = read_all(endpoint, iterator(endpoint, name, SHARD0, "TRIM_HORIZON"))
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")
    via_json = kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"]

    assert [r["SequenceNumber"] for r in via_cbor] == [j["SequenceNumber"], c["SequenceNumber"]]
    assert [r["SequenceNumber"] for r in via_json] == [j["SequenceNumber"], c["SequenceNumber"]]
    for rc, rj, data, pk in zip(via_cbor, via_json, [json_data, cbor_data], ["json-key", "cbor-key"]):
        assert rc["Data"] == data and rj["Data"] == data
        assert rc["PartitionKey"] == pk and rj["PartitionKey"] == pk
        # the same instant: epoch ms in CBOR, epoch seconds with a ms fraction in JSON
        assert rc["ApproximateArrivalTimestamp"] == round(rj["ApproximateArrivalTimestamp"].timestamp() * 1000)

    # and the control plane agrees on the creation time
    s_cbor = call(endpoint, "DescribeStreamSummary", {"StreamName": name})["StreamDescriptionSummary"]
    s_json = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s_cbor["StreamCreationTimestamp"] == round(s_json["StreamCreationTimestamp"].timestamp() * 1000)
