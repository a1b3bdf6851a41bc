"""GET /metrics (issue 8) seen from boto3: CloudWatch's Kinesis metrics, as a scraper reads them."""

from __future__ import annotations

import re
import urllib.request


def scrape(endpoint: str) -> str:
    with urllib.request.urlopen(f"{endpoint}/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return resp.read().decode()


def total(text: str, name: str, stream: str) -> float:
    """Sum of `name`'s samples for `stream` (over its shards, for shard-level metrics)."""
    pattern = re.compile(rf'^{re.escape(name)}{{[^}}]*StreamName="{re.escape(stream)}"[^}}]*}} (\S+)$', re.M)
    values = [float(v) for v in pattern.findall(text)]
    assert values, f"no {name} for {stream}"
    return sum(values)


def test_metrics_count_boto3_puts_and_reads(kinesis, streams, endpoint):
    name = streams(shards=2)
    records = [{"Data": f"row {i}".encode(), "PartitionKey": f"k{i}"} for i in range(25)]
    assert kinesis.put_records(StreamName=name, Records=records)["FailedRecordCount"] == 0
    read = 0
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        read += len(kinesis.get_records(ShardIterator=it)["Records"])
    assert read == 25
    text = scrape(endpoint)
    assert total(text, "kinesis_IncomingRecords", name) == 25
    assert total(text, "kinesis_PutRecords_SuccessfulRecords", name) == 25
    assert total(text, "kinesis_GetRecords_Records", name) == 25
    assert total(text, "kinesis_IncomingBytes", name) == sum(len(r["Data"]) + len(r["PartitionKey"]) for r in records)
    assert "# TYPE kinesis_PutRecords_Latency histogram" in text
    assert re.search(r"^process_resident_memory_bytes \d", text, re.M)
