"""Exact error __type / message / HTTP status (spec §1 and §2.3), as seen through boto3."""

from __future__ import annotations

import datetime as dt

import pytest

from kinesis_helpers import (
    ACCOUNT_ID,
    MAX_HASH,
    STREAM_NAME_PATTERN,
    expect_error,
    rnf_message,
    stream_arn,
    unique_name,
)

SHARD0 = "shardId-000000000000"
SHARD1 = "shardId-000000000001"

# Spec §2.3 writes the tail as "Request specified <T> and also a|no StartingSequenceNumber."; AWS (as copied by
# kinesalite) says "... and also a StartingSequenceNumber." when one was given and "... and no
# StartingSequenceNumber." when it is missing. We follow the AWS wording.
GSI_MISMATCH = ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber "
                "or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {t} and {a} "
                "StartingSequenceNumber.")


# ---- unknown stream -----------------------------------------------------------------------

UNKNOWN_STREAM_CALLS = {
    "DescribeStream": lambda c, n: c.describe_stream(StreamName=n),
    "DescribeStreamSummary": lambda c, n: c.describe_stream_summary(StreamName=n),
    "DeleteStream": lambda c, n: c.delete_stream(StreamName=n),
    "ListShards": lambda c, n: c.list_shards(StreamName=n),
    "PutRecord": lambda c, n: c.put_record(StreamName=n, Data=b"x", PartitionKey="k"),
    "PutRecords": lambda c, n: c.put_records(StreamName=n, Records=[{"Data": b"x", "PartitionKey": "k"}]),
    "GetShardIterator": lambda c, n: c.get_shard_iterator(StreamName=n, ShardId=SHARD0,
                                                          ShardIteratorType="TRIM_HORIZON"),
    "AddTagsToStream": lambda c, n: c.add_tags_to_stream(StreamName=n, Tags={"a": "b"}),
    "RemoveTagsFromStream": lambda c, n: c.remove_tags_from_stream(StreamName=n, TagKeys=["a"]),
    "ListTagsForStream": lambda c, n: c.list_tags_for_stream(StreamName=n),
    "IncreaseStreamRetentionPeriod": lambda c, n: c.increase_stream_retention_period(
        StreamName=n, RetentionPeriodHours=48),
    "DecreaseStreamRetentionPeriod": lambda c, n: c.decrease_stream_retention_period(
        StreamName=n, RetentionPeriodHours=24),
}


@pytest.mark.parametrize("op", sorted(UNKNOWN_STREAM_CALLS))
def test_unknown_stream_resource_not_found(kinesis, op):
    name = unique_name("missing")
    expect_error(lambda: UNKNOWN_STREAM_CALLS[op](kinesis, name), "ResourceNotFoundException", rnf_message(name))


def test_unknown_stream_by_arn(kinesis):
    name = unique_name("missing")
    expect_error(kinesis.describe_stream_summary, "ResourceNotFoundException", rnf_message(name),
                 StreamARN=stream_arn(name))


def test_duplicate_create_resource_in_use(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.create_stream, "ResourceInUseException",
                 f"Stream {name} under account {ACCOUNT_ID} already exists.", StreamName=name, ShardCount=1)
    # the existing stream is untouched
    s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert s["OpenShardCount"] == 1 and s["StreamStatus"] == "ACTIVE"


# ---- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["bad name", "slash/name", "star*", "\u00e9t\u00e9"])
def test_invalid_stream_name_pattern(kinesis, bad):
    msg = (f"1 validation error detected: Value '{bad}' at 'streamName' failed to satisfy constraint: "
           f"Member must satisfy regular expression pattern: {STREAM_NAME_PATTERN}")
    expect_error(kinesis.create_stream, "ValidationException", msg, StreamName=bad, ShardCount=1)
    expect_error(kinesis.describe_stream_summary, "ValidationException", msg, StreamName=bad)


def test_stream_name_too_long(kinesis_raw):
    bad = "a" * 129
    msg = (f"1 validation error detected: Value '{bad}' at 'streamName' failed to satisfy constraint: "
           f"Member must have length less than or equal to 128")
    expect_error(kinesis_raw.create_stream, "ValidationException", msg, StreamName=bad, ShardCount=1)


def test_create_stream_shard_count_zero(kinesis_raw):
    name = unique_name("zero")
    expect_error(kinesis_raw.create_stream, "ValidationException",
                 f"1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: "
                 f"Member must have value greater than or equal to 1", StreamName=name, ShardCount=0)


def test_put_records_too_many_records(kinesis, streams):
    name = streams(shards=1)
    records = [{"Data": b"x", "PartitionKey": "k"} for _ in range(501)]
    expect_error(kinesis.put_records, "ValidationException",
                 startswith="1 validation error detected: Value '",
                 contains="at 'records' failed to satisfy constraint: Member must have length less than or equal to 500",
                 StreamName=name, Records=records)
    # nothing was written
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")
    assert kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"] == []


