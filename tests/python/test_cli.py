"""AWS CLI v1 (`python -m awscli`, pinned) against riffle."""

from __future__ import annotations

import base64
import time

import pytest

from kinesis_helpers import ACCOUNT_ID, stream_arn, unique_name

pytestmark = pytest.mark.cli


def test_cli_stream_lifecycle_and_data(aws, kinesis):
    name = unique_name("cli")
    try:
        r = aws("create-stream", "--stream-name", name, "--shard-count", "2").ok()
        assert r.stdout.strip() == ""  # CreateStream has no output

        time.sleep(0.3)  # create delay is 50 ms; the waiter's first check is immediate (then 10 s polls)
        t0 = time.monotonic()
        aws("wait", "stream-exists", "--stream-name", name).ok()
        assert time.monotonic() - t0 < 9, "stream should already be ACTIVE at the waiter's first poll"

        listed = aws("list-streams").ok().json
        assert name in listed["StreamNames"]
        assert any(s["StreamName"] == name and s["StreamARN"] == stream_arn(name)
                   for s in listed.get("StreamSummaries", []))

        summary = aws("describe-stream-summary", "--stream-name", name).ok().json["StreamDescriptionSummary"]
        assert summary["StreamStatus"] == "ACTIVE"
        assert summary["OpenShardCount"] == 2
        assert summary["RetentionPeriodHours"] == 24
        assert summary["StreamARN"] == stream_arn(name)

        # CLI v1 sends --data verbatim (the blob is base64-encoded on the wire by botocore).
        put = aws("put-record", "--stream-name", name, "--partition-key", "pk-1", "--data", "hello riffle",
                  "--explicit-hash-key", "0").ok().json
        assert put["ShardId"] == "shardId-000000000000"
        assert put["SequenceNumber"].isdigit()

        # boto3 sees exactly the bytes that were given on the command line
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=put["ShardId"],
                                        ShardIteratorType="AT_SEQUENCE_NUMBER",
                                        StartingSequenceNumber=put["SequenceNumber"])["ShardIterator"]
        [rec] = kinesis.get_records(ShardIterator=it)["Records"]
        assert rec["Data"] == b"hello riffle"

        # ... and so does the CLI's get-records (Data printed as base64 in JSON output)
        it_cli = aws("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
                     "--shard-iterator-type", "TRIM_HORIZON").ok().json["ShardIterator"]
        got = aws("get-records", "--shard-iterator", it_cli).ok().json
        assert [base64.b64decode(r["Data"]) for r in got["Records"]] == [b"hello riffle"]
        assert got["Records"][0]["PartitionKey"] == "pk-1"
        assert got["Records"][0]["SequenceNumber"] == put["SequenceNumber"]
        assert got["MillisBehindLatest"] == 0
        assert got["NextShardIterator"]

        shards = aws("list-shards", "--stream-name", name).ok().json["Shards"]
        assert [s["ShardId"] for s in shards] == ["shardId-000000000000", "shardId-000000000001"]

        aws("delete-stream", "--stream-name", name).ok()
        time.sleep(0.3)
        aws("wait", "stream-not-exists", "--stream-name", name).ok()
    finally:
        try:
            kinesis.delete_stream(StreamName=name)
        except Exception:  # noqa: BLE001
            pass


def test_cli_error_exit_code_and_message(aws):
    name = unique_name("cli-missing")
    r = aws("describe-stream-summary", "--stream-name", name)
    assert r.rc in (254, 255), f"rc={r.rc} stderr={r.stderr}"
    assert "ResourceNotFoundException" in r.stderr
    assert f"Stream {name} under account {ACCOUNT_ID} not found." in r.stderr
    assert r.stdout.strip() == ""


def test_cli_validation_error(aws):
    r = aws("create-stream", "--stream-name", "bad name", "--shard-count", "1")
    assert r.rc in (254, 255), f"rc={r.rc} stderr={r.stderr}"
    assert "ValidationException" in r.stderr
    assert "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+" in r.stderr


def test_cli_put_records_and_tags(aws, kinesis, streams):
    name = streams(shards=1)
    out = aws("put-records", "--stream-name", name, "--records",
              "Data=one,PartitionKey=a", "Data=two,PartitionKey=b").ok().json
    assert out["FailedRecordCount"] == 0
    assert len(out["Records"]) == 2
    it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]] == [b"one", b"two"]

    aws("add-tags-to-stream", "--stream-name", name, "--tags", "k1=v1,k2=v2").ok()
    tags = aws("list-tags-for-stream", "--stream-name", name).ok().json
    assert {t["Key"]: t["Value"] for t in tags["Tags"]} == {"k1": "v1", "k2": "v2"}
    assert tags["HasMoreTags"] is False
