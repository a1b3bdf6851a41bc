"""Resharding through boto3: SplitShard, MergeShards and UpdateShardCount, the lineage they leave
in ListShards / DescribeStream, and reading across them as a KCL does (parents to their end, then
the ChildShards)."""

from __future__ import annotations

from kinesis_helpers import (
    ACCOUNT_ID,
    MAX_HASH,
    expect_error,
    expected_ranges,
    get_records,
    list_all_shards,
    shard_iterator,
    stream_arn,
    wait_status,
)

HALF = 2**127


def _open(shards):
    return [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


def _ranges(shards):
    return sorted((int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in shards)


def _read_lineage(kinesis, name):
    """Every record, roots first, each child after all its parents ended; checks the shard ends."""
    roots = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    ready = [s["ShardId"] for s in roots]
    queued, done, out = set(ready), set(), []
    while ready:
        shard = ready.pop(0)
        it = shard_iterator(kinesis, name, shard)
        while True:
            resp = get_records(kinesis, it, Limit=3)
            out.extend(resp["Records"])
            it = resp.get("NextShardIterator")
            if it is None:
                children = resp["ChildShards"]
                assert children, f"{shard} ended without ChildShards"
                done.add(shard)
                for c in children:
                    assert shard in c["ParentShards"]
                    assert {"StartingHashKey", "EndingHashKey"} <= set(c["HashKeyRange"])
                    if all(p in done for p in c["ParentShards"]) and c["ShardId"] not in queued:
                        queued.add(c["ShardId"])
                        ready.append(c["ShardId"])
                break
            assert "ChildShards" not in resp or not resp["ChildShards"]
            if not resp["Records"]:
                break
        done.add(shard)
    assert done == {s["ShardId"] for s in list_all_shards(kinesis, name)}
    return out


def test_split_merge_and_update_shard_count(kinesis, streams):
    name = streams(shards=2)
    first = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"one", ExplicitHashKey="7")
    assert first["ShardId"] == "shardId-000000000000"

    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126))
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] in (
        "UPDATING", "ACTIVE")
    wait_status(kinesis, name)
    shards = {s["ShardId"]: s for s in kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]}
    parent = shards["shardId-000000000000"]
    assert parent["SequenceNumberRange"]["EndingSequenceNumber"] == first["SequenceNumber"]
    for child, (lo, hi) in [("shardId-000000000002", (0, 2**126 - 1)), ("shardId-000000000003", (2**126, HALF - 1))]:
        c = shards[child]
        assert c["ParentShardId"] == "shardId-000000000000"
        assert "AdjacentParentShardId" not in c
        assert (int(c["HashKeyRange"]["StartingHashKey"]), int(c["HashKeyRange"]["EndingHashKey"])) == (lo, hi)
        assert int(c["SequenceNumberRange"]["StartingSequenceNumber"]) > int(first["SequenceNumber"])
    second = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"two", ExplicitHashKey="7")
    assert second["ShardId"] == "shardId-000000000002"
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])

    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                         AdjacentShardToMerge="shardId-000000000003")
    wait_status(kinesis, name)
    merged = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in merged] == ["shardId-000000000001", "shardId-000000000004"]
    m = merged[1]
    assert (m["ParentShardId"], m["AdjacentParentShardId"]) == ("shardId-000000000002", "shardId-000000000003")
    third = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"three", ExplicitHashKey="7")
    assert third["ShardId"] == "shardId-000000000004"

    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 2 and out["TargetShardCount"] == 4
    assert out["StreamName"] == name and out["StreamARN"] == stream_arn(name)
    wait_status(kinesis, name)
    assert _ranges(_open(list_all_shards(kinesis, name))) == expected_ranges(4)
    kinesis.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    wait_status(kinesis, name)
    assert _ranges(_open(list_all_shards(kinesis, name))) == expected_ranges(3)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 3
    fourth = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"four", ExplicitHashKey="7")

    roots = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    assert [s["ShardId"] for s in roots] == ["shardId-000000000000", "shardId-000000000001"]
    records = _read_lineage(kinesis, name)
    assert [r["Data"] for r in records] == [b"one", b"two", b"three", b"four"]
    assert records[-1]["SequenceNumber"] == fourth["SequenceNumber"]


def test_a_closed_parent_is_read_to_its_end_then_names_its_children(kinesis, streams):
    name = streams(shards=1)
    written = [kinesis.put_record(StreamName=name, PartitionKey=f"p{i}", Data=b"x")["SequenceNumber"]
               for i in range(4)]
    it = shard_iterator(kinesis, name, "shardId-000000000000")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    got = []
    while True:
        resp = get_records(kinesis, it, Limit=3)
        got.extend(r["SequenceNumber"] for r in resp["Records"])
        it = resp.get("NextShardIterator")
        if it is None:
            break
    assert got == written
    assert resp["ChildShards"] == [
        {"ShardId": "shardId-000000000001", "ParentShards": ["shardId-000000000000"],
         "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)}},
        {"ShardId": "shardId-000000000002", "ParentShards": ["shardId-000000000000"],
         "HashKeyRange": {"StartingHashKey": str(HALF), "EndingHashKey": str(MAX_HASH)}},
    ]


def test_resharding_errors(kinesis, kinesis_raw, streams):
    name = streams(shards=2)
    expect_error(kinesis.split_shard, "ResourceNotFoundException",
                 f"Could not find shard shardId-000000000007 in stream {name} under account {ACCOUNT_ID}.",
                 StreamName=name, ShardToSplit="shardId-000000000007", NewStartingHashKey="100")
    expect_error(kinesis.merge_shards, "InvalidArgumentException",
                 f"Shards shardId-000000000000 and shardId-000000000000 in stream {name} under account {ACCOUNT_ID} "
                 "are not an adjacent pair of shards eligible for merging",
                 StreamName=name, ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000000")
    expect_error(kinesis.update_shard_count, "LimitExceededException",
                 "UpdateShardCount cannot scale up over double your current open shard count. "
                 "Current open shard count: 2, Target shard count: 5",
                 StreamName=name, TargetShardCount=5, ScalingType="UNIFORM_SCALING")
    expect_error(kinesis_raw.update_shard_count, "ValidationException",
                 "1 validation error detected: Value 'LINEAR' at 'scalingType' failed to satisfy constraint: "
                 "Member must satisfy enum value set: [UNIFORM_SCALING]",
                 StreamName=name, TargetShardCount=3, ScalingType="LINEAR")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey="100")
    expect_error(kinesis.split_shard, "ResourceInUseException",
                 f"Stream {name} under account {ACCOUNT_ID} not ACTIVE, instead in state UPDATING",
                 StreamName=name, ShardToSplit="shardId-000000000001", NewStartingHashKey=str(HALF + 100))
    wait_status(kinesis, name)
    expect_error(kinesis.merge_shards, "InvalidArgumentException", contains="has already been merged or split",
                 StreamName=name, ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001")
