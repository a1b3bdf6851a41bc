"""Stream lifecycle: CreateStream, status transitions, DescribeStream(+Summary), ListStreams, ListShards,
DeleteStream, DescribeLimits."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from kinesis_helpers import (
    ACCOUNT_ID,
    MAX_HASH,
    expect_error,
    expected_ranges,
    read_shard,
    rnf_message,
    stream_arn,
    unique_name,
    wait_gone,
    wait_status,
)

N2_SPLIT = 170141183460469231731687303715884105728


def _now():
    return dt.datetime.now(dt.timezone.utc)


def _shard_id(i: int) -> str:
    return f"shardId-{i:012d}"


def test_create_provisioned_starts_creating_then_active(kinesis, streams):
    name = streams(shards=2, wait=False)
    first = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    # 50 ms create delay: the immediate describe sees CREATING (or, on a slow machine, already ACTIVE).
    assert first["StreamStatus"] in ("CREATING", "ACTIVE")
    summary = wait_status(kinesis, name, "ACTIVE")
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == stream_arn(name)
    assert summary["OpenShardCount"] == 2
    assert summary["RetentionPeriodHours"] == 24
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert "EnhancedMonitoring" in summary  # required member of StreamDescriptionSummary
    created = summary["StreamCreationTimestamp"]
    assert isinstance(created, dt.datetime)
    assert abs((_now() - created).total_seconds()) < 120


def test_creating_state_is_observable_with_long_delay(riffle_factory):
    """With a 1.5 s create delay the stream must be CREATING first; data calls are rejected until ACTIVE."""
    srv = riffle_factory(delay_ms=1500)
    client = srv.client()
    name = unique_name("creating")
    client.create_stream(StreamName=name, ShardCount=1)
    s = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["StreamStatus"] == "CREATING"
    d = client.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamStatus"] == "CREATING"
    # spec §3: while CREATING, data calls fail with ResourceNotFoundException.
    expect_error(client.put_record, "ResourceNotFoundException", StreamName=name, Data=b"x", PartitionKey="k")
    # spec §3: while CREATING, ListShards is ResourceInUse.
    expect_error(client.list_shards, "ResourceInUseException", StreamName=name)
    # CreateStream again while CREATING is still a duplicate.
    expect_error(client.create_stream, "ResourceInUseException",
                 f"Stream {name} under account {ACCOUNT_ID} already exists.", StreamName=name, ShardCount=1)
    wait_status(client, name, "ACTIVE", timeout=15)
    client.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    # DELETING is visible in Describe until removal
    client.delete_stream(StreamName=name)
    assert client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] == "DELETING"
    wait_gone(client, name, timeout=15)


def test_stream_exists_waiter(kinesis, streams):
    name = streams(shards=1, wait=False)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamStatus"] == "ACTIVE"


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_describe_stream_hash_ranges_tile_keyspace(kinesis, streams, n):
    name = streams(shards=n)
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamName"] == name
    assert d["StreamARN"] == stream_arn(name)
    assert d["StreamStatus"] == "ACTIVE"
    assert d["HasMoreShards"] is False
    assert d["RetentionPeriodHours"] == 24
    assert isinstance(d["StreamCreationTimestamp"], dt.datetime)
    shards = d["Shards"]
    assert [s["ShardId"] for s in shards] == [_shard_id(i) for i in range(n)]
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in shards]
    assert ranges[0][0] == 0
    assert ranges[-1][1] == MAX_HASH
    for (a_start, a_end), (b_start, _) in zip(ranges, ranges[1:]):
        assert a_start <= a_end
        assert b_start == a_end + 1, "open shards must tile the key space without gaps or overlap"
    assert ranges == expected_ranges(n)
    for s in shards:
        # hash keys and sequence numbers are decimal strings
        assert s["HashKeyRange"]["StartingHashKey"].isdigit()
        assert s["HashKeyRange"]["EndingHashKey"].isdigit()
        assert s["SequenceNumberRange"]["StartingSequenceNumber"].isdigit()
        assert "EndingSequenceNumber" not in s["SequenceNumberRange"], "new shards are open"
        assert "ParentShardId" not in s
        assert "AdjacentParentShardId" not in s


def test_two_shards_split_at_2_pow_127(kinesis, streams):
    name = streams(shards=2)
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert shards[0]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(N2_SPLIT - 1)}
    assert shards[1]["HashKeyRange"] == {"StartingHashKey": str(N2_SPLIT), "EndingHashKey": str(MAX_HASH)}


def test_describe_stream_pagination(kinesis, streams):
    name = streams(shards=5)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == [_shard_id(0), _shard_id(1)]
    assert first["HasMoreShards"] is True
    nxt = kinesis.describe_stream(StreamName=name, Limit=2, ExclusiveStartShardId=_shard_id(1))["StreamDescription"]
    assert [s["ShardId"] for s in nxt["Shards"]] == [_shard_id(2), _shard_id(3)]
    assert nxt["HasMoreShards"] is True
    last = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId=_shard_id(3))["StreamDescription"]
    assert [s["ShardId"] for s in last["Shards"]] == [_shard_id(4)]
    assert last["HasMoreShards"] is False

    pages = list(kinesis.get_paginator("describe_stream").paginate(
        StreamName=name, PaginationConfig={"PageSize": 2}))
    assert [len(p["StreamDescription"]["Shards"]) for p in pages] == [2, 2, 1]
    full = kinesis.get_paginator("describe_stream").paginate(
        StreamName=name, PaginationConfig={"PageSize": 2}).build_full_result()
    assert [s["ShardId"] for s in full["StreamDescription"]["Shards"]] == [_shard_id(i) for i in range(5)]


def test_describe_stream_by_arn(kinesis, streams):
    name = streams(shards=1)
    d = kinesis.describe_stream(StreamARN=stream_arn(name))["StreamDescription"]
    assert d["StreamName"] == name
    s = kinesis.describe_stream_summary(StreamARN=stream_arn(name))["StreamDescriptionSummary"]
    assert s["StreamName"] == name and s["OpenShardCount"] == 1


def test_list_shards_and_paginator(kinesis, streams):
    name = streams(shards=3)
    everything = kinesis.list_shards(StreamName=name)
    assert [s["ShardId"] for s in everything["Shards"]] == [_shard_id(i) for i in range(3)]
    assert "NextToken" not in everything
    page = kinesis.list_shards(StreamName=name, MaxResults=1)
    assert [s["ShardId"] for s in page["Shards"]] == [_shard_id(0)]
    assert page.get("NextToken")
    page2 = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=1)
    assert [s["ShardId"] for s in page2["Shards"]] == [_shard_id(1)]
    after = kinesis.list_shards(StreamName=name, ExclusiveStartShardId=_shard_id(0))
    assert [s["ShardId"] for s in after["Shards"]] == [_shard_id(1), _shard_id(2)]
    by_arn = kinesis.list_shards(StreamARN=stream_arn(name))
    assert [s["ShardId"] for s in by_arn["Shards"]] == [_shard_id(i) for i in range(3)]
    # Manual NextToken paging (NextToken alone identifies the stream).
    paged, token = [], None
    for _ in range(10):
        resp = kinesis.list_shards(NextToken=token, MaxResults=1) if token else \
            kinesis.list_shards(StreamName=name, MaxResults=1)
        paged += [s["ShardId"] for s in resp["Shards"]]
        token = resp.get("NextToken")
        if not token:
            break
    assert paged == [_shard_id(i) for i in range(3)]
    # The boto3 ListShards paginator re-sends StreamName with NextToken, which AWS rejects
    # (boto/botocore#2009); a faithful server must reject it the same way.
    pages = kinesis.get_paginator("list_shards").paginate(StreamName=name, PaginationConfig={"PageSize": 1})
    expect_error(lambda: list(pages), "InvalidArgumentException",
                 "NextToken and StreamName cannot be provided together.")
    # A single-page paginator run is fine.
    single = [s["ShardId"] for p in kinesis.get_paginator("list_shards").paginate(StreamName=name)
              for s in p["Shards"]]
    assert single == [_shard_id(i) for i in range(3)]
    # ListShards and DescribeStream agree
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert everything["Shards"] == d


def test_on_demand_stream(kinesis, streams):
    name = streams(shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert s["OpenShardCount"] == 4  # spec §2.3: ON_DEMAND starts with 4 shards
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    # writes work on the on-demand stream
    r = kinesis.put_record(StreamName=name, Data=b"od", PartitionKey="pk")
    assert r["ShardId"] in {sh["ShardId"] for sh in d["Shards"]}


def test_provisioned_mode_explicit(kinesis, streams):
    name = streams(shards=2, StreamModeDetails={"StreamMode": "PROVISIONED"})
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert s["OpenShardCount"] == 2


def test_list_streams_pagination_and_summaries(kinesis, streams):
    time.sleep(0.3)  # let deletions of earlier tests' streams (50 ms delay) finish
    prefix = unique_name("ls")
    names = sorted(streams(shards=1, name=f"{prefix}-{i}") for i in range(3))
    # All pages of size 1 via the boto3 paginator (NextToken based)
    seen, pages = [], 0
    summaries = {}
    for page in kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}):
        pages += 1
        assert len(page["StreamNames"]) <= 1
        seen.extend(page["StreamNames"])
        for s in page.get("StreamSummaries", []):
            summaries[s["StreamName"]] = s
        assert pages < 1000
    assert len(seen) == len(set(seen)), "a stream was listed twice across pages"
    for n in names:
        assert n in seen
        assert summaries[n]["StreamARN"] == stream_arn(n)
        assert summaries[n]["StreamStatus"] == "ACTIVE"
        assert summaries[n]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert isinstance(summaries[n]["StreamCreationTimestamp"], dt.datetime)
    # One raw page: Limit respected and HasMoreStreams/NextToken set while more remain
    first = kinesis.list_streams(Limit=1)
    assert len(first["StreamNames"]) == 1
    assert first["HasMoreStreams"] is True
    assert first.get("NextToken")
    assert [s["StreamName"] for s in first["StreamSummaries"]] == first["StreamNames"]
    second = kinesis.list_streams(Limit=1, NextToken=first["NextToken"])
    assert len(second["StreamNames"]) == 1 and second["StreamNames"] != first["StreamNames"]
    # Unpaginated call returns every stream with HasMoreStreams false (fewer than 100 exist)
    full = kinesis.list_streams()
    assert full["HasMoreStreams"] is False
    assert set(names) <= set(full["StreamNames"])
    assert sorted(full["StreamNames"]) == sorted(seen)


def test_delete_stream_then_not_found(kinesis, streams):
    name = streams(shards=1)
    kinesis.delete_stream(StreamName=name)
    err = wait_gone(kinesis, name)
    assert err.response["Error"]["Message"] == rnf_message(name)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    expect_error(kinesis.describe_stream, "ResourceNotFoundException", rnf_message(name), StreamName=name)
    assert name not in kinesis.list_streams()["StreamNames"]
    expect_error(kinesis.delete_stream, "ResourceNotFoundException", rnf_message(name), StreamName=name)


def test_stream_not_exists_waiter(kinesis, streams):
    name = streams(shards=1)
    kinesis.delete_stream(StreamARN=stream_arn(name))
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    expect_error(kinesis.describe_stream_summary, "ResourceNotFoundException", rnf_message(name), StreamName=name)


def test_name_reuse_after_deletion_is_a_new_stream(kinesis, streams):
    name = streams(shards=1)
    old = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    kinesis.put_record(StreamName=name, Data=b"from-the-old-stream", PartitionKey="k")
    time.sleep(0.01)
    kinesis.delete_stream(StreamName=name)
    wait_gone(kinesis, name)
    streams(shards=2, name=name)
    new = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert new["OpenShardCount"] == 2
    assert new["StreamCreationTimestamp"] >= old["StreamCreationTimestamp"]
    for sid in ("shardId-000000000000", "shardId-000000000001"):
        assert read_shard(kinesis, name, sid) == [], "data of the deleted stream leaked into the new one"


def test_describe_limits_counts_open_shards(kinesis, streams):
    time.sleep(0.3)  # let deletions of earlier tests' streams (50 ms delay) finish
    before = kinesis.describe_limits()
    for key in ("ShardLimit", "OpenShardCount", "OnDemandStreamCount", "OnDemandStreamCountLimit"):
        assert isinstance(before[key], int), key
    assert before["ShardLimit"] >= before["OpenShardCount"]
    streams(shards=3)
    time.sleep(1.05)  # DescribeLimits is 1 TPS on AWS
    after = kinesis.describe_limits()
    assert after["OpenShardCount"] - before["OpenShardCount"] == 3


def test_describe_stream_caps_at_100_shards_list_shards_does_not(kinesis, streams):
    name = streams(shards=120)
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert len(d["Shards"]) == 100 and d["HasMoreShards"] is True
    d = kinesis.describe_stream(StreamName=name, Limit=10000)["StreamDescription"]
    assert len(d["Shards"]) == 100 and d["HasMoreShards"] is True
    full = kinesis.get_paginator("describe_stream").paginate(StreamName=name).build_full_result()
    assert [s["ShardId"] for s in full["StreamDescription"]["Shards"]] == [_shard_id(i) for i in range(120)]
    ls = kinesis.list_shards(StreamName=name)
    assert len(ls["Shards"]) == 120 and "NextToken" not in ls
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 120


def test_list_shards_filters(kinesis, streams):
    name = streams(shards=3)
    all_ids = [_shard_id(i) for i in range(3)]
    for f in ({"Type": "AT_LATEST"}, {"Type": "AT_TRIM_HORIZON"}, {"Type": "FROM_TRIM_HORIZON"}):
        assert [s["ShardId"] for s in kinesis.list_shards(StreamName=name, ShardFilter=f)["Shards"]] == all_ids, f
    after = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": _shard_id(0)})
    assert [s["ShardId"] for s in after["Shards"]] == all_ids[1:]


def test_on_demand_ignores_shard_count(kinesis, streams):
    name = streams(shards=7, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert s["OpenShardCount"] == 4


def test_max_record_size_setting(kinesis, streams):
    name = streams(shards=1, MaxRecordSizeInKiB=2048)
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s.get("MaxRecordSizeInKiB") == 2048
    data = bytes(range(256)) * (6 * 1024)  # 1.5 MiB: over the default limit, under this stream's
    kinesis.put_record(StreamName=name, Data=data, PartitionKey="big")
    got = read_shard(kinesis, name, _shard_id(0), expect=1)
    assert len(got) == 1 and got[0]["Data"] == data
