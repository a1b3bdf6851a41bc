"""Data plane: PutRecord, PutRecords, GetShardIterator (all five types), GetRecords."""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time

import pytest

from kinesis_helpers import (
    MAX_HASH,
    get_records,
    hash_key,
    list_all_shards,
    make_client,
    read_shard,
    shard_for_hash,
    shard_iterator,
    stream_arn,
)

SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"
N2_SPLIT = 170141183460469231731687303715884105728


def _seq(x) -> int:
    s = x["SequenceNumber"] if isinstance(x, dict) else x
    assert isinstance(s, str) and s.isdigit(), f"sequence number must be a decimal string, got {s!r}"
    return int(s)


def _assert_strictly_increasing(seqs):
    ints = [_seq(s) for s in seqs]
    assert all(a < b for a, b in zip(ints, ints[1:])), f"sequence numbers not strictly increasing: {seqs}"


PAYLOADS = [
    b"hello, kinesis",
    b"\x00",
    b"a",
    bytes(range(256)),
    "unicode \u2713 \U0001f600".encode("utf-8"),
    b"\xff\xfe\xfd\x00\x01",
    os.urandom(64 * 1024),
]


def test_put_record_round_trip_bytes_intact(kinesis, streams):
    name = streams(shards=1)
    results = []
    for i, data in enumerate(PAYLOADS):
        r = kinesis.put_record(StreamName=name, Data=data, PartitionKey=f"pk-{i}")
        assert r["ShardId"] == SHARD0
        results.append(r)
    _assert_strictly_increasing([r["SequenceNumber"] for r in results])
    got = read_shard(kinesis, name, SHARD0, expect=len(PAYLOADS))
    assert [r["Data"] for r in got] == PAYLOADS
    assert [r["PartitionKey"] for r in got] == [f"pk-{i}" for i in range(len(PAYLOADS))]
    assert [r["SequenceNumber"] for r in got] == [r["SequenceNumber"] for r in results]


def test_max_size_record_round_trip(kinesis, streams):
    """len(Data) + len(PartitionKey) == 1 MiB is the largest accepted record by default."""
    name = streams(shards=1)
    data = os.urandom(1024 * 1024 - 1)
    kinesis.put_record(StreamName=name, Data=data, PartitionKey="k")
    got = read_shard(kinesis, name, SHARD0, expect=1)
    assert len(got) == 1 and got[0]["Data"] == data


def test_put_record_by_stream_arn(kinesis, streams):
    name = streams(shards=1)
    r = kinesis.put_record(StreamARN=stream_arn(name), Data=b"via-arn", PartitionKey="k")
    it = kinesis.get_shard_iterator(StreamARN=stream_arn(name), ShardId=SHARD0,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = kinesis.get_records(ShardIterator=it, StreamARN=stream_arn(name))["Records"]
    assert [(x["Data"], x["SequenceNumber"]) for x in recs] == [(b"via-arn", r["SequenceNumber"])]


def test_partition_key_routing_uses_md5(kinesis, streams):
    name = streams(shards=3)
    shards = list_all_shards(kinesis, name)
    for i in range(40):
        pk = f"key-{i}-\u00e9"  # hashed as UTF-8
        r = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=pk)
        assert r["ShardId"] == shard_for_hash(shards, hash_key(pk)), pk


@pytest.mark.parametrize("ehk,expected", [
    ("0", SHARD0),
    (str(N2_SPLIT - 1), SHARD0),
    (str(N2_SPLIT), SHARD1),
    (str(MAX_HASH), SHARD1),
])
def test_explicit_hash_key_routing(kinesis, streams, ehk, expected):
    name = streams(shards=2)
    # The partition key alone would hash somewhere else for at least one of the cases; EHK wins.
    r = kinesis.put_record(StreamName=name, Data=ehk.encode(), PartitionKey="ignored-for-routing",
                           ExplicitHashKey=ehk)
    assert r["ShardId"] == expected
    got = read_shard(kinesis, name, expected, expect=1)
    assert [x["Data"] for x in got] == [ehk.encode()]
    assert got[0]["PartitionKey"] == "ignored-for-routing"


