"""The DynamoDB endpoint on riffle's port, through boto3's dynamodb client: the KCL's lease-table
pattern (table with leaseKey HASH, conditional creates on attribute_not_exists, compare-and-set
on leaseCounter in expression and legacy forms, paginated and parallel scans, conditional
deletes), error shapes as DynamoDB sends them, and leases surviving a SIGKILL."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
import zlib

import boto3
import pytest
from botocore.config import Config

from kinesis_helpers import ACCESS_KEY, REGION, SECRET_KEY, expect_error, unique_name


def dynamodb_client(endpoint: str):
    cfg = Config(region_name=REGION, retries={"mode": "standard", "max_attempts": 1}, connect_timeout=5,
                 read_timeout=30)
    return boto3.session.Session().client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                          config=cfg)


@pytest.fixture(scope="module")
def ddb(endpoint):
    return dynamodb_client(endpoint)


def lease_table(ddb, name: str | None = None) -> str:
    name = name or unique_name("leases")
    out = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                           AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}])
    assert out["TableDescription"]["TableStatus"] == "CREATING"
    # The KCL (and boto3's waiter) poll DescribeTable until ACTIVE: the first poll sees it.
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    return name


def create_lease(ddb, table: str, key: str, **extra):
    item = {"leaseKey": {"S": key}, "leaseCounter": {"N": "0"}, "checkpoint": {"S": "TRIM_HORIZON"},
            "checkpointSubSequenceNumber": {"N": "0"}, "ownerSwitchesSinceCheckpoint": {"N": "0"}, **extra}
    ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(leaseKey)")


def raw(endpoint: str, op: str, body: dict) -> tuple[int, dict, bytes]:
    """POSTs a DynamoDB request without an SDK: status, headers (lower-cased names), body."""
    req = urllib.request.Request(endpoint, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{op}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_lease_lifecycle(ddb):
    table = lease_table(ddb)
    shards = [f"shardId-{i:012d}" for i in range(57)]
    for s in shards:
        create_lease(ddb, table, s, parentShardId={"SS": ["shardId-000000000000"]})
    expect_error(create_lease, "ConditionalCheckFailedException", "The conditional request failed",
                 ddb=ddb, table=table, key=shards[0])

    # Take: leaseOwner and counter change only while the counter is what the taker saw.
    def take(key, owner, seen):
        return ddb.update_item(
            TableName=table, Key={"leaseKey": {"S": key}},
            UpdateExpression="SET leaseOwner = :o, leaseCounter = leaseCounter + :one "
                             "ADD ownerSwitchesSinceCheckpoint :one REMOVE checkpointOwner",
            ConditionExpression="leaseCounter = :seen",
            ExpressionAttributeValues={":o": {"S": owner}, ":one": {"N": "1"}, ":seen": {"N": str(seen)}},
            ReturnValues="ALL_NEW")["Attributes"]

    assert take(shards[1], "worker-a", 0)["leaseCounter"] == {"N": "1"}
    expect_error(take, "ConditionalCheckFailedException", key=shards[1], owner="worker-b", seen=0)
    after = take(shards[1], "worker-b", 1)
    assert after["leaseOwner"] == {"S": "worker-b"} and after["ownerSwitchesSinceCheckpoint"] == {"N": "2"}

    # Renew the KCL 2.x way: Expected + AttributeUpdates.
    def renew(seen):
        return ddb.update_item(TableName=table, Key={"leaseKey": {"S": shards[1]}},
                               Expected={"leaseCounter": {"Value": {"N": str(seen)}}},
                               AttributeUpdates={"leaseCounter": {"Value": {"N": "1"}, "Action": "ADD"}},
                               ReturnValues="UPDATED_NEW")["Attributes"]

    assert renew(2) == {"leaseCounter": {"N": "3"}}
    expect_error(renew, "ConditionalCheckFailedException", seen=2)

    # Checkpoint with a placeholder for the name and a condition on owner and counter.
    ddb.update_item(TableName=table, Key={"leaseKey": {"S": shards[1]}},
                    UpdateExpression="SET #c = :c, ownerSwitchesSinceCheckpoint = :z, leaseCounter = leaseCounter + :one",
                    ConditionExpression="leaseCounter = :seen AND leaseOwner = :me",
                    ExpressionAttributeNames={"#c": "checkpoint"},
                    ExpressionAttributeValues={":c": {"S": "SHARD_END"}, ":z": {"N": "0"}, ":one": {"N": "1"},
                                               ":seen": {"N": "3"}, ":me": {"S": "worker-b"}})
    got = ddb.get_item(TableName=table, Key={"leaseKey": {"S": shards[1]}}, ConsistentRead=True,
                       ProjectionExpression="#c, leaseCounter, parentShardId",
                       ExpressionAttributeNames={"#c": "checkpoint"})["Item"]
    assert got == {"checkpoint": {"S": "SHARD_END"}, "leaseCounter": {"N": "4"},
                   "parentShardId": {"SS": ["shardId-000000000000"]}}

    # listLeases: a paginated scan sees each lease once.
    pages = list(ddb.get_paginator("scan").paginate(TableName=table, PaginationConfig={"PageSize": 10}))
    assert len(pages) == 6
    keys = [i["leaseKey"]["S"] for p in pages for i in p["Items"]]
    assert sorted(keys) == shards

    # KCL 3.x lists leases with a parallel scan: the segments partition the table.
    segments = [ddb.scan(TableName=table, Segment=s, TotalSegments=4)["Items"] for s in range(4)]
    assert sorted(i["leaseKey"]["S"] for seg in segments for i in seg) == shards

    # Cleanup deletes a finished lease only if nobody renewed it meanwhile.
    expect_error(ddb.delete_item, "ConditionalCheckFailedException", TableName=table,
                 Key={"leaseKey": {"S": shards[1]}}, ConditionExpression="leaseCounter = :c",
                 ExpressionAttributeValues={":c": {"N": "3"}})
    ddb.delete_item(TableName=table, Key={"leaseKey": {"S": shards[1]}}, ConditionExpression="leaseCounter = :c",
                    ExpressionAttributeValues={":c": {"N": "4"}})
    assert "Item" not in ddb.get_item(TableName=table, Key={"leaseKey": {"S": shards[1]}})
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 56

    assert table in ddb.list_tables()["TableNames"]
    ddb.delete_table(TableName=table)
    expect_error(ddb.describe_table, "ResourceNotFoundException",
                 f"Requested resource not found: Table: {table} not found", TableName=table)


def test_calls_the_kcl_makes_around_the_table(ddb):
    table = lease_table(ddb)
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    assert arn == f"arn:aws:dynamodb:{REGION}:000000000000:table/{table}"
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    ddb.update_continuous_backups(TableName=table,
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "app", "Value": "kcl"}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "app", "Value": "kcl"}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["app"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    ddb.update_table(TableName=table, DeletionProtectionEnabled=True)
    expect_error(ddb.delete_table, "ValidationException", TableName=table,
                 startswith="Resource cannot be deleted as it is currently protected against deletion")
    ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=table)
    expect_error(ddb.describe_continuous_backups, "TableNotFoundException", f"Table not found: {table}",
                 TableName=table)


def test_error_shapes(ddb, endpoint):
    table = lease_table(ddb)
    expect_error(lease_table, "ResourceInUseException", f"Table already exists: {table}", ddb=ddb, name=table)
    expect_error(ddb.get_item, "ResourceNotFoundException", "Requested resource not found",
                 TableName="no-such-table", Key={"leaseKey": {"S": "x"}})
    expect_error(ddb.put_item, "ValidationException",
                 "One or more parameter values were invalid: Missing the key leaseKey in the item",
                 TableName=table, Item={"leaseOwner": {"S": "w"}})
    expect_error(ddb.put_item, "ValidationException",
                 "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
                 "an empty string value. Key: leaseKey", TableName=table, Item={"leaseKey": {"S": ""}})
    expect_error(ddb.update_item, "ValidationException",
                 "Invalid UpdateExpression: Syntax error; token: \"=\", near: \"SET = :v\"",
                 TableName=table, Key={"leaseKey": {"S": "k"}}, UpdateExpression="SET = :v",
                 ExpressionAttributeValues={":v": {"N": "1"}})
    expect_error(ddb.update_item, "ValidationException",
                 "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
                 "attribute value: :missing",
                 TableName=table, Key={"leaseKey": {"S": "k"}}, UpdateExpression="SET a = :missing",
                 ExpressionAttributeValues={":v": {"N": "1"}})
    expect_error(ddb.update_item, "ValidationException",
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, "
                 "operand type: STRING",
                 TableName=table, Key={"leaseKey": {"S": "k"}}, UpdateExpression="ADD leaseCounter :v",
                 ExpressionAttributeValues={":v": {"S": "x"}})
    expect_error(ddb.scan, "ValidationException",
                 "The TotalSegments parameter is required but was not present in the request when Segment "
                 "parameter is present", TableName=table, Segment=1)
    expect_error(ddb.query, "ValidationException",
                 "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
                 TableName=table)
    expect_error(ddb.put_item, "ValidationException", "ReturnValues can only be ALL_OLD or NONE",
                 TableName=table, Item={"leaseKey": {"S": "k"}}, ReturnValues="ALL_NEW")

    # On the wire: HTTP 400, the namespaced __type, JSON 1.0, and a CRC32 of the body (which
    # botocore checks on every answer above).
    status, headers, data = raw(endpoint, "PutItem", {"TableName": table, "Item": {"leaseKey": {"S": "k"}},
                                                      "ConditionExpression": "attribute_exists(leaseKey)"})
    assert status == 400
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)
    assert json.loads(data) == {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                    "message": "The conditional request failed"}
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["x-amzn-errortype"] == "ConditionalCheckFailedException"
    status, _, data = raw(endpoint, "GetItem", {"TableName": table})
    body = json.loads(data)
    assert (status, body["__type"]) == (400, "com.amazon.coral.validate#ValidationException")
    assert body["message"] == ("1 validation error detected: Value null at 'key' failed to satisfy constraint: "
                               "Member must not be null")
    status, _, data = raw(endpoint, "DescribeTable", {"TableName": "missing"})
    assert json.loads(data)["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    status, _, data = raw(endpoint, "NoSuchOperation", {})
    assert (status, json.loads(data)) == (400, {"__type": "com.amazon.coral.service#UnknownOperationException"})


def test_return_values_on_condition_failure(ddb):
    table = lease_table(ddb)
    create_lease(ddb, table, "k", leaseOwner={"S": "w1"})
    e = expect_error(ddb.put_item, "ConditionalCheckFailedException", TableName=table,
                     Item={"leaseKey": {"S": "k"}}, ConditionExpression="attribute_not_exists(leaseKey)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.response["Item"]["leaseOwner"] == {"S": "w1"}


@pytest.mark.durability
def test_leases_survive_sigkill(riffle_factory):
    srv = riffle_factory()
    ddb = dynamodb_client(srv.endpoint)
    table = lease_table(ddb)
    for i in range(20):
        create_lease(ddb, table, f"shard-{i}")
    for seen in range(5):
        ddb.update_item(TableName=table, Key={"leaseKey": {"S": "shard-3"}},
                        UpdateExpression="SET leaseCounter = leaseCounter + :one",
                        ConditionExpression="leaseCounter = :seen",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":seen": {"N": str(seen)}})
    srv.restart(signal.SIGKILL)
    ddb = dynamodb_client(srv.endpoint)
    assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 20
    item = ddb.get_item(TableName=table, Key={"leaseKey": {"S": "shard-3"}}, ConsistentRead=True)["Item"]
    assert item["leaseCounter"] == {"N": "5"}


def test_kcl_rs_keeps_its_leases_in_riffle(endpoint, kinesis, streams, ddb):
    """kcl-rs (PyPI, a Rust port of the KCL) with one endpoint for everything: its lease table
    (CreateTable, DescribeTable, conditional Put/Update/Delete, Scan, Query, UpdateTable,
    UpdateContinuousBackups) lives in riffle; only its CloudWatch metrics go nowhere."""
    import threading
    import time

    import kcl_rs

    name = streams(shards=2)
    app = unique_name("kcl-leases")
    for i in range(0, 200, 100):
        out = kinesis.put_records(StreamName=name, Records=[
            {"PartitionKey": f"k{v}", "Data": str(v).encode()} for v in range(i, i + 100)])
        assert out["FailedRecordCount"] == 0
    seen: set[int] = set()
    lock = threading.Lock()

    class Processor(kcl_rs.RecordProcessorBase):
        def initialize(self, inp):
            pass

        def process_records(self, inp):
            with lock:
                seen.update(int(r.binary_data.decode()) for r in inp.records)
            inp.checkpointer.checkpoint()

        def lease_lost(self, inp):
            pass

        def shard_ended(self, inp):
            inp.checkpointer.checkpoint()

        def shutdown_requested(self, inp):
            inp.checkpointer.checkpoint()

    scheduler = kcl_rs.Scheduler(
        stream_name=name, application_name=app, record_processor_factory=Processor, region=REGION,
        endpoint_url=endpoint, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY,
        initial_position="TRIM_HORIZON", retrieval_mode="POLLING", max_records=1000,
        idle_time_between_reads_millis=200, shard_sync_interval_millis=1000)
    scheduler.start()
    try:
        deadline = time.time() + 120
        while True:
            with lock:
                if len(seen) == 200:
                    break
            assert time.time() < deadline, f"kcl-rs processed {len(seen)} of 200 records"
            time.sleep(0.2)
    finally:
        scheduler.shutdown()

    leases = {i["leaseKey"]["S"]: i for i in ddb.scan(TableName=app, ConsistentRead=True)["Items"]}
    shard_ids = {s["ShardId"] for s in kinesis.list_shards(StreamName=name)["Shards"]}
    assert set(leases) == shard_ids
    for lease in leases.values():
        assert int(lease["leaseCounter"]["N"]) >= 1
        assert lease["checkpoint"]["S"].isdigit(), lease


def test_batch_write_and_get(ddb):
    table = lease_table(ddb)
    puts = [{"PutRequest": {"Item": {"leaseKey": {"S": f"s{i}"}, "leaseCounter": {"N": str(i)}}}} for i in range(25)]
    out = ddb.batch_write_item(RequestItems={table: puts}, ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {}
    assert out["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 25.0}]
    ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": {"leaseKey": {"S": "s0"}}}}]})
    got = ddb.batch_get_item(RequestItems={table: {
        "Keys": [{"leaseKey": {"S": "s0"}}, {"leaseKey": {"S": "s7"}}], "ProjectionExpression": "#c",
        "ExpressionAttributeNames": {"#c": "leaseCounter"}, "ConsistentRead": True}})
    assert got["Responses"] == {table: [{"leaseCounter": {"N": "7"}}]}
    assert got["UnprocessedKeys"] == {}
    dup = [{"PutRequest": {"Item": {"leaseKey": {"S": "x"}}}}, {"DeleteRequest": {"Key": {"leaseKey": {"S": "x"}}}}]
    expect_error(ddb.batch_write_item, "ValidationException", "Provided list of item keys contains duplicates",
                 RequestItems={table: dup})
    expect_error(ddb.batch_get_item, "ResourceNotFoundException", "Requested resource not found",
                 RequestItems={"no-such-table": {"Keys": [{"leaseKey": {"S": "x"}}]}})
    keys = [{"leaseKey": {"S": f"k{i}"}} for i in range(60)]
    other = lease_table(ddb)
    expect_error(ddb.batch_get_item, "ValidationException", "Too many items requested for the BatchGetItem call",
                 RequestItems={table: {"Keys": keys}, other: {"Keys": keys}})


def test_transact_write_cancellation_and_idempotency(ddb, endpoint):
    table = lease_table(ddb)
    create_lease(ddb, table, "a", leaseOwner={"S": "w1"})
    items = [
        {"Put": {"TableName": table, "Item": {"leaseKey": {"S": "b"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"leaseKey": {"S": "a"}},
                            "ConditionExpression": "leaseOwner = :me", "ExpressionAttributeValues": {":me": {"S": "w2"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ]
    status, _, data = raw(endpoint, "TransactWriteItems", {"TransactItems": items})
    body = json.loads(data)
    assert (status, body["__type"]) == (400, "com.amazonaws.dynamodb.v20120810#TransactionCanceledException")
    assert body["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                               "[None, ConditionalCheckFailed]")
    assert body["CancellationReasons"][0] == {"Code": "None"}
    failed = body["CancellationReasons"][1]
    assert (failed["Code"], failed["Message"]) == ("ConditionalCheckFailed", "The conditional request failed")
    assert failed["Item"]["leaseOwner"] == {"S": "w1"}
    expect_error(ddb.transact_write_items, "TransactionCanceledException", TransactItems=items)
    assert "Item" not in ddb.get_item(TableName=table, Key={"leaseKey": {"S": "b"}})

    bump = [{"Update": {"TableName": table, "Key": {"leaseKey": {"S": "a"}},
                        "UpdateExpression": "SET leaseCounter = leaseCounter + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=bump, ClientRequestToken="py-token")
    ddb.transact_write_items(TransactItems=bump, ClientRequestToken="py-token")
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"leaseKey": {"S": "a"}}, "ProjectionExpression": "leaseCounter"}},
        {"Get": {"TableName": table, "Key": {"leaseKey": {"S": "missing"}}}}])
    assert got["Responses"] == [{"Item": {"leaseCounter": {"N": "1"}}}, {}]
    expect_error(ddb.transact_write_items, "IdempotentParameterMismatchException", TransactItems=bump[:1] + [
        {"ConditionCheck": {"TableName": table, "Key": {"leaseKey": {"S": "b"}},
                            "ConditionExpression": "attribute_not_exists(leaseKey)"}}], ClientRequestToken="py-token")
    expect_error(ddb.transact_write_items, "ValidationException",
                 "Transaction request cannot include multiple operations on one item",
                 TransactItems=bump + [{"Delete": {"TableName": table, "Key": {"leaseKey": {"S": "a"}}}}])
