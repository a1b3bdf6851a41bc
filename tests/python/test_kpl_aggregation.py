"""KPL aggregation, byte-compatible both ways with `aws-kinesis-agg` (PyPI, pinned).

* Their aggregates: built with RecordAggregator, put through boto3 to riffle serve, read back
  byte-for-byte and deaggregated by their library. The same aggregates are committed as a fixture
  (crates/riffle-producer/tests/fixtures/python-aws-kinesis-agg.json) that Riffle's decoder reads
  in `cargo test -p riffle-producer`; a test here proves the fixture is exactly what the library
  makes (RIFFLE_REGENERATE_FIXTURES=1 rewrites it).
* Our aggregates: `riffle put` (aggregation on) writes lines; their deaggregator reads them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess

from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import iter_deaggregate_records

from kinesis_helpers import REPO_ROOT, cli_env, list_all_shards, read_shard, riffle_binary

FIXTURE = REPO_ROOT / "crates" / "riffle-producer" / "tests" / "fixtures" / "python-aws-kinesis-agg.json"

# (partition key, explicit hash key, data) per aggregate: repeated and unicode keys, explicit
# hash keys (0, the maximum, one repeated), empty and binary data, a lone record.
CASES = [
    [
        ("alpha", None, b"first"),
        ("beta", None, b"second"),
        ("alpha", None, b"third, same key as the first"),
        ("\u00fcnicode-\u96ea", None, "caf\u00e9 \u2615".encode()),
        ("gamma", "0", b""),
        ("delta", str(2**128 - 1), bytes(range(256))),
        ("epsilon", "0", b"shares an explicit hash key"),
    ],
    [("solo", None, b"a lone user record")],
    [(f"key-{i % 13}", None, f"record {i}".encode() * (i % 5 + 1)) for i in range(200)],
]


def build_aggregates() -> list[dict]:
    out = []
    for records in CASES:
        agg = RecordAggregator()
        for pk, ehk, data in records:
            # add_user_record returns a finished record when one fills up; these are small.
            assert agg.add_user_record(pk, data, ehk) is None
        record = agg.clear_and_get()
        pk, ehk, data = record.get_contents()
        out.append({
            "partition_key": pk,
            "explicit_hash_key": ehk,
            "data": base64.b64encode(data).decode(),
            "records": [
                {"partition_key": p, "explicit_hash_key": e, "data": base64.b64encode(d).decode()}
                for p, e, d in records
            ],
        })
    return out


def test_committed_fixture_is_what_the_library_makes():
    made = {"generator": "aws-kinesis-agg 1.2.3 (PyPI), tests/python/test_kpl_aggregation.py",
            "aggregates": build_aggregates()}
    if os.environ.get("RIFFLE_REGENERATE_FIXTURES") == "1":
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(made, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    committed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert committed == made


def test_their_aggregates_pass_through_riffle_unchanged(kinesis, streams):
    name = streams(shards=2)
    aggregates = build_aggregates()
    for a in aggregates:
        kw = {"ExplicitHashKey": a["explicit_hash_key"]} if a["explicit_hash_key"] else {}
        kinesis.put_record(StreamName=name, PartitionKey=a["partition_key"], Data=base64.b64decode(a["data"]), **kw)
    records = [r for s in list_all_shards(kinesis, name) for r in read_shard(kinesis, name, s["ShardId"])]
    stored = {base64.b64encode(r["Data"]).decode() for r in records}
    assert stored == {a["data"] for a in aggregates}, "the server stores aggregates byte for byte"
    users = list(iter_deaggregate_records(records, data_format="Boto3"))
    got = sorted((u["kinesis"]["partitionKey"], base64.b64decode(u["kinesis"]["data"])) for u in users)
    want = sorted((rec["partition_key"], base64.b64decode(rec["data"])) for a in aggregates for rec in a["records"])
    assert got == want


def riffle_put(endpoint: str, stream: str, lines: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [riffle_binary(), "put", "--stream", stream, "--endpoint-url", endpoint, *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )


def deaggregated(kinesis, name: str) -> list[dict]:
    """Every user record, shard by shard, unpacked by aws-kinesis-agg."""
    out = []
    for shard in list_all_shards(kinesis, name):
        records = read_shard(kinesis, name, shard["ShardId"])
        out.extend(u["kinesis"] for u in iter_deaggregate_records(records, data_format="Boto3"))
    return out


def test_riffle_put_aggregates_decode_with_their_library(kinesis, streams, endpoint):
    name = streams(shards=2)
    lines = [f"line {i} \u2014 {'x' * (i % 40)}" for i in range(1000)]
    done = riffle_put(endpoint, name, lines)
    assert done.returncode == 0, done.stderr
    assert "1000 written" in done.stdout, done.stdout
    users = deaggregated(kinesis, name)
    assert sorted(base64.b64decode(u["data"]).decode() for u in users) == sorted(lines)
    assert all(u["aggregated"] for u in users), "small lines travel in aggregates"
    # Default partition keys are line numbers; each record keeps its own.
    assert all(lines[int(u["partitionKey"])] == base64.b64decode(u["data"]).decode() for u in users)
    # Sub-sequence numbers count up within each aggregate.
    by_seq: dict[str, list[int]] = {}
    for u in users:
        by_seq.setdefault(u["sequenceNumber"], []).append(u["subSequenceNumber"])
    assert all(subs == list(range(len(subs))) for subs in by_seq.values())
    assert len(by_seq) < 100, "many lines share each Kinesis record"


def test_riffle_put_with_one_key_keeps_line_order(kinesis, streams, endpoint):
    name = streams(shards=3)
    lines = [f"{i}" for i in range(500)]
    done = riffle_put(endpoint, name, lines, "--partition-key", "one-key")
    assert done.returncode == 0, done.stderr
    users = deaggregated(kinesis, name)
    assert [base64.b64decode(u["data"]).decode() for u in users] == lines
    assert {u["partitionKey"] for u in users} == {"one-key"}