def test_put_records_results_in_request_order(kinesis, streams):
    name = streams(shards=2)
    rng = random.Random(7)
    entries = []
    for i in range(120):
        e = {"Data": f"rec-{i}".encode() + os.urandom(rng.randrange(0, 40)), "PartitionKey": f"p{i}"}
        if i % 3 == 0:
            e["ExplicitHashKey"] = str(rng.randrange(0, MAX_HASH + 1))
        entries.append(e)
    resp = kinesis.put_records(StreamName=name, Records=entries)
    assert resp["FailedRecordCount"] == 0
    results = resp["Records"]
    assert len(results) == len(entries)
    shards = list_all_shards(kinesis, name)
    by_shard = {SHARD0: [], SHARD1: []}
    for e, r in zip(entries, results):
        assert "ErrorCode" not in r
        h = int(e["ExplicitHashKey"]) if "ExplicitHashKey" in e else hash_key(e["PartitionKey"])
        assert r["ShardId"] == shard_for_hash(shards, h), e["PartitionKey"]
        by_shard[r["ShardId"]].append((e, r))
    assert by_shard[SHARD0] and by_shard[SHARD1], "120 records should land on both shards"
    for sid, pairs in by_shard.items():
        # within a shard, sequence numbers follow request order
        _assert_strictly_increasing([r["SequenceNumber"] for _, r in pairs])
        got = read_shard(kinesis, name, sid, expect=len(pairs))
        assert [(g["SequenceNumber"], g["Data"], g["PartitionKey"]) for g in got] == \
               [(r["SequenceNumber"], e["Data"], e["PartitionKey"]) for e, r in pairs]


def test_put_records_by_arn_and_single_entry(kinesis, streams):
    name = streams(shards=1)
    resp = kinesis.put_records(StreamARN=stream_arn(name), Records=[{"Data": b"\x00\x01", "PartitionKey": "k"}])
    assert resp["FailedRecordCount"] == 0
    assert len(resp["Records"]) == 1 and resp["Records"][0]["ShardId"] == SHARD0
    assert _seq(resp["Records"][0]) > 0


def test_ordering_per_shard_and_across_calls(kinesis, streams):
    name = streams(shards=1)
    seqs = []
    for i in range(10):
        seqs.append(kinesis.put_record(StreamName=name, Data=str(i).encode(), PartitionKey="same")["SequenceNumber"])
    batch = kinesis.put_records(StreamName=name, Records=[
        {"Data": str(i).encode(), "PartitionKey": f"k{i}"} for i in range(10, 20)])
    seqs += [r["SequenceNumber"] for r in batch["Records"]]
    _assert_strictly_increasing(seqs)
    got = read_shard(kinesis, name, SHARD0, expect=20)
    assert [g["Data"] for g in got] == [str(i).encode() for i in range(20)]
    assert [g["SequenceNumber"] for g in got] == seqs


def test_sequence_number_for_ordering(kinesis, streams):
    name = streams(shards=2)
    first = kinesis.put_record(StreamName=name, Data=b"1", PartitionKey="a", ExplicitHashKey="0")
    second = kinesis.put_record(StreamName=name, Data=b"2", PartitionKey="a", ExplicitHashKey="0",
                                SequenceNumberForOrdering=first["SequenceNumber"])
    assert _seq(second) > _seq(first)


def test_iterator_trim_horizon_and_latest(kinesis, streams):
    name = streams(shards=1)
    kinesis.put_records(StreamName=name, Records=[{"Data": b"old%d" % i, "PartitionKey": "k"} for i in range(3)])
    latest = shard_iterator(kinesis, name, SHARD0, "LATEST")
    trim = shard_iterator(kinesis, name, SHARD0, "TRIM_HORIZON")
    r = get_records(kinesis, latest)
    assert r["Records"] == [], "LATEST must start after the newest record"
    assert r["MillisBehindLatest"] == 0
    latest2 = r["NextShardIterator"]
    assert latest2
    put = kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="k")
    r2 = get_records(kinesis, latest2)
    assert [(x["Data"], x["SequenceNumber"]) for x in r2["Records"]] == [(b"new", put["SequenceNumber"])]
    r3 = get_records(kinesis, trim)
    assert [x["Data"] for x in r3["Records"]] == [b"old0", b"old1", b"old2", b"new"]


