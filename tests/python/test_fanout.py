"""Enhanced fan-out through boto3: consumers, and SubscribeToShard's event stream over HTTP/1.1
(botocore streams the response body and decodes `application/vnd.amazon.eventstream` itself)."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

from kinesis_helpers import create_stream, stream_arn

SHARD0 = "shardId-000000000000"


def active_consumer(client, arn: str, name: str) -> str:
    reg = client.register_stream_consumer(StreamARN=arn, ConsumerName=name)["Consumer"]
    assert reg["ConsumerStatus"] == "CREATING"
    assert reg["ConsumerARN"].startswith(f"{arn}/consumer/{name}:")
    for _ in range(400):
        d = client.describe_stream_consumer(ConsumerARN=reg["ConsumerARN"])["ConsumerDescription"]
        if d["ConsumerStatus"] == "ACTIVE":
            return reg["ConsumerARN"]
        time.sleep(0.025)
    raise AssertionError("consumer never became ACTIVE")


def test_subscribe_pushes_records_in_order(kinesis):
    name = create_stream(kinesis)
    consumer = active_consumer(kinesis, stream_arn(name), "app")
    out = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=SHARD0, StartingPosition={"Type": "TRIM_HORIZON"})
    n = 30
    seqs: list[str] = []

    def put():
        for i in range(n):
            seqs.append(kinesis.put_record(StreamName=name, PartitionKey="k", Data=f"r{i}".encode())["SequenceNumber"])

    t = threading.Thread(target=put)
    t.start()
    got, last = [], ""
    deadline = time.time() + 15
    for ev in out["EventStream"]:
        e = ev["SubscribeToShardEvent"]
        assert e["ContinuationSequenceNumber"] >= last
        last = e["ContinuationSequenceNumber"]
        got.extend((r["SequenceNumber"], r["Data"].decode()) for r in e["Records"])
        if len(got) >= n or time.time() > deadline:
            break
    out["EventStream"].close()
    t.join()
    assert [s for s, _ in got] == seqs
    assert [d for _, d in got] == [f"r{i}" for i in range(n)]
    assert last == seqs[-1]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 1
    with pytest.raises(ClientError) as e:
        kinesis.delete_stream(StreamName=name)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def test_subscribe_refuses_unknown_consumers(kinesis):
    name = create_stream(kinesis)
    with pytest.raises(ClientError) as e:
        kinesis.subscribe_to_shard(
            ConsumerARN=f"{stream_arn(name)}/consumer/nobody:1700000000",
            ShardId=SHARD0,
            StartingPosition={"Type": "LATEST"},
        )
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