def test_put_records_empty_list(kinesis_raw, streams):
    name = streams(shards=1)
    expect_error(kinesis_raw.put_records, "ValidationException",
                 startswith="1 validation error detected: Value '",
                 contains="at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
                 StreamName=name, Records=[])


def test_partition_key_too_long(kinesis_raw, streams):
    name = streams(shards=1)
    pk = "p" * 257
    expect_error(kinesis_raw.put_record, "ValidationException",
                 f"1 validation error detected: Value '{pk}' at 'partitionKey' failed to satisfy constraint: "
                 f"Member must have length less than or equal to 256",
                 StreamName=name, Data=b"x", PartitionKey=pk)


def test_record_size_counts_data_plus_partition_key(kinesis, streams):
    """Default max record size: len(Data) + len(PartitionKey) <= 1 MiB (spec §2.1)."""
    name = streams(shards=1)
    kinesis.put_record(StreamName=name, Data=b"x" * (1024 * 1024 - 3), PartitionKey="abc")  # exactly 1 MiB
    e = expect_error(kinesis.put_record, "ValidationException", StreamName=name,
                     Data=b"x" * (1024 * 1024 - 3), PartitionKey="abcd")  # 1 MiB + 1
    assert "at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576" in \
        e.response["Error"]["Message"], e.response["Error"]
    # same rule inside PutRecords fails the whole call
    expect_error(kinesis.put_records, "ValidationException", StreamName=name,
                 Records=[{"Data": b"x" * (1024 * 1024), "PartitionKey": "k"}])


def test_put_records_missing_partition_key_path_is_one_based(kinesis_raw, streams):
    name = streams(shards=1)
    expect_error(kinesis_raw.put_records, "ValidationException",
                 "1 validation error detected: Value null at 'records.2.member.partitionKey' failed to satisfy "
                 "constraint: Member must not be null",
                 StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}, {"Data": b"x"}])


def test_stream_name_and_arn_must_agree(kinesis, kinesis_raw, streams):
    a = streams(shards=1)
    b = streams(shards=1)
    expect_error(kinesis.describe_stream_summary, "InvalidArgumentException", StreamName=a, StreamARN=stream_arn(b))
    # spec §2.1 (kinesis-mock wording) when neither is given
    expect_error(kinesis_raw.describe_stream_summary, "InvalidArgumentException",
                 startswith="Neither streamArn or streamName was provided")


def test_shard_limit_exceeded(riffle_factory):
    srv = riffle_factory("--shard-limit", "5")
    client = srv.client()
    client.create_stream(StreamName="fits", ShardCount=3)
    expect_error(client.create_stream, "LimitExceededException",
                 startswith=f"This request would exceed the shard limit for the account {ACCOUNT_ID} in us-east-1. "
                            "Current shard count for the account: 3. Limit: 5. Number of additional shards that "
                            "would have resulted from this request: 3.",
                 StreamName="too-big", ShardCount=3)
    expect_error(client.describe_stream_summary, "ResourceNotFoundException", rnf_message("too-big"),
                 StreamName="too-big")


# ---- ExplicitHashKey ------------------------------------------------------------------------

def test_explicit_hash_key_out_of_range(kinesis, streams):
    name = streams(shards=1)
    too_big = str(MAX_HASH + 1)  # 2^128: 39 digits, passes the pattern, fails the range check
    msg = ("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
           f"Specified value was {too_big}")
    expect_error(kinesis.put_record, "InvalidArgumentException", msg,
                 StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=too_big)
    # PutRecords: IA fails the whole call (no per-record result)
    expect_error(kinesis.put_records, "InvalidArgumentException", msg, StreamName=name, Records=[
        {"Data": b"ok", "PartitionKey": "k"},
        {"Data": b"bad", "PartitionKey": "k", "ExplicitHashKey": too_big},
    ])
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")
    assert kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"] == []


def test_explicit_hash_key_not_a_number(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.put_record, "ValidationException",
                 "1 validation error detected: Value 'abc' at 'explicitHashKey' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
                 StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey="abc")


# ---- GetShardIterator / GetRecords --------------------------------------------------------

@pytest.mark.parametrize("it_type,with_seq", [
    ("AT_SEQUENCE_NUMBER", False),
    ("AFTER_SEQUENCE_NUMBER", False),
    ("TRIM_HORIZON", True),
    ("LATEST", True),
])
def test_get_shard_iterator_type_sequence_mismatch(kinesis, streams, it_type, with_seq):
    name = streams(shards=1)
    seq = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["SequenceNumber"]
    kwargs = dict(StreamName=name, ShardId=SHARD0, ShardIteratorType=it_type)
    if with_seq:
        kwargs["StartingSequenceNumber"] = seq
    expect_error(kinesis.get_shard_iterator, "InvalidArgumentException",
                 GSI_MISMATCH.format(t=it_type, a="also a" if with_seq else "no"), **kwargs)


def test_get_shard_iterator_at_timestamp_without_timestamp(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.get_shard_iterator, "InvalidArgumentException",
                 "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                 "Current request has no timestamp parameter.",
                 StreamName=name, ShardId=SHARD0, ShardIteratorType="AT_TIMESTAMP")