def test_iterator_at_and_after_sequence_number(kinesis, streams):
    name = streams(shards=1)
    resp = kinesis.put_records(StreamName=name, Records=[{"Data": b"r%d" % i, "PartitionKey": "k"} for i in range(6)])
    seqs = [r["SequenceNumber"] for r in resp["Records"]]
    at = get_records(kinesis, shard_iterator(kinesis, name, SHARD0, "AT_SEQUENCE_NUMBER",
                                             StartingSequenceNumber=seqs[2]))
    assert [x["SequenceNumber"] for x in at["Records"]] == seqs[2:]
    after = get_records(kinesis, shard_iterator(kinesis, name, SHARD0, "AFTER_SEQUENCE_NUMBER",
                                                StartingSequenceNumber=seqs[2]))
    assert [x["SequenceNumber"] for x in after["Records"]] == seqs[3:]
    after_last = get_records(kinesis, shard_iterator(kinesis, name, SHARD0, "AFTER_SEQUENCE_NUMBER",
                                                     StartingSequenceNumber=seqs[-1]))
    assert after_last["Records"] == []
    assert after_last["MillisBehindLatest"] == 0


def test_iterator_at_timestamp(kinesis, streams):
    """boto3 sends Kinesis timestamps as whole epoch seconds, so batch B is written in a later second than A."""
    name = streams(shards=1)
    a = kinesis.put_records(StreamName=name, Records=[{"Data": b"a%d" % i, "PartitionKey": "k"} for i in range(3)])
    now = time.time()
    time.sleep((1.0 - (now % 1.0)) + 0.05)  # cross the next second boundary
    b = kinesis.put_records(StreamName=name, Records=[{"Data": b"b%d" % i, "PartitionKey": "k"} for i in range(3)])
    a_seqs = [r["SequenceNumber"] for r in a["Records"]]
    b_seqs = [r["SequenceNumber"] for r in b["Records"]]
    everything = read_shard(kinesis, name, SHARD0, expect=6)
    assert [x["SequenceNumber"] for x in everything] == a_seqs + b_seqs
    b_arrival = everything[3]["ApproximateArrivalTimestamp"]
    t = b_arrival.astimezone(dt.timezone.utc).replace(microsecond=0)  # what boto3 will actually send
    expected = [x["SequenceNumber"] for x in everything if x["ApproximateArrivalTimestamp"] >= t]
    assert expected == b_seqs, "server arrival timestamps should put batch B in a later second than batch A"
    got = get_records(kinesis, shard_iterator(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=t))
    assert [x["SequenceNumber"] for x in got["Records"]] == expected
    # a timestamp older than every record (and than the stream) behaves like TRIM_HORIZON
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    got_old = get_records(kinesis, shard_iterator(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=old))
    assert [x["SequenceNumber"] for x in got_old["Records"]] == a_seqs + b_seqs
    # epoch seconds as a float/int are accepted by boto3 too
    got_num = get_records(kinesis, shard_iterator(kinesis, name, SHARD0, "AT_TIMESTAMP", Timestamp=t.timestamp()))
    assert [x["SequenceNumber"] for x in got_num["Records"]] == expected


