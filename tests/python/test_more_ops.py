"""The operations beyond the core set, through boto3: encryption (and records encrypted at rest),
enhanced monitoring, stream mode, resource policies, tagging by ARN, account settings, max record
size, warm throughput — and enhanced fan-out, which answers cleanly until it lands (resharding:
test_resharding.py).
Each operation has a success path and an error path; a restart keeps every setting."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from kinesis_helpers import (
    ACCOUNT_ID,
    expect_error,
    read_shard,
    rnf_message,
    stream_arn,
    unique_name,
    wait_status,
)

KEY = "arn:aws:kms:us-east-1:000000000000:key/12345678-1234-1234-1234-123456789012"
METRICS = [
    "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds",
]
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "kinesis:*", "Resource": "*"}],
})


def _on_disk(root: Path, needle: bytes) -> bool:
    return any(p.is_file() and needle in p.read_bytes() for p in root.rglob("*"))


def _consumer_arn(name: str) -> str:
    return f"{stream_arn(name)}/consumer/c:1700000000"


# ---- encryption ---------------------------------------------------------------------------

def test_encryption_start_stop_and_records_at_rest(kinesis, streams, server):
    name = streams(shards=1)
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["EncryptionType"] == "NONE" and "KeyId" not in desc

    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=KEY)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", KEY)
    wait_status(kinesis, name)

    secret = b"boto3-sealed-" + unique_name().encode()
    put = kinesis.put_record(StreamName=name, PartitionKey="k", Data=secret)
    assert put["EncryptionType"] == "KMS"
    batch = kinesis.put_records(StreamName=name, Records=[{"PartitionKey": "k", "Data": secret}])
    assert batch["EncryptionType"] == "KMS" and batch["FailedRecordCount"] == 0
    assert not _on_disk(server.data_dir, secret), "records are encrypted at rest"

    records = read_shard(kinesis, name, put["ShardId"], expect=2)
    assert [r["Data"] for r in records] == [secret, secret]
    assert all(r["EncryptionType"] == "KMS" for r in records)

    kinesis.stop_stream_encryption(StreamARN=stream_arn(name), EncryptionType="KMS", KeyId=KEY)
    wait_status(kinesis, name)
    plain = b"boto3-plain-" + unique_name().encode()
    assert kinesis.put_record(StreamName=name, PartitionKey="k", Data=plain)["EncryptionType"] == "NONE"
    assert _on_disk(server.data_dir, plain)
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["EncryptionType"] == "NONE" and "KeyId" not in desc


def test_encryption_errors(kinesis, kinesis_raw, streams):
    expect_error(kinesis.start_stream_encryption, "ResourceNotFoundException", rnf_message("nope-enc"),
                 StreamName="nope-enc", EncryptionType="KMS", KeyId=KEY)
    name = streams(shards=1)
    expect_error(kinesis.start_stream_encryption, "InvalidArgumentException",
                 "KMS is the only valid EncryptionType for this request",
                 StreamName=name, EncryptionType="NONE", KeyId=KEY)
    expect_error(kinesis.start_stream_encryption, "InvalidArgumentException",
                 "Received KeyId is not a properly formatted Alias or GUID",
                 StreamName=name, EncryptionType="KMS", KeyId="n/a")
    expect_error(kinesis_raw.stop_stream_encryption, "ValidationException",
                 "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
                 "Member must not be null", StreamName=name, EncryptionType="KMS")


# ---- enhanced monitoring ------------------------------------------------------------------

def test_enhanced_monitoring(kinesis, streams):
    name = streams(shards=1)
    out = kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    assert out["StreamName"] == name and out["StreamARN"] == stream_arn(name)
    assert out["CurrentShardLevelMetrics"] == []
    assert out["DesiredShardLevelMetrics"] == METRICS
    out = kinesis.disable_enhanced_monitoring(StreamARN=stream_arn(name), ShardLevelMetrics=["IncomingBytes"])
    assert out["CurrentShardLevelMetrics"] == METRICS
    assert out["DesiredShardLevelMetrics"] == METRICS[1:]
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["EnhancedMonitoring"] == [{"ShardLevelMetrics": METRICS[1:]}]
    kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]


def test_enhanced_monitoring_errors(kinesis, kinesis_raw, streams):
    expect_error(kinesis.enable_enhanced_monitoring, "ResourceNotFoundException", rnf_message("nope-mon"),
                 StreamName="nope-mon", ShardLevelMetrics=["ALL"])
    name = streams(shards=1)
    expect_error(kinesis_raw.enable_enhanced_monitoring, "ValidationException",
                 "1 validation error detected: Value '[Bogus]' at 'shardLevelMetrics' failed to satisfy "
                 "constraint: Member must satisfy constraint: [Member must satisfy enum value set: ["
                 + ", ".join(METRICS + ["ALL"]) + "]]",
                 StreamName=name, ShardLevelMetrics=["Bogus"])
    expect_error(kinesis_raw.disable_enhanced_monitoring, "ValidationException",
                 startswith="1 validation error detected: Value '[]' at 'shardLevelMetrics'",
                 StreamName=name, ShardLevelMetrics=[])


# ---- stream mode --------------------------------------------------------------------------

def test_update_stream_mode(kinesis, streams):
    name = streams(shards=2)
    kinesis.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    wait_status(kinesis, name)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"x")
    kinesis.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "PROVISIONED"})
    wait_status(kinesis, name)
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_update_stream_mode_errors(kinesis, kinesis_raw, streams):
    expect_error(kinesis.update_stream_mode, "ResourceNotFoundException", rnf_message("nope-mode"),
                 StreamARN=stream_arn("nope-mode"), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    name = streams(shards=1)
    expect_error(kinesis_raw.update_stream_mode, "ValidationException",
                 "1 validation error detected: Value 'SOMETIMES' at 'streamModeDetails.streamMode' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]",
                 StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "SOMETIMES"})
    kinesis.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    expect_error(kinesis.update_stream_mode, "ResourceInUseException",
                 f"Stream {name} under account {ACCOUNT_ID} not ACTIVE, instead in state UPDATING",
                 StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "PROVISIONED"})
    wait_status(kinesis, name)


# ---- resource policies --------------------------------------------------------------------

def test_resource_policies(kinesis, streams):
    name = streams(shards=1)
    assert kinesis.get_resource_policy(ResourceARN=stream_arn(name))["Policy"] == "{}"
    kinesis.put_resource_policy(ResourceARN=stream_arn(name), Policy=POLICY)
    assert kinesis.get_resource_policy(ResourceARN=stream_arn(name))["Policy"] == POLICY
    kinesis.delete_resource_policy(ResourceARN=stream_arn(name))
    assert kinesis.get_resource_policy(ResourceARN=stream_arn(name))["Policy"] == "{}"


def test_resource_policy_errors(kinesis, kinesis_raw, streams):
    name = streams(shards=1)
    expect_error(kinesis.delete_resource_policy, "ResourceNotFoundException",
                 f"No resource policy found for resource ARN {stream_arn(name)}.", ResourceARN=stream_arn(name))
    expect_error(kinesis.get_resource_policy, "ResourceNotFoundException",
                 f"Stream {stream_arn('nope-pol')} under account {ACCOUNT_ID} not found.",
                 ResourceARN=stream_arn("nope-pol"))
    expect_error(kinesis.put_resource_policy, "InvalidArgumentException",
                 ResourceARN=stream_arn(name), Policy="{not json")
    expect_error(kinesis.put_resource_policy, "ResourceNotFoundException",
                 f"Consumer c, account {ACCOUNT_ID} not found.", ResourceARN=_consumer_arn(name), Policy=POLICY)
    expect_error(kinesis_raw.get_resource_policy, "ValidationException",
                 "1 validation error detected: Value 'arn:aws:s3:::bucket' at 'resourceARN' failed to satisfy "
                 "constraint: Member must satisfy regular expression pattern: "
                 "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+", ResourceARN="arn:aws:s3:::bucket")


# ---- tagging by ARN -----------------------------------------------------------------------

def test_tag_untag_list_tags_for_resource(kinesis, streams):
    name = streams(shards=1)
    assert kinesis.list_tags_for_resource(ResourceARN=stream_arn(name))["Tags"] == []
    kinesis.tag_resource(ResourceARN=stream_arn(name), Tags={"env": "test", "team": "riffle"})
    tags = kinesis.list_tags_for_resource(ResourceARN=stream_arn(name))["Tags"]
    assert tags == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "riffle"}]
    assert len(kinesis.list_tags_for_stream(StreamName=name)["Tags"]) == 2, "one set of tags"
    kinesis.untag_resource(ResourceARN=stream_arn(name), TagKeys=["env"])
    assert kinesis.list_tags_for_resource(ResourceARN=stream_arn(name))["Tags"] == [{"Key": "team", "Value": "riffle"}]


def test_tag_resource_errors(kinesis, kinesis_raw, streams):
    expect_error(kinesis.tag_resource, "ResourceNotFoundException", rnf_message("nope-tags"),
                 ResourceARN=stream_arn("nope-tags"), Tags={"a": "b"})
    name = streams(shards=1)
    expect_error(kinesis.tag_resource, "InvalidArgumentException",
                 "Tag keys starting with 'aws:' are reserved for internal use.",
                 ResourceARN=stream_arn(name), Tags={"aws:x": "y"})
    expect_error(kinesis_raw.untag_resource, "ValidationException",
                 "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: "
                 "Member must have length greater than or equal to 1", ResourceARN=stream_arn(name), TagKeys=[])
    expect_error(kinesis.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=_consumer_arn(name))


# ---- account settings, warm throughput, max record size ------------------------------------

def test_account_settings_and_warm_throughput(riffle_factory):
    client = riffle_factory().client()
    out = client.describe_account_settings()["MinimumThroughputBillingCommitment"]
    assert out == {"Status": "DISABLED"}
    name = unique_name("warm")
    client.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_status(client, name)
    expect_error(client.update_stream_warm_throughput, "InvalidArgumentException",
                 contains="MinimumThroughputBillingCommitment", StreamName=name, WarmThroughputMiBps=100)

    out = client.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    c = out["MinimumThroughputBillingCommitment"]
    assert c["Status"] == "ENABLED"
    assert (c["EarliestAllowedEndAt"] - c["StartedAt"]).total_seconds() == 24 * 3600

    out = client.update_stream_warm_throughput(StreamARN=stream_arn(name), WarmThroughputMiBps=100)
    assert out["StreamName"] == name and out["WarmThroughput"] == {"TargetMiBps": 100, "CurrentMiBps": 0}
    wait_status(client, name)
    summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["WarmThroughput"] == {"TargetMiBps": 100, "CurrentMiBps": 100}
    expect_error(client.update_stream_warm_throughput, "LimitExceededException",
                 StreamName=name, WarmThroughputMiBps=20_000)

    out = client.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    assert out["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    described = client.describe_account_settings()["MinimumThroughputBillingCommitment"]
    assert described["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"


def test_account_settings_errors(kinesis_raw):
    expect_error(kinesis_raw.update_account_settings, "ValidationException",
                 "1 validation error detected: Value 'MAYBE' at 'minimumThroughputBillingCommitment.status' "
                 "failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]",
                 MinimumThroughputBillingCommitment={"Status": "MAYBE"})


def test_update_max_record_size(kinesis, kinesis_raw, streams):
    name = streams(shards=1)
    big = b"x" * (1024 * 1024 + 1)
    expect_error(kinesis.put_record, "ValidationException", StreamName=name, PartitionKey="k", Data=big)
    kinesis.update_max_record_size(StreamARN=stream_arn(name), MaxRecordSizeInKiB=2048)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 2048
    wait_status(kinesis, name)
    kinesis.put_record(StreamName=name, PartitionKey="k", Data=big)
    expect_error(kinesis_raw.update_max_record_size, "ValidationException",
                 "1 validation error detected: Value '20480' at 'maxRecordSizeInKiB' failed to satisfy "
                 "constraint: Member must have value less than or equal to 10240",
                 StreamARN=stream_arn(name), MaxRecordSizeInKiB=20480)
    expect_error(kinesis.update_max_record_size, "ResourceNotFoundException", rnf_message("nope-size"),
                 StreamARN=stream_arn("nope-size"), MaxRecordSizeInKiB=2048)


# ---- enhanced fan-out: answered, not yet carried out ---------------------------------------

def test_enhanced_fan_out_answers_for_a_stream_without_consumers(kinesis, kinesis_raw, streams):
    name = streams(shards=1)
    assert kinesis.list_stream_consumers(StreamARN=stream_arn(name))["Consumers"] == []
    expect_error(kinesis.list_stream_consumers, "ResourceNotFoundException", rnf_message("nope-fan"),
                 StreamARN=stream_arn("nope-fan"))
    expect_error(kinesis.describe_stream_consumer, "ResourceNotFoundException",
                 f"Consumer c, account {ACCOUNT_ID} not found.", StreamARN=stream_arn(name), ConsumerName="c")
    expect_error(kinesis.deregister_stream_consumer, "ResourceNotFoundException",
                 f"Consumer {_consumer_arn(name)}, account {ACCOUNT_ID} not found.", ConsumerARN=_consumer_arn(name))
    expect_error(kinesis_raw.describe_stream_consumer, "ValidationException",
                 startswith="1 validation error detected: Value 'not-an-arn' at 'consumerARN'",
                 ConsumerARN="not-an-arn")
    expect_error(kinesis.subscribe_to_shard, "ResourceNotFoundException", ConsumerARN=_consumer_arn(name),
                 ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"})


# ---- durability of every setting ----------------------------------------------------------

@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_settings_survive_a_restart(riffle_factory, sig):
    srv = riffle_factory()
    client = srv.client()
    name = unique_name("keep")
    client.create_stream(StreamName=name, ShardCount=1)
    wait_status(client, name)
    client.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    client.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["IncomingBytes"])
    client.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    wait_status(client, name)
    put = client.put_record(StreamName=name, PartitionKey="k", Data=b"sealed-before-restart")
    client.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "ON_DEMAND"},
                              WarmThroughputMiBps=50)
    wait_status(client, name)
    client.put_resource_policy(ResourceARN=stream_arn(name), Policy=POLICY)
    client.tag_resource(ResourceARN=stream_arn(name), Tags={"kept": "yes"})

    srv.restart(getattr(signal, sig))
    client = srv.client()
    summary = wait_status(client, name)
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", "alias/aws/kinesis")
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingBytes"]}]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["WarmThroughput"]["TargetMiBps"] == 50
    assert client.get_resource_policy(ResourceARN=stream_arn(name))["Policy"] == POLICY
    assert client.list_tags_for_resource(ResourceARN=stream_arn(name))["Tags"] == [{"Key": "kept", "Value": "yes"}]
    assert client.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"
    records = read_shard(client, name, put["ShardId"], expect=1)
    assert records[0]["Data"] == b"sealed-before-restart" and records[0]["EncryptionType"] == "KMS"
