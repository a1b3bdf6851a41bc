"""kcl-rs (PyPI `kcl-rs`, a Rust port of the Java KCL) consuming a riffle stream across a split, a
merge and an UpdateShardCount, in polling and in enhanced fan-out mode.

Everything goes to one riffle serve, as in a local setup: Kinesis, and the KCL's lease table through
riffle's DynamoDB endpoint (CloudWatch metrics are refused there; kcl-rs logs that and goes on).
What must hold, as a KCL user expects: every record is processed, records of one partition key in
put order, and no child shard starts before each of its parents has ended (SHARD_END checkpoint).
"""

from __future__ import annotations

import threading
import time

import kcl_rs
import pytest

from kinesis_helpers import list_all_shards, unique_name, wait_status


KEYS = 16
WAIT_SECS = 180


class Journal:
    """What the processors saw, in the order they saw it, across every shard's thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events: list[tuple] = []  # ("init"|"end"|"rec", shard, key, value)

    def add(self, *event):
        with self.lock:
            self.events.append(event)

    def values(self) -> set[int]:
        with self.lock:
            return {e[3] for e in self.events if e[0] == "rec"}


def _processor(journal: Journal):
    class Processor(kcl_rs.RecordProcessorBase):
        def initialize(self, inp):
            self.shard = inp.shard_id
            journal.add("init", self.shard, None, None)

        def process_records(self, inp):
            for r in inp.records:
                key, value = r.partition_key, int(r.binary_data.decode())
                journal.add("rec", self.shard, key, value)
            inp.checkpointer.checkpoint()

        def lease_lost(self, inp):
            pass

        def shard_ended(self, inp):
            journal.add("end", self.shard, None, None)
            inp.checkpointer.checkpoint()

        def shutdown_requested(self, inp):
            inp.checkpointer.checkpoint()

    return Processor


def _put(kinesis, name, start, count):
    for base in range(start, start + count, 100):
        entries = [{"PartitionKey": f"k{v % KEYS}", "Data": str(v).encode()}
                   for v in range(base, min(base + 100, start + count))]
        out = kinesis.put_records(StreamName=name, Records=entries)
        assert out["FailedRecordCount"] == 0
    return set(range(start, start + count))


def _await(journal, expected, what):
    deadline = time.time() + WAIT_SECS
    while not expected <= journal.values():
        assert time.time() < deadline, f"{what}: {len(expected - journal.values())} records never processed"
        time.sleep(0.2)


def _open(kinesis, name):
    return sorted((s for s in list_all_shards(kinesis, name) if "EndingSequenceNumber" not in s["SequenceNumberRange"]),
                  key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))


@pytest.mark.parametrize("mode", ["POLLING", "FANOUT"])
def test_kcl_rs_follows_split_merge_and_update_shard_count(mode, kinesis, streams, endpoint, monkeypatch):
    for var, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_REGION": "us-east-1", "RUST_LOG": "error"}.items():
        monkeypatch.setenv(var, value)
    name = streams(shards=2)
    journal = Journal()
    polling = {"max_records": 1000, "idle_time_between_reads_millis": 200} if mode == "POLLING" else {}
    scheduler = kcl_rs.Scheduler(
        stream_name=name, application_name=unique_name("kcl"), record_processor_factory=_processor(journal),
        region="us-east-1", initial_position="TRIM_HORIZON", retrieval_mode=mode,
        shard_sync_interval_millis=1000, **polling)
    expected = _put(kinesis, name, 0, 300)
    scheduler.start()
    try:
        _await(journal, expected, "before resharding")

        first = _open(kinesis, name)[0]
        lo, hi = int(first["HashKeyRange"]["StartingHashKey"]), int(first["HashKeyRange"]["EndingHashKey"])
        kinesis.split_shard(StreamName=name, ShardToSplit=first["ShardId"], NewStartingHashKey=str((lo + hi + 1) // 2))
        wait_status(kinesis, name)
        expected |= _put(kinesis, name, 300, 300)
        _await(journal, expected, "after the split")

        left, right = _open(kinesis, name)[:2]
        kinesis.merge_shards(StreamName=name, ShardToMerge=left["ShardId"], AdjacentShardToMerge=right["ShardId"])
        wait_status(kinesis, name)
        expected |= _put(kinesis, name, 600, 300)
        _await(journal, expected, "after the merge")

        kinesis.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
        wait_status(kinesis, name, timeout=30)
        assert len(_open(kinesis, name)) == 4
        expected |= _put(kinesis, name, 900, 300)
        _await(journal, expected, "after UpdateShardCount")
    finally:
        scheduler.shutdown()

    with journal.lock:
        events = list(journal.events)
    assert {e[3] for e in events if e[0] == "rec"} == expected

    # Per partition key, first deliveries come in put order (a redelivery after a lease moved
    # may repeat a record, never reorder the first time each is seen).
    first_seen: dict[str, list[int]] = {}
    seen: set[int] = set()
    for kind, _, key, value in events:
        if kind == "rec" and value not in seen:
            seen.add(value)
            first_seen.setdefault(key, []).append(value)
    for key, values in first_seen.items():
        assert values == sorted(values), f"{key} out of order: {values}"

    # Parents before children: a child's first record comes after every parent's SHARD_END.
    shards = list_all_shards(kinesis, name)
    assert len(shards) > 4, "the stream was resharded"
    ended_at = {e[1]: i for i, e in enumerate(events) if e[0] == "end"}
    for s in shards:
        parents = [p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p]
        records = [i for i, e in enumerate(events) if e[0] == "rec" and e[1] == s["ShardId"]]
        if parents and records:
            for p in parents:
                assert p in ended_at, f"{s['ShardId']} processed but parent {p} never ended"
                assert ended_at[p] < records[0], f"{s['ShardId']} started before parent {p} ended"
    closed = [s["ShardId"] for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]]
    assert set(closed) <= set(ended_at), "every closed shard was processed to its end"