def test_get_records_limit_and_iterator_chaining(kinesis, streams):
    name = streams(shards=1)
    resp = kinesis.put_records(StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": "k"} for i in range(9)])
    seqs = [r["SequenceNumber"] for r in resp["Records"]]
    it = shard_iterator(kinesis, name, SHARD0, "TRIM_HORIZON")
    batches = []
    for _ in range(3):
        r = get_records(kinesis, it, Limit=4)
        assert len(r["Records"]) <= 4
        batches.append([x["SequenceNumber"] for x in r["Records"]])
        it = r["NextShardIterator"]
        assert it, "open shards always return a NextShardIterator"
    assert batches == [seqs[0:4], seqs[4:8], seqs[8:9]]
    assert r["MillisBehindLatest"] == 0, "caught up after reading the last record"
    tail = get_records(kinesis, it, Limit=4)
    assert tail["Records"] == []
    assert tail["MillisBehindLatest"] == 0
    assert tail["NextShardIterator"]
    assert "ChildShards" not in tail or tail["ChildShards"] == []


def test_record_metadata(kinesis, streams):
    name = streams(shards=1)
    before = dt.datetime.now(dt.timezone.utc)
    put = kinesis.put_record(StreamName=name, Data=b"meta", PartitionKey="pk-meta")
    after = dt.datetime.now(dt.timezone.utc)
    assert put["ShardId"] == SHARD0
    assert put.get("EncryptionType", "NONE") == "NONE"
    r = get_records(kinesis, shard_iterator(kinesis, name, SHARD0))
    assert r["MillisBehindLatest"] == 0
    [rec] = r["Records"]
    assert rec["SequenceNumber"] == put["SequenceNumber"]
    assert rec["PartitionKey"] == "pk-meta"
    ts = rec["ApproximateArrivalTimestamp"]
    assert isinstance(ts, dt.datetime) and ts.tzinfo is not None
    slack = dt.timedelta(seconds=2)
    assert before - slack <= ts <= after + slack
    assert rec.get("EncryptionType", "NONE") == "NONE"


def test_empty_shard_reads(kinesis, streams):
    name = streams(shards=2)
    r = get_records(kinesis, shard_iterator(kinesis, name, SHARD1, "TRIM_HORIZON"))
    assert r["Records"] == []
    assert r["MillisBehindLatest"] == 0
    assert r["NextShardIterator"]


def test_read_2000_records_across_shards(kinesis, streams):
    name = streams(shards=4)
    shards = [s["ShardId"] for s in list_all_shards(kinesis, name)]
    assert len(shards) == 4
    written = {sid: [] for sid in shards}
    n = 0
    for _ in range(4):
        entries = [{"Data": b"payload-%06d-" % (n + i) + os.urandom(8), "PartitionKey": f"pk-{n + i}"}
                   for i in range(500)]
        resp = kinesis.put_records(StreamName=name, Records=entries)
        assert resp["FailedRecordCount"] == 0
        for e, r in zip(entries, resp["Records"]):
            written[r["ShardId"]].append((r["SequenceNumber"], e["Data"], e["PartitionKey"]))
        n += 500
    assert sum(len(v) for v in written.values()) == 2000
    total = 0
    for sid in shards:
        it = shard_iterator(kinesis, name, sid, "TRIM_HORIZON")
        got = []
        for _ in range(50):  # plain GetRecords loop, no paginator
            r = get_records(kinesis, it, Limit=200)
            got.extend((x["SequenceNumber"], x["Data"], x["PartitionKey"]) for x in r["Records"])
            it = r["NextShardIterator"]
            if not r["Records"] and r["MillisBehindLatest"] == 0:
                break
        assert got == written[sid], f"shard {sid}: read back differs from what was acknowledged"
        _assert_strictly_increasing([g[0] for g in got])
        total += len(got)
    assert total == 2000
    all_seqs = [s for v in written.values() for s, _, _ in v]
    assert len(set(all_seqs)) == 2000, "sequence numbers must be unique per stream"


def test_concurrent_writers_one_shard(endpoint, streams):
    """8 threads writing to one shard: every acknowledged record is read back exactly once, in sequence order."""
    name = streams(shards=1)
    acked: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(w: int):
        client = make_client(endpoint)
        try:
            for i in range(25):
                data = f"w{w}-{i}".encode()
                if i % 5 == 0:
                    resp = client.put_records(StreamName=name, Records=[
                        {"Data": data + b"-%d" % j, "PartitionKey": f"{w}"} for j in range(4)])
                    assert resp["FailedRecordCount"] == 0
                    with lock:
                        acked.extend((r["SequenceNumber"], data + b"-%d" % j) for j, r in enumerate(resp["Records"]))
                else:
                    r = client.put_record(StreamName=name, Data=data, PartitionKey=f"{w}")
                    with lock:
                        acked.append((r["SequenceNumber"], data))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(acked) == 8 * (20 + 5 * 4)
    assert len({s for s, _ in acked}) == len(acked), "duplicate sequence numbers"
    got = read_shard(make_client(endpoint), name, SHARD0, expect=len(acked))
    assert [(g["SequenceNumber"], g["Data"]) for g in got] == sorted(acked, key=lambda x: int(x[0]))