def test_get_shard_iterator_timestamp_in_future(kinesis, streams):
    name = streams(shards=1)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    expect_error(kinesis.get_shard_iterator, "InvalidArgumentException",
                 startswith="The timestampInMillis parameter cannot be greater than the currentTimestampInMillis.",
                 StreamName=name, ShardId=SHARD0, ShardIteratorType="AT_TIMESTAMP", Timestamp=future)


def test_get_shard_iterator_unknown_shard(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.get_shard_iterator, "ResourceNotFoundException",
                 f"Shard shardId-000000000007 in stream {name} under account {ACCOUNT_ID} does not exist",
                 StreamName=name, ShardId="shardId-000000000007", ShardIteratorType="TRIM_HORIZON")


def test_get_shard_iterator_sequence_from_other_shard(kinesis, streams):
    name = streams(shards=2)
    seq = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey="0")["SequenceNumber"]
    expect_error(kinesis.get_shard_iterator, "InvalidArgumentException",
                 f"Invalid StartingSequenceNumber. It encodes {SHARD0}, while it was used in a call to a shard "
                 f"with {SHARD1}",
                 StreamName=name, ShardId=SHARD1, ShardIteratorType="AT_SEQUENCE_NUMBER",
                 StartingSequenceNumber=seq)


def test_get_shard_iterator_sequence_from_other_stream(kinesis, streams):
    a = streams(shards=1)
    b = streams(shards=1)
    seq = kinesis.put_record(StreamName=b, Data=b"x", PartitionKey="k")["SequenceNumber"]
    kinesis.put_record(StreamName=a, Data=b"x", PartitionKey="k")
    expect_error(kinesis.get_shard_iterator, "InvalidArgumentException",
                 contains="is invalid because it did not come from this stream.",
                 StreamName=a, ShardId=SHARD0, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                 StartingSequenceNumber=seq)


def test_get_shard_iterator_bad_type(kinesis_raw, streams):
    name = streams(shards=1)
    expect_error(kinesis_raw.get_shard_iterator, "ValidationException",
                 "1 validation error detected: Value 'NOPE' at 'shardIteratorType' failed to satisfy constraint: "
                 "Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, "
                 "LATEST, AT_TIMESTAMP]",
                 StreamName=name, ShardId=SHARD0, ShardIteratorType="NOPE")


def test_sequence_number_for_ordering_invalid(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.put_record, "InvalidArgumentException",
                 f"ExclusiveMinimumSequenceNumber 123 used in PutRecord on stream {name} under account "
                 f"{ACCOUNT_ID} is invalid.",
                 StreamName=name, Data=b"x", PartitionKey="k", SequenceNumberForOrdering="123")


def test_get_shard_iterator_bad_sequence_number_pattern(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.get_shard_iterator, "ValidationException",
                 "1 validation error detected: Value 'not-a-number' at 'startingSequenceNumber' failed to satisfy "
                 "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})",
                 StreamName=name, ShardId=SHARD0, ShardIteratorType="AT_SEQUENCE_NUMBER",
                 StartingSequenceNumber="not-a-number")


@pytest.mark.parametrize("iterator", ["AAAAAAAAAAHnotarealiterator", "x", "0" * 200])
def test_get_records_invalid_shard_iterator(kinesis, iterator):
    expect_error(kinesis.get_records, "InvalidArgumentException", "Invalid ShardIterator.", ShardIterator=iterator)


def test_get_records_tampered_iterator(kinesis, streams):
    name = streams(shards=1)
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=SHARD0, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert 1 <= len(it) <= 512
    flipped = it[:-5] + ("A" if it[-5] != "A" else "B") + it[-4:]
    expect_error(kinesis.get_records, "InvalidArgumentException", "Invalid ShardIterator.", ShardIterator=flipped)


def test_get_records_limit_out_of_range(kinesis_raw, streams):
    name = streams(shards=1)
    it = kinesis_raw.get_shard_iterator(StreamName=name, ShardId=SHARD0,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    expect_error(kinesis_raw.get_records, "ValidationException",
                 "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
                 "Member must have value less than or equal to 10000", ShardIterator=it, Limit=10001)


# ---- ListShards ---------------------------------------------------------------------------

def test_list_shards_next_token_with_stream_name(kinesis, streams):
    name = streams(shards=2)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    expect_error(kinesis.list_shards, "InvalidArgumentException",
                 "NextToken and StreamName cannot be provided together.", NextToken=token, StreamName=name)


def test_list_shards_invalid_token_and_filter(kinesis, streams):
    name = streams(shards=1)
    expect_error(kinesis.list_shards, "InvalidArgumentException", NextToken="garbage")
    expect_error(kinesis.list_shards, "InvalidArgumentException", StreamName=name,
                 ShardFilter={"Type": "AFTER_SHARD_ID"})


def test_list_shards_neither_token_nor_name(kinesis):
    expect_error(kinesis.list_shards, "InvalidArgumentException",
                 "Either NextToken or StreamName should be provided.")
