"""Durability: acknowledged records and stream metadata survive a clean (SIGTERM) and an unclean (SIGKILL)
restart of the server on the same data dir. Part of the default run."""

from __future__ import annotations

import os
import signal

import pytest

from kinesis_helpers import create_stream, list_all_shards, read_shard, wait_gone, wait_status

pytestmark = pytest.mark.durability

SHARDS = ("shardId-000000000000", "shardId-000000000001")


def _write(client, name: str, tag: str) -> dict[str, list[tuple[str, bytes, str]]]:
    written: dict[str, list[tuple[str, bytes, str]]] = {s: [] for s in SHARDS}
    for i in range(4):
        entries = [{"Data": f"{tag}-{i}-{j}-".encode() + os.urandom(16), "PartitionKey": f"{tag}-{i}-{j}"}
                   for j in range(100)]
        resp = client.put_records(StreamName=name, Records=entries)
        assert resp["FailedRecordCount"] == 0
        for e, r in zip(entries, resp["Records"]):
            written[r["ShardId"]].append((r["SequenceNumber"], e["Data"], e["PartitionKey"]))
    for j in range(10):
        data = f"{tag}-single-{j}".encode()
        r = client.put_record(StreamName=name, Data=data, PartitionKey=f"{tag}-s-{j}")
        written[r["ShardId"]].append((r["SequenceNumber"], data, f"{tag}-s-{j}"))
    return written


def _read_all(client, name: str) -> dict[str, list[tuple[str, bytes, str]]]:
    return {
        sid: [(r["SequenceNumber"], r["Data"], r["PartitionKey"]) for r in read_shard(client, name, sid)]
        for sid in SHARDS
    }


def _check_restart(srv, sig: int):
    client = srv.client()
    name = create_stream(client, "durable", shards=2)
    client.add_tags_to_stream(StreamName=name, Tags={"survives": "restart"})
    client.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    before_shards = list_all_shards(client, name)
    written = _write(client, name, "before")
    assert sum(len(v) for v in written.values()) == 410

    rc = srv.stop(sig)
    if sig == signal.SIGTERM:
        assert rc == 0, f"SIGTERM should stop riffle cleanly (exit 0), got {rc}\n{srv.log_tail()}"
    srv.start()
    client = srv.client()

    s = wait_status(client, name, "ACTIVE", timeout=15)
    assert s["RetentionPeriodHours"] == 48
    assert s["OpenShardCount"] == 2
    assert list_all_shards(client, name) == before_shards
    assert {t["Key"]: t["Value"] for t in client.list_tags_for_stream(StreamName=name)["Tags"]} == \
        {"survives": "restart"}

    got = _read_all(client, name)
    for sid in SHARDS:
        assert got[sid] == written[sid], f"{sid}: acknowledged records lost or changed across restart"

    # New writes continue the per-shard sequence strictly above everything written before the restart.
    after = _write(client, name, "after")
    for sid in SHARDS:
        if written[sid] and after[sid]:
            assert int(after[sid][0][0]) > int(written[sid][-1][0]), \
                f"{sid}: sequence numbers went backwards after restart"
    got2 = _read_all(client, name)
    for sid in SHARDS:
        assert got2[sid] == written[sid] + after[sid]

    # The stream name stays taken and a second restart still sees everything.
    srv.restart(signal.SIGTERM)
    client = srv.client()
    got3 = _read_all(client, name)
    for sid in SHARDS:
        assert got3[sid] == written[sid] + after[sid]


def test_sigterm_restart_keeps_everything(riffle_factory):
    _check_restart(riffle_factory(), signal.SIGTERM)


@pytest.mark.parametrize("fsync", [None, "interval:100"], ids=["default-fsync", "fsync-interval"])
def test_sigkill_restart_keeps_acknowledged_records(riffle_factory, fsync):
    """A process crash (not a power loss) must not lose acknowledged records under any fsync policy that
    writes before replying: the page cache survives SIGKILL."""
    args = ("--fsync", fsync) if fsync else ()
    _check_restart(riffle_factory(*args), signal.SIGKILL)


def test_deleted_stream_stays_deleted_after_restart(riffle_factory):
    srv = riffle_factory()
    client = srv.client()
    keep = create_stream(client, "keep", shards=1)
    gone = create_stream(client, "gone", shards=1)
    client.put_record(StreamName=gone, Data=b"x", PartitionKey="k")
    client.delete_stream(StreamName=gone)
    wait_gone(client, gone)
    srv.restart(signal.SIGTERM)
    client = srv.client()
    names = client.list_streams()["StreamNames"]
    assert keep in names
    assert gone not in names
    # the name can be reused and starts empty
    create_stream(client, gone, shards=1)
    assert read_shard(client, gone, "shardId-000000000000") == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_single_record_survives_restart(riffle_factory, sig):
    """Smallest possible log: one acknowledged record in the whole data dir."""
    srv = riffle_factory()
    client = srv.client()
    name = create_stream(client, "one", shards=1)
    put = client.put_record(StreamName=name, Data=b"the only record", PartitionKey="k")
    srv.stop(sig)
    srv.start()
    client = srv.client()
    got = read_shard(client, name, "shardId-000000000000")
    assert [(r["SequenceNumber"], r["Data"]) for r in got] == [(put["SequenceNumber"], b"the only record")]
    nxt = client.put_record(StreamName=name, Data=b"second", PartitionKey="k")
    assert int(nxt["SequenceNumber"]) > int(put["SequenceNumber"])


def test_iterators_stay_valid_across_restart(riffle_factory):
    """Iterators are valid for 300 s after issue; a restart in between must not invalidate or move them."""
    srv = riffle_factory()
    client = srv.client()
    name = create_stream(client, "iters", shards=1)
    seqs = [client.put_record(StreamName=name, Data=b"r%d" % i, PartitionKey="k")["SequenceNumber"]
            for i in range(3)]
    trim = client.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                     ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = client.get_records(ShardIterator=trim, Limit=1)
    assert [r["SequenceNumber"] for r in first["Records"]] == seqs[:1]
    srv.restart(signal.SIGTERM)
    client = srv.client()
    assert [r["SequenceNumber"] for r in client.get_records(ShardIterator=trim)["Records"]] == seqs
    nxt = client.get_records(ShardIterator=first["NextShardIterator"])
    assert [r["SequenceNumber"] for r in nxt["Records"]] == seqs[1:]
