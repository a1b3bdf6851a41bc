"""Writes cases.json: the hand-written conformance expectations (see test_conformance.py). Run after editing."""
import json
from pathlib import Path
NP = "[a-zA-Z0-9_.-]+"
ARNP = "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"
RARNP = "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+"
CARNP = "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+"
SEQP = "0|([1-9]\\d{0,128})"
EHKP = "0|([1-9]\\d{0,38})"
ITER = "[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]"
A129 = "a" * 129
cases = []

def v(value, path, rule):
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: Member must {rule}"

def vmsg(*items):
    n = len(items)
    head = "1 validation error detected: " if n == 1 else f"{n} validation errors detected: "
    return head + "; ".join(items[:10])

def add(name, target, body, status, typ, message=None, source="model", setup="none", regex=None, **extra):
    exp = {"status": status, "type": typ}
    if regex is not None:
        exp["message_regex"] = regex
    else:
        exp["message"] = message
    c = {"name": name, "target": target, "body": body, "setup": setup, "expect": exp, "source": source}
    c.update(extra)
    cases.append(c)

def val(name, target, body, *items, source="model", setup="none"):
    add(name, target, body, 400, "ValidationException", vmsg(*items), source=source, setup=setup)

def ser(name, target, body, message, source="kinesalite tests"):
    add(name, target, body, 400, "SerializationException", message, source=source)

def ia(name, target, body, message, source="spec", setup="stream"):
    add(name, target, body, 400, "InvalidArgumentException", message, source=source, setup=setup)

RNF = "Stream {missing} under account {account} not found."
def rnf(name, target, body, message=RNF, source="spec", setup="none"):
    add(name, target, body, 400, "ResourceNotFoundException", message, source=source, setup=setup)

NOTNULL = "not be null"
PAT = f"satisfy regular expression pattern: {NP}"
GE1 = "have length greater than or equal to 1"
LE128 = "have length less than or equal to 128"
NEITHER = "Neither streamArn or streamName was provided."
STR2INT = "class java.lang.String can not be converted to an Integer"
BOOL2INT = "class java.lang.Boolean can not be converted to an Integer"
NUM2STR = "class java.math.BigDecimal can not be converted to an String"
BOOL2STR = "class java.lang.Boolean can not be converted to an String"
LIST = "Start of list found where not expected"
MAP = "Start of structure or map found where not expected."

# ---------------- CreateStream
T = "CreateStream"
val("create-no-name", T, {}, v(None, "streamName", NOTNULL))
val("create-empty-name-zero-shards", T, {"StreamName": "", "ShardCount": 0},
    v(0, "shardCount", "have value greater than or equal to 1"), v("", "streamName", PAT), v("", "streamName", GE1),
    source="kinesalite tests")
val("create-long-name", T, {"StreamName": A129, "ShardCount": 1}, v(A129, "streamName", LE128), source="kinesalite tests")
val("create-long-bad-name", T, {"StreamName": "a b" + "c" * 127, "ShardCount": 1},
    v("a b" + "c" * 127, "streamName", PAT), v("a b" + "c" * 127, "streamName", LE128), source="kinesalite tests (order)")
val("create-bad-name", T, {"StreamName": "bad name", "ShardCount": 1}, v("bad name", "streamName", PAT))
val("create-negative-shards", T, {"StreamName": "s1", "ShardCount": -1}, v(-1, "shardCount", "have value greater than or equal to 1"))
val("create-mode-null", T, {"StreamName": "s1", "StreamModeDetails": {}}, v(None, "streamModeDetails.streamMode", NOTNULL))
val("create-mode-enum", T, {"StreamName": "s1", "StreamModeDetails": {"StreamMode": "X"}},
    v("X", "streamModeDetails.streamMode", "satisfy enum value set: [PROVISIONED, ON_DEMAND]"))
val("create-record-size-low", T, {"StreamName": "s1", "ShardCount": 1, "MaxRecordSizeInKiB": 1023},
    v(1023, "maxRecordSizeInKiB", "have value greater than or equal to 1024"))
val("create-record-size-high", T, {"StreamName": "s1", "ShardCount": 1, "MaxRecordSizeInKiB": 10241},
    v(10241, "maxRecordSizeInKiB", "have value less than or equal to 10240"))
val("create-warm-negative", T, {"StreamName": "s1", "ShardCount": 1, "WarmThroughputMiBps": -1},
    v(-1, "warmThroughputMiBps", "have value greater than or equal to 0"))
val("create-empty-tags", T, {"StreamName": "s1", "ShardCount": 1, "Tags": {}}, v("{}", "tags", GE1))
val("create-many-violations-order", T,
    {"StreamName": "", "ShardCount": 0, "StreamModeDetails": {"StreamMode": "X"}, "MaxRecordSizeInKiB": 1},
    v(0, "shardCount", "have value greater than or equal to 1"),
    v("X", "streamModeDetails.streamMode", "satisfy enum value set: [PROVISIONED, ON_DEMAND]"),
    v(1, "maxRecordSizeInKiB", "have value greater than or equal to 1024"),
    v("", "streamName", PAT), v("", "streamName", GE1), source="model order, streamName last (kinesalite tests)")
ser("create-shardcount-string", T, {"StreamName": "s1", "ShardCount": "2"}, STR2INT)
ser("create-shardcount-bool", T, {"StreamName": "s1", "ShardCount": True}, BOOL2INT)
ser("create-shardcount-list", T, {"StreamName": "s1", "ShardCount": [1]}, LIST)
ser("create-shardcount-object", T, {"StreamName": "s1", "ShardCount": {}}, MAP)
ser("create-name-number", T, {"StreamName": 5, "ShardCount": 1}, NUM2STR)
ser("create-name-bool", T, {"StreamName": True, "ShardCount": 1}, BOOL2STR)
ser("create-name-list", T, {"StreamName": ["a"], "ShardCount": 1}, LIST)
ser("create-name-object", T, {"StreamName": {"a": 1}, "ShardCount": 1}, MAP)
ser("create-mode-string", T, {"StreamName": "s1", "StreamModeDetails": "ON_DEMAND"}, "Expected null")
ser("create-mode-list", T, {"StreamName": "s1", "StreamModeDetails": []}, LIST)
ser("create-tags-list", T, {"StreamName": "s1", "ShardCount": 1, "Tags": []}, LIST)
ser("create-tags-string", T, {"StreamName": "s1", "ShardCount": 1, "Tags": "a=b"}, "Expected map or null")
ser("create-tag-value-number", T, {"StreamName": "s1", "ShardCount": 1, "Tags": {"a": 5}}, NUM2STR)
ia("create-provisioned-without-count", T, {"StreamName": "riffle-conf-noshards"},
   "ShardCount is required for streams in PROVISIONED mode.", source="riffle (no AWS source found)", setup="none")
add("create-duplicate", T, {"StreamName": "{stream}", "ShardCount": 1}, 400, "ResourceInUseException",
    "Stream {stream} under account {account} already exists.", source="spec", setup="stream")
add("create-over-shard-limit", T, {"StreamName": "riffle-conf-huge", "ShardCount": 100000}, 400, "LimitExceededException",
    regex=r"This request would exceed the shard limit for the account {account} in {region}\. Current shard count for the "
          r"account: \d+\. Limit: \d+\. Number of additional shards that would have resulted from this request: 100000\. .*",
    source="spec, kinesalite tests")

# ---------------- DeleteStream
T = "DeleteStream"
ia("delete-neither", T, {}, NEITHER, source="kinesis-mock", setup="none")
rnf("delete-missing", T, {"StreamName": "{missing}"})
val("delete-bad-name", T, {"StreamName": "a/b"}, v("a/b", "streamName", PAT))
val("delete-empty-name", T, {"StreamName": ""}, v("", "streamName", PAT), v("", "streamName", GE1), source="kinesalite tests")
val("delete-bad-arn", T, {"StreamARN": "not-an-arn"}, v("not-an-arn", "streamARN", f"satisfy regular expression pattern: {ARNP}"))
val("delete-empty-arn", T, {"StreamARN": ""}, v("", "streamARN", f"satisfy regular expression pattern: {ARNP}"),
    v("", "streamARN", GE1), source="model (pattern-then-length order as kinesalite tests)")
val("delete-bad-name-and-arn", T, {"StreamName": "a b", "StreamARN": "x"}, v("a b", "streamName", PAT),
    v("x", "streamARN", f"satisfy regular expression pattern: {ARNP}"), source="model; order riffle (no AWS source found)")
ser("delete-enforce-string", T, {"StreamName": "s1", "EnforceConsumerDeletion": "maybe"},
    "'MAYBE' can not be converted to an Boolean")
rnf("delete-enforce-yes-accepted", T, {"StreamName": "{missing}", "EnforceConsumerDeletion": "yes"},
    source="kinesalite (AWS converts 'true'/'false'/'1'/'0'/'yes'/'no')")
ser("delete-enforce-number", T, {"StreamName": "s1", "EnforceConsumerDeletion": 1},
    "class java.math.BigDecimal can not be converted to an Boolean")
ser("delete-enforce-list", T, {"StreamName": "s1", "EnforceConsumerDeletion": []}, LIST)
rnf("delete-arn-other-account", T, {"StreamARN": "arn:aws:kinesis:{region}:123456789012:stream/{missing}"},
    source="riffle (account shown is the server's; no AWS source found)")

# ---------------- DescribeStream
T = "DescribeStream"
ia("describe-neither", T, {}, NEITHER, source="kinesis-mock", setup="none")
rnf("describe-missing", T, {"StreamName": "{missing}"})
val("describe-limit-zero", T, {"StreamName": "s1", "Limit": 0}, v(0, "limit", "have value greater than or equal to 1"))
val("describe-limit-high", T, {"StreamName": "s1", "Limit": 10001}, v(10001, "limit", "have value less than or equal to 10000"))
val("describe-all-empty", T, {"StreamName": "", "Limit": 0, "ExclusiveStartShardId": ""},
    v(0, "limit", "have value greater than or equal to 1"), v("", "exclusiveStartShardId", PAT),
    v("", "exclusiveStartShardId", GE1), v("", "streamName", PAT), v("", "streamName", GE1), source="kinesalite tests")
val("describe-all-long", T, {"StreamName": A129, "Limit": 100000, "ExclusiveStartShardId": A129},
    v(100000, "limit", "have value less than or equal to 10000"), v(A129, "exclusiveStartShardId", LE128),
    v(A129, "streamName", LE128), source="kinesalite tests")
ser("describe-limit-string", T, {"StreamName": "s1", "Limit": "10"}, STR2INT)
ser("describe-limit-bool", T, {"StreamName": "s1", "Limit": False}, BOOL2INT)
ser("describe-esi-number", T, {"StreamName": "s1", "ExclusiveStartShardId": 0}, NUM2STR)

# ---------------- DescribeStreamSummary
T = "DescribeStreamSummary"
ia("summary-neither", T, {}, NEITHER, source="kinesis-mock", setup="none")
rnf("summary-missing", T, {"StreamName": "{missing}"})
rnf("summary-missing-by-arn", T, {"StreamARN": "arn:aws:kinesis:{region}:{account}:stream/{missing}"})
rnf("summary-arn-other-region", T, {"StreamARN": "arn:aws:kinesis:eu-west-1:{account}:stream/{missing}"},
    source="riffle (no AWS source found)")
val("summary-bad-name", T, {"StreamName": "star*"}, v("star*", "streamName", PAT))
val("summary-long-arn", T, {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/" + "a" * 2010},
    v("arn:aws:kinesis:us-east-1:000000000000:stream/" + "a" * 2010, "streamARN", "have length less than or equal to 2048"))
ia("summary-name-arn-mismatch", T, {"StreamName": "{stream}", "StreamARN": "arn:aws:kinesis:{region}:{account}:stream/other"},
   "StreamName {stream} and StreamARN arn:aws:kinesis:{region}:{account}:stream/other do not refer to the same stream.",
   source="riffle (no AWS source found)")

# ---------------- ListStreams
T = "ListStreams"
val("liststreams-limit-zero", T, {"Limit": 0}, v(0, "limit", "have value greater than or equal to 1"))
val("liststreams-limit-high", T, {"Limit": 10001}, v(10001, "limit", "have value less than or equal to 10000"))
val("liststreams-empty-start", T, {"ExclusiveStartStreamName": ""}, v("", "exclusiveStartStreamName", PAT),
    v("", "exclusiveStartStreamName", GE1), source="model (order as kinesalite tests)")
val("liststreams-empty-token", T, {"NextToken": ""}, v("", "nextToken", GE1))
val("liststreams-all", T, {"Limit": 0, "ExclusiveStartStreamName": "a b", "NextToken": ""},
    v(0, "limit", "have value greater than or equal to 1"), v("a b", "exclusiveStartStreamName", PAT), v("", "nextToken", GE1))
ia("liststreams-bad-token", T, {"NextToken": "garbage"}, "Invalid NextToken: garbage", source="riffle (no AWS source found)",
   setup="none")
ia("liststreams-token-and-start", T, {"NextToken": "x", "ExclusiveStartStreamName": "a"},
   "NextToken and ExclusiveStartStreamName cannot be provided together.", source="riffle (no AWS source found)", setup="none")
ser("liststreams-limit-string", T, {"Limit": "5"}, STR2INT)
ser("liststreams-top-level-list", T, [], LIST)
ser("liststreams-top-level-string", T, "\"x\"", "Expected null", source="kinesalite (structure rule)")

# ---------------- ListShards
T = "ListShards"
ia("listshards-neither", T, {}, "Either NextToken or StreamName should be provided.", setup="none")
ia("listshards-token-and-name", T, {"StreamName": "{stream}", "NextToken": "abc"},
   "NextToken and StreamName cannot be provided together.")
rnf("listshards-missing", T, {"StreamName": "{missing}"}, source="kinesalite tests")
val("listshards-max-zero", T, {"StreamName": "s1", "MaxResults": 0}, v(0, "maxResults", "have value greater than or equal to 1"))
val("listshards-max-high", T, {"StreamName": "s1", "MaxResults": 10001}, v(10001, "maxResults", "have value less than or equal to 10000"))
val("listshards-empty-token", T, {"NextToken": ""}, v("", "nextToken", GE1))
val("listshards-all-empty", T, {"StreamName": "", "MaxResults": 0, "ExclusiveStartShardId": ""},
    v("", "exclusiveStartShardId", PAT), v("", "exclusiveStartShardId", GE1),
    v(0, "maxResults", "have value greater than or equal to 1"), v("", "streamName", PAT), v("", "streamName", GE1),
    source="kinesalite tests (as a set); model order")
val("listshards-filter-type-null", T, {"StreamName": "s1", "ShardFilter": {}}, v(None, "shardFilter.type", NOTNULL))
val("listshards-filter-type-enum", T, {"StreamName": "s1", "ShardFilter": {"Type": "NEWEST"}},
    v("NEWEST", "shardFilter.type", "satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]"))
val("listshards-filter-shard-empty", T, {"StreamName": "s1", "ShardFilter": {"Type": "AFTER_SHARD_ID", "ShardId": ""}},
    v("", "shardFilter.shardId", PAT), v("", "shardFilter.shardId", GE1))
ia("listshards-after-shard-without-id", T, {"StreamName": "{stream}", "ShardFilter": {"Type": "AFTER_SHARD_ID"}},
   "ShardId must be provided for ShardFilter type AFTER_SHARD_ID.", source="riffle (no AWS source found)")
ia("listshards-at-timestamp-without-ts", T, {"StreamName": "{stream}", "ShardFilter": {"Type": "AT_TIMESTAMP"}},
   "Timestamp must be provided for ShardFilter type AT_TIMESTAMP.", source="riffle (no AWS source found)")
ia("listshards-bad-token", T, {"NextToken": "garbage"}, "Invalid NextToken: garbage", source="riffle (no AWS source found)",
   setup="none")
ser("listshards-ts-string", T, {"StreamName": "s1", "StreamCreationTimestamp": "2016-04-04T19:58:46Z"},
    "class java.lang.String can not be converted to a Timestamp", source="riffle (no AWS source found; spec: string timestamps are SerializationException)")
ser("listshards-filter-string", T, {"StreamName": "s1", "ShardFilter": "AT_LATEST"}, "Expected null")
ser("listshards-max-string", T, {"StreamName": "s1", "MaxResults": "5"}, STR2INT)

# ---------------- GetShardIterator
T = "GetShardIterator"
val("gsi-empty", T, {}, v(None, "shardId", NOTNULL), v(None, "shardIteratorType", NOTNULL), source="kinesalite tests")
val("gsi-all-empty", T, {"StreamName": "", "ShardIteratorType": "", "ShardId": "", "StartingSequenceNumber": ""},
    v("", "shardId", PAT), v("", "shardId", GE1), v("", "shardIteratorType", f"satisfy enum value set: {ITER}"),
    v("", "startingSequenceNumber", f"satisfy regular expression pattern: {SEQP}"), v("", "streamName", PAT),
    v("", "streamName", GE1), source="kinesalite tests (enum list from the current model)")
val("gsi-long", T, {"StreamName": A129, "ShardId": A129, "ShardIteratorType": "LATEST"},
    v(A129, "shardId", LE128), v(A129, "streamName", LE128), source="kinesalite tests")
val("gsi-bad-type", T, {"StreamName": "s1", "ShardId": "shardId-0", "ShardIteratorType": "NOPE"},
    v("NOPE", "shardIteratorType", f"satisfy enum value set: {ITER}"))
val("gsi-bad-seq", T, {"StreamName": "s1", "ShardId": "shardId-0", "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                       "StartingSequenceNumber": "01"}, v("01", "startingSequenceNumber", f"satisfy regular expression pattern: {SEQP}"))
GSI = ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON "
       "or LATEST and no StartingSequenceNumber. Request specified {t} and {a} StartingSequenceNumber.")
for t, a, seq in [("AT_SEQUENCE_NUMBER", "no", None), ("AFTER_SEQUENCE_NUMBER", "no", None),
                  ("LATEST", "also a", "5"), ("TRIM_HORIZON", "also a", "5")]:
    b = {"StreamName": "{stream}", "ShardId": "shardId-000000000000", "ShardIteratorType": t}
    if seq:
        b["StartingSequenceNumber"] = seq
    ia(f"gsi-{t.lower()}-{'with' if seq else 'without'}-seq", T, b, GSI.format(t=t, a=a), source="kinesalite tests")
ia("gsi-at-timestamp-without-ts", T, {"StreamName": "{stream}", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP"},
   "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
add("gsi-at-timestamp-future", T, {"StreamName": "{stream}", "ShardId": "shardId-000000000000",
                                   "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 4102444800},
    400, "InvalidArgumentException", setup="stream", source="spec (tail riffle)",
    regex=r"The timestampInMillis parameter cannot be greater than the currentTimestampInMillis\. "
          r"timestampInMillis: 4102444800000, currentTimestampInMillis: \d+")
rnf("gsi-unknown-shard", T, {"StreamName": "{stream}", "ShardId": "shardId-000000000009", "ShardIteratorType": "LATEST"},
    "Shard shardId-000000000009 in stream {stream} under account {account} does not exist", source="kinesalite tests",
    setup="stream")
ia("gsi-foreign-seq", T, {"StreamName": "{stream}", "ShardId": "shardId-000000000000",
                          "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": "5"},
   "StartingSequenceNumber 5 used in GetShardIterator on shard shardId-000000000000 in stream {stream} under account "
   "{account} is invalid because it did not come from this stream.", source="kinesalite tests (number shown as sent)")
ser("gsi-ts-string", T, {"StreamName": "s1", "ShardId": "shardId-0", "ShardIteratorType": "AT_TIMESTAMP",
                         "Timestamp": "2016-04-04T19:58:46.480-00:00"},
    "class java.lang.String can not be converted to a Timestamp", source="riffle (no AWS source found; spec: SerializationException)")
ser("gsi-ts-bool", T, {"StreamName": "s1", "ShardId": "shardId-0", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": True},
    "class java.lang.Boolean can not be converted to a Timestamp", source="riffle (no AWS source found)")
ser("gsi-seq-number", T, {"StreamName": "s1", "ShardId": "shardId-0", "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                          "StartingSequenceNumber": 5}, NUM2STR)
ser("gsi-shard-list", T, {"StreamName": "s1", "ShardId": ["shardId-0"], "ShardIteratorType": "LATEST"}, LIST)

# ---------------- GetRecords
T = "GetRecords"
val("getrecords-empty", T, {}, v(None, "shardIterator", NOTNULL))
val("getrecords-empty-iterator", T, {"ShardIterator": ""}, v("", "shardIterator", GE1))
val("getrecords-long-iterator", T, {"ShardIterator": "a" * 513}, v("a" * 513, "shardIterator", "have length less than or equal to 512"))
val("getrecords-limit-zero", T, {"ShardIterator": "x", "Limit": 0}, v(0, "limit", "have value greater than or equal to 1"))
val("getrecords-limit-high", T, {"ShardIterator": "x", "Limit": 10001}, v(10001, "limit", "have value less than or equal to 10000"))
val("getrecords-two", T, {"ShardIterator": "", "Limit": 0}, v("", "shardIterator", GE1),
    v(0, "limit", "have value greater than or equal to 1"))
val("getrecords-bad-arn", T, {"ShardIterator": "x", "StreamARN": "arn:aws:kinesis:us-east-1:1:stream/s"},
    v("arn:aws:kinesis:us-east-1:1:stream/s", "streamARN", f"satisfy regular expression pattern: {ARNP}"))
ia("getrecords-bad-iterator", T, {"ShardIterator": "x"}, "Invalid ShardIterator.", source="spec", setup="none")
ser("getrecords-limit-string", T, {"ShardIterator": "x", "Limit": "5"}, STR2INT)
ser("getrecords-iterator-number", T, {"ShardIterator": 1}, NUM2STR)

# ---------------- PutRecord
T = "PutRecord"
val("putrecord-empty", T, {}, v(None, "partitionKey", NOTNULL), v(None, "data", NOTNULL), source="kinesalite tests")
val("putrecord-all-empty", T, {"StreamName": "", "PartitionKey": "", "Data": "", "ExplicitHashKey": "", "SequenceNumberForOrdering": ""},
    v("", "sequenceNumberForOrdering", f"satisfy regular expression pattern: {SEQP}"), v("", "partitionKey", GE1),
    v("", "explicitHashKey", f"satisfy regular expression pattern: {EHKP}"), v("", "streamName", PAT),
    v("", "streamName", GE1), source="kinesalite tests")
val("putrecord-long", T, {"StreamName": A129, "PartitionKey": "a" * 257, "Data": "", "ExplicitHashKey": ""},
    v("a" * 257, "partitionKey", "have length less than or equal to 256"),
    v("", "explicitHashKey", f"satisfy regular expression pattern: {EHKP}"), v(A129, "streamName", LE128),
    source="kinesalite tests")
val("putrecord-pk-multibyte-256-ok-257-bad", T, {"StreamName": "s1", "PartitionKey": "\u00e9" * 257, "Data": ""},
    v("\u00e9" * 257, "partitionKey", "have length less than or equal to 256"))
val("putrecord-bad-ehk", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "", "ExplicitHashKey": "abc"},
    v("abc", "explicitHashKey", f"satisfy regular expression pattern: {EHKP}"))
val("putrecord-ehk-40-digits", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "", "ExplicitHashKey": "1" * 40},
    v("1" * 40, "explicitHashKey", f"satisfy regular expression pattern: {EHKP}"))
val("putrecord-bad-seq-ordering", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "", "SequenceNumberForOrdering": "x"},
    v("x", "sequenceNumberForOrdering", f"satisfy regular expression pattern: {SEQP}"))
val("putrecord-data-over-model-max", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "{b64:10485761}"},
    v("java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]", "data", "have length less than or equal to 10485760"),
    source="kinesalite tests (value form), model (limit)")
val("putrecord-over-stream-max", T, {"StreamName": "{stream}", "PartitionKey": "k", "Data": "{b64:1048576}"},
    v("java.nio.HeapByteBuffer[pos=0 lim=1048576 cap=1048576]", "data", "have length less than or equal to 1048576"),
    source="awslabs/kinesis-aggregation#30 (AWS message; data+key counted)", setup="stream")
ia("putrecord-ehk-out-of-range", T, {"StreamName": "{stream}", "PartitionKey": "a", "Data": "",
                                     "ExplicitHashKey": str(2 ** 128)},
   f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {2 ** 128}",
   source="kinesalite tests")
ia("putrecord-foreign-seq-ordering", T, {"StreamName": "{stream}", "PartitionKey": "a", "Data": "",
                                         "SequenceNumberForOrdering": "12345"},
   "ExclusiveMinimumSequenceNumber 12345 used in PutRecord on stream {stream} under account {account} is invalid.",
   source="kinesalite tests")
rnf("putrecord-missing", T, {"StreamName": "{missing}", "PartitionKey": "a", "Data": ""}, source="kinesalite tests")
ser("putrecord-data-number", T, {"StreamName": "s1", "PartitionKey": "k", "Data": 5},
    "class java.math.BigDecimal can not be converted to a Blob")
ser("putrecord-data-bool", T, {"StreamName": "s1", "PartitionKey": "k", "Data": True},
    "class java.lang.Boolean can not be converted to a Blob")
ser("putrecord-data-list", T, {"StreamName": "s1", "PartitionKey": "k", "Data": []}, LIST)
ser("putrecord-data-bad-length", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "string"},
    "'string' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 6",
    source="aws/aws-sdk-php#650 (real AWS), kinesalite")
ser("putrecord-data-bad-char", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "ab!="},
    "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'")
ser("putrecord-data-pad-inside", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "a=bc"},
    "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='")
ser("putrecord-data-bad-last-char", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "aGl="},
    "'aGl=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected")
ser("putrecord-pk-number", T, {"StreamName": "s1", "PartitionKey": 5, "Data": ""}, NUM2STR)
ser("putrecord-ehk-number", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "", "ExplicitHashKey": 5}, NUM2STR)
ser("putrecord-seq-bool", T, {"StreamName": "s1", "PartitionKey": "k", "Data": "", "SequenceNumberForOrdering": True}, BOOL2STR)

# ---------------- PutRecords
T = "PutRecords"
val("putrecords-empty", T, {}, v(None, "records", NOTNULL), source="kinesalite tests (streamName now optional)")
val("putrecords-empty-list-and-name", T, {"StreamName": "", "Records": []}, v("[]", "records", GE1), v("", "streamName", PAT),
    v("", "streamName", GE1), source="kinesalite tests")
val("putrecords-long-name", T, {"StreamName": A129, "Records": [{"PartitionKey": "a", "Data": ""}]}, v(A129, "streamName", LE128),
    source="kinesalite tests")
val("putrecords-record-pk-null", T, {"StreamName": "s1", "Records": [{"Data": ""}]}, v(None, "records.1.member.partitionKey", NOTNULL))
val("putrecords-record-data-null", T, {"StreamName": "s1", "Records": [{"PartitionKey": "a"}, {"PartitionKey": "b"}]},
    v(None, "records.1.member.data", NOTNULL), v(None, "records.2.member.data", NOTNULL))
val("putrecords-record-order", T, {"StreamName": "s1", "Records": [{"PartitionKey": "a", "Data": ""}, {"PartitionKey": "", "ExplicitHashKey": "x"}]},
    v("", "records.2.member.partitionKey", GE1), v("x", "records.2.member.explicitHashKey", f"satisfy regular expression pattern: {EHKP}"),
    v(None, "records.2.member.data", NOTNULL), source="model; member order as PutRecord (kinesalite tests)")
val("putrecords-records-then-stream", T, {"StreamName": "a b", "Records": [{"Data": ""}]},
    v(None, "records.1.member.partitionKey", NOTNULL), v("a b", "streamName", PAT), source="kinesalite tests (records before streamName)")
val("putrecords-eleven-violations", T, {"StreamName": "s1", "Records": [{"Data": ""}] * 11},
    *[v(None, f"records.{i}.member.partitionKey", NOTNULL) for i in range(1, 11)], source="spec (at most 10 listed)")
cases[-1]["expect"]["message"] = "11 validation errors detected: " + "; ".join(
    v(None, f"records.{i}.member.partitionKey", NOTNULL) for i in range(1, 11))
add("putrecords-too-many", T, {"StreamName": "s1", "Records": [{"PartitionKey": "a", "Data": ""}] * 501}, 400, "ValidationException",
    regex=r"1 validation error detected: Value '.*' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500",
    source="model (AWS's rendering of the list value unknown)")
val("putrecords-ehk-pattern", T, {"StreamName": "s1", "Records": [{"PartitionKey": "a", "Data": "", "ExplicitHashKey": "-1"}]},
    v("-1", "records.1.member.explicitHashKey", f"satisfy regular expression pattern: {EHKP}"))
val("putrecords-record-over-stream-max", T, {"StreamName": "{stream}", "Records": [{"PartitionKey": "k", "Data": "{b64:1048576}"}]},
    v("java.nio.HeapByteBuffer[pos=0 lim=1048576 cap=1048576]", "records.1.member.data", "have length less than or equal to 1048576"),
    source="awslabs/kinesis-aggregation#30 (form); riffle path", setup="stream")
ia("putrecords-ehk-out-of-range", T, {"StreamName": "{stream}", "Records": [{"PartitionKey": "a", "Data": "", "ExplicitHashKey": str(2 ** 128)}]},
   f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {2 ** 128}")
ia("putrecords-total-over-10mib", T, {"StreamName": "{stream}", "Records": [{"PartitionKey": "k", "Data": "{b64:1000000}"}] * 11},
   "Records size exceeds 10 MB limit", source="aws/amazon-kinesis-streams-for-fluent-bit#21 (AWS said 5 MB before the 10 MiB raise)")
rnf("putrecords-missing", T, {"StreamName": "{missing}", "Records": [{"PartitionKey": "a", "Data": ""}]}, source="kinesalite tests")
ser("putrecords-records-string", T, {"StreamName": "s1", "Records": "x"}, "Expected list or null")
ser("putrecords-records-object", T, {"StreamName": "s1", "Records": {"Data": ""}}, MAP)
ser("putrecords-record-number", T, {"StreamName": "s1", "Records": [5]}, "Expected null")
ser("putrecords-record-data-number", T, {"StreamName": "s1", "Records": [{"PartitionKey": "a", "Data": 1}]},
    "class java.math.BigDecimal can not be converted to a Blob")
ser("putrecords-record-data-bad-b64", T, {"StreamName": "s1", "Records": [{"PartitionKey": "a", "Data": "abc"}]},
    "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3")
ser("putrecords-record-pk-bool", T, {"StreamName": "s1", "Records": [{"PartitionKey": False, "Data": ""}]}, BOOL2STR)

# ---------------- Retention
for T, short in [("IncreaseStreamRetentionPeriod", "increase"), ("DecreaseStreamRetentionPeriod", "decrease")]:
    val(f"{short}-empty", T, {}, v(None, "retentionPeriodHours", NOTNULL))
    val(f"{short}-order", T, {"StreamName": ""}, v(None, "retentionPeriodHours", NOTNULL), v("", "streamName", PAT),
        v("", "streamName", GE1), source="model; streamName last (kinesalite tests)")
    ia(f"{short}-too-short", T, {"StreamName": "{stream}", "RetentionPeriodHours": 23},
       "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.")
    ia(f"{short}-too-long", T, {"StreamName": "{stream}", "RetentionPeriodHours": 8761},
       "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.",
       source="kinesalite (limit raised to 8760)")
    rnf(f"{short}-missing", T, {"StreamName": "{missing}", "RetentionPeriodHours": 48})
    ser(f"{short}-hours-string", T, {"StreamName": "s1", "RetentionPeriodHours": "48"}, STR2INT)
ia("increase-shorter", "IncreaseStreamRetentionPeriod", {"StreamName": "{stream}", "RetentionPeriodHours": 25},
   "Requested retention period (25 hours) for stream {stream} can not be shorter than existing retention period (48 hours). "
   "Use DecreaseRetentionPeriod API.", setup="stream48")
ia("decrease-longer", "DecreaseStreamRetentionPeriod", {"StreamName": "{stream}", "RetentionPeriodHours": 72},
   "Requested retention period (72 hours) for stream {stream} can not be longer than existing retention period (48 hours). "
   "Use IncreaseRetentionPeriod API.", setup="stream48")

# ---------------- Tags
T = "AddTagsToStream"
TAGCH = "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :."
val("addtags-empty", T, {}, v(None, "tags", NOTNULL), source="kinesalite tests")
val("addtags-empty-map-and-name", T, {"StreamName": "", "Tags": {}}, v("{}", "tags", GE1), v("", "streamName", PAT),
    v("", "streamName", GE1), source="kinesalite tests")
ia("addtags-bad-chars", T, {"StreamName": "{stream}", "Tags": {"a;b": "c"}}, TAGCH, source="kinesalite tests")
ia("addtags-reserved", T, {"StreamName": "{stream}", "Tags": {"aws:x": "c"}},
   "Tag keys starting with 'aws:' are reserved for internal use.", source="riffle (no AWS source found)")
ia("addtags-too-many", T, {"StreamName": "{stream}", "Tags": {f"k{i}": "v" for i in range(51)}},
   "Failed to add tags to stream {stream} under account {account} because a given stream cannot have more than 50 tags "
   "associated with it.", source="kinesalite tests (limit 10 then)")
rnf("addtags-missing", T, {"StreamName": "{missing}", "Tags": {"a": "b"}}, source="kinesalite tests")
ser("addtags-tags-list", T, {"StreamName": "s1", "Tags": [{"Key": "a"}]}, LIST)
ser("addtags-tags-string", T, {"StreamName": "s1", "Tags": "a"}, "Expected map or null")
T = "RemoveTagsFromStream"
val("removetags-empty", T, {}, v(None, "tagKeys", NOTNULL), source="kinesalite tests")
val("removetags-empty-list-and-name", T, {"StreamName": "", "TagKeys": []}, v("[]", "tagKeys", GE1), v("", "streamName", PAT),
    v("", "streamName", GE1), source="kinesalite tests")
val("removetags-long-key", T, {"StreamName": "s1", "TagKeys": ["a", A129, "b"]},
    v(f"[a, {A129}, b]", "tagKeys", "satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"),
    source="kinesalite tests")
val("removetags-empty-key", T, {"StreamName": "s1", "TagKeys": [""]},
    v("[]", "tagKeys", "satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"),
    source="kinesalite tests (form)")
val("removetags-too-many", T, {"StreamName": "s1", "TagKeys": [str(i) for i in range(1, 52)]},
    v("[" + ", ".join(str(i) for i in range(1, 52)) + "]", "tagKeys", "have length less than or equal to 50"),
    source="kinesalite tests (limit 10 then)")
ia("removetags-semicolon", T, {"StreamName": "{stream}", "TagKeys": ["abc;def"]}, TAGCH, source="kinesalite tests")
ia("removetags-tab", T, {"StreamName": "{stream}", "TagKeys": ["abc\tdef"]}, TAGCH, source="kinesalite tests")
ia("removetags-percent", T, {"StreamName": "{stream}", "TagKeys": ["abc%def"]},
   "Failed to remove tags from stream {stream} under account {account} because some tags contained illegal characters. "
   "The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.", source="kinesalite tests")
rnf("removetags-missing", T, {"StreamName": "{missing}", "TagKeys": ["a"]}, source="kinesalite tests")
ser("removetags-keys-string", T, {"StreamName": "s1", "TagKeys": "a"}, "Expected list or null")
ser("removetags-key-number", T, {"StreamName": "s1", "TagKeys": [1]}, NUM2STR)
T = "ListTagsForStream"
val("listtags-limit-zero", T, {"StreamName": "s1", "Limit": 0}, v(0, "limit", "have value greater than or equal to 1"))
val("listtags-limit-high", T, {"StreamName": "s1", "Limit": 51}, v(51, "limit", "have value less than or equal to 50"))
val("listtags-all", T, {"StreamName": "", "ExclusiveStartTagKey": "", "Limit": 0}, v("", "exclusiveStartTagKey", GE1),
    v(0, "limit", "have value greater than or equal to 1"), v("", "streamName", PAT), v("", "streamName", GE1))
rnf("listtags-missing", T, {"StreamName": "{missing}"}, source="kinesalite tests")
ia("listtags-neither", T, {}, NEITHER, source="kinesis-mock", setup="none")

# ---------------- Resharding
T = "SplitShard"
val("split-empty", T, {}, v(None, "shardToSplit", NOTNULL), v(None, "newStartingHashKey", NOTNULL))
val("split-bad", T, {"StreamName": "", "ShardToSplit": "", "NewStartingHashKey": "x"}, v("", "shardToSplit", PAT),
    v("", "shardToSplit", GE1), v("x", "newStartingHashKey", f"satisfy regular expression pattern: {EHKP}"),
    v("", "streamName", PAT), v("", "streamName", GE1))
rnf("split-unknown-shard", T, {"StreamName": "{stream}", "ShardToSplit": "shardId-000000000009", "NewStartingHashKey": "5"},
    "Could not find shard shardId-000000000009 in stream {stream} under account {account}.", setup="stream")
ia("split-key-outside", T, {"StreamName": "{stream}", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "1"},
   "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream {stream} under account {account} is not "
   "both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey "
   "170141183460469231731687303715884105727.")
rnf("split-missing", T, {"StreamName": "{missing}", "ShardToSplit": "shardId-0", "NewStartingHashKey": "5"})
T = "MergeShards"
val("merge-empty", T, {}, v(None, "shardToMerge", NOTNULL), v(None, "adjacentShardToMerge", NOTNULL))
val("merge-bad", T, {"StreamName": "s1", "ShardToMerge": "a b", "AdjacentShardToMerge": A129},
    v("a b", "shardToMerge", PAT), v(A129, "adjacentShardToMerge", LE128))
rnf("merge-unknown-shard", T, {"StreamName": "{stream}", "ShardToMerge": "shardId-000000000000", "AdjacentShardToMerge": "shardId-000000000007"},
    "Could not find shard shardId-000000000007 in stream {stream} under account {account}.", setup="stream")
rnf("merge-missing", T, {"StreamName": "{missing}", "ShardToMerge": "shardId-0", "AdjacentShardToMerge": "shardId-1"})
T = "UpdateShardCount"
val("usc-empty", T, {}, v(None, "targetShardCount", NOTNULL), v(None, "scalingType", NOTNULL))
val("usc-bad", T, {"StreamName": "s1", "TargetShardCount": 0, "ScalingType": "LINEAR"},
    v(0, "targetShardCount", "have value greater than or equal to 1"), v("LINEAR", "scalingType", "satisfy enum value set: [UNIFORM_SCALING]"))
rnf("usc-missing", T, {"StreamName": "{missing}", "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"})
ser("usc-count-string", T, {"StreamName": "s1", "TargetShardCount": "2", "ScalingType": "UNIFORM_SCALING"}, STR2INT)

# ---------------- Encryption / monitoring / modes
for T, short in [("StartStreamEncryption", "startenc"), ("StopStreamEncryption", "stopenc")]:
    val(f"{short}-empty", T, {}, v(None, "encryptionType", NOTNULL), v(None, "keyId", NOTNULL))
    val(f"{short}-bad", T, {"StreamName": "s1", "EncryptionType": "AES", "KeyId": ""},
        v("AES", "encryptionType", "satisfy enum value set: [NONE, KMS]"), v("", "keyId", GE1))
    ia(f"{short}-none-type", T, {"StreamName": "{stream}", "EncryptionType": "NONE", "KeyId": "alias/aws/kinesis"},
       "KMS is the only valid EncryptionType for this request", source="kinesis-mock")
METRICS = "IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL"
for T, short in [("EnableEnhancedMonitoring", "enablemon"), ("DisableEnhancedMonitoring", "disablemon")]:
    val(f"{short}-empty", T, {"StreamName": "s1"}, v(None, "shardLevelMetrics", NOTNULL))
    val(f"{short}-empty-list", T, {"StreamName": "s1", "ShardLevelMetrics": []}, v("[]", "shardLevelMetrics", GE1))
    val(f"{short}-bad-metric", T, {"StreamName": "s1", "ShardLevelMetrics": ["Bogus"]},
        v("[Bogus]", "shardLevelMetrics", f"satisfy constraint: [Member must satisfy enum value set: [{METRICS}]]"))
    rnf(f"{short}-missing", T, {"StreamName": "{missing}", "ShardLevelMetrics": ["ALL"]})
T = "UpdateStreamMode"
val("mode-empty", T, {}, v(None, "streamModeDetails", NOTNULL), v(None, "streamARN", NOTNULL))
val("mode-bad", T, {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "StreamModeDetails": {"StreamMode": "SOMETIMES"}},
    v("SOMETIMES", "streamModeDetails.streamMode", "satisfy enum value set: [PROVISIONED, ON_DEMAND]"))
val("mode-warm-negative", T, {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
                              "StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "WarmThroughputMiBps": -5},
    v(-5, "warmThroughputMiBps", "have value greater than or equal to 0"))
T = "UpdateMaxRecordSize"
val("maxrecord-empty", T, {}, v(None, "maxRecordSizeInKiB", NOTNULL))
val("maxrecord-high", T, {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "MaxRecordSizeInKiB": 20480},
    v(20480, "maxRecordSizeInKiB", "have value less than or equal to 10240"))
T = "UpdateStreamWarmThroughput"
val("warm-empty", T, {"StreamName": "s1"}, v(None, "warmThroughputMiBps", NOTNULL))
val("warm-negative", T, {"StreamName": "s1", "WarmThroughputMiBps": -1}, v(-1, "warmThroughputMiBps", "have value greater than or equal to 0"))

# ---------------- Resource ARNs, policies, account, consumers
RA = f"satisfy regular expression pattern: {RARNP}"
for T, short, extra in [("GetResourcePolicy", "getpolicy", {}), ("DeleteResourcePolicy", "delpolicy", {}),
                        ("ListTagsForResource", "listtagsres", {})]:
    val(f"{short}-empty", T, {}, v(None, "resourceARN", NOTNULL))
    val(f"{short}-bad-arn", T, {"ResourceARN": "arn:aws:s3:::bucket"}, v("arn:aws:s3:::bucket", "resourceARN", RA))
val("putpolicy-empty", "PutResourcePolicy", {}, v(None, "resourceARN", NOTNULL), v(None, "policy", NOTNULL))
val("tagres-empty", "TagResource", {}, v(None, "tags", NOTNULL), v(None, "resourceARN", NOTNULL))
val("untagres-empty", "UntagResource", {}, v(None, "tagKeys", NOTNULL), v(None, "resourceARN", NOTNULL))
val("untagres-empty-list", "UntagResource", {"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "TagKeys": []},
    v("[]", "tagKeys", GE1))
rnf("getpolicy-missing", "GetResourcePolicy", {"ResourceARN": "arn:aws:kinesis:{region}:{account}:stream/{missing}"},
    "Stream arn:aws:kinesis:{region}:{account}:stream/{missing} under account {account} not found.", source="moto")
val("account-empty", "UpdateAccountSettings", {}, v(None, "minimumThroughputBillingCommitment", NOTNULL))
val("account-status-null", "UpdateAccountSettings", {"MinimumThroughputBillingCommitment": {}},
    v(None, "minimumThroughputBillingCommitment.status", NOTNULL))
val("account-status-enum", "UpdateAccountSettings", {"MinimumThroughputBillingCommitment": {"Status": "MAYBE"}},
    v("MAYBE", "minimumThroughputBillingCommitment.status", "satisfy enum value set: [ENABLED, DISABLED]"))
ser("account-commitment-string", "UpdateAccountSettings", {"MinimumThroughputBillingCommitment": "ENABLED"}, "Expected null")
val("register-empty", "RegisterStreamConsumer", {}, v(None, "consumerName", NOTNULL), v(None, "streamARN", NOTNULL))
val("register-bad-name", "RegisterStreamConsumer", {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "ConsumerName": "a b"},
    v("a b", "consumerName", PAT))
val("subscribe-empty", "SubscribeToShard", {}, v(None, "consumerARN", NOTNULL), v(None, "shardId", NOTNULL), v(None, "startingPosition", NOTNULL))
val("subscribe-bad", "SubscribeToShard", {"ConsumerARN": "x", "ShardId": "shardId-0", "StartingPosition": {"Type": "NOW"}},
    v("x", "consumerARN", f"satisfy regular expression pattern: {CARNP}"),
    v("NOW", "startingPosition.type", f"satisfy enum value set: {ITER}"))
val("describeconsumer-bad-arn", "DescribeStreamConsumer", {"ConsumerARN": "x"},
    v("x", "consumerARN", f"satisfy regular expression pattern: {CARNP}"))
ia("describeconsumer-nothing", "DescribeStreamConsumer", {},
   "ConsumerArn or both ConsumerName and StreamARN are required for this request.", source="kinesis-mock", setup="none")
val("listconsumers-empty", "ListStreamConsumers", {}, v(None, "streamARN", NOTNULL))
val("listconsumers-max", "ListStreamConsumers", {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "MaxResults": 0},
    v(0, "maxResults", "have value greater than or equal to 1"))

# ---------------- protocol
add("proto-unknown-target", "Kinesis_20131202.NoSuchOperation", {}, 400, "UnknownOperationException", None,
    source="kinesalite tests (no message)", raw_target=True)
add("proto-wrong-prefix", "Firehose_20150804.ListDeliveryStreams", {}, 400, "UnknownOperationException", None,
    source="kinesalite tests (no message)", raw_target=True)
add("proto-missing-target", None, {}, 400, "UnknownOperationException", None,
    source="kinesalite tests (no message)", raw_target=True)
add("proto-missing-target-no-body", None, "", 400, "UnknownOperationException", None,
    source="kinesalite tests", raw_target=True)
# What never reaches the API: XML bodies without a content type (kinesalite connection tests).
DENIED = "Unable to determine service/operation name to be authorized"
add("proto-get", "ListStreams", None, 403, "AccessDeniedException", DENIED, method="GET", source="kinesalite tests")
add("proto-put", "ListStreams", {}, 403, "AccessDeniedException", DENIED, method="PUT", source="kinesalite tests")
add("proto-delete", "ListStreams", None, 403, "AccessDeniedException", DENIED, method="DELETE",
    source="riffle (kinesalite: AWS hangs up on DELETE; a clean 403 instead)")
add("proto-no-content-type", None, "{}", 403, "AccessDeniedException", DENIED, content_type=None, raw_target=True,
    source="kinesalite tests")
add("proto-no-content-type-bad-target", "Kinesis_20131202.ListStream", None, 403, "AccessDeniedException", DENIED,
    content_type=None, raw_target=True, source="kinesalite tests")
add("proto-json-1.0", None, None, 403, "AccessDeniedException", DENIED, content_type="application/x-amz-json-1.0",
    raw_target=True, source="kinesalite tests")
add("proto-foreign-content-type", "ListStreams", "{}", 404, "UnknownOperationException", None,
    content_type="text/plain", source="kinesalite (index.js)")
add("proto-other-path", "ListStreams", {"Limit": 0}, 400, "ValidationException",
    vmsg(v(0, "limit", "have value greater than or equal to 1")), path="/some/other/path", source="spec (path ignored)")
add("proto-empty-body", "ListStreams", "", 400, "SerializationException", None, source="kinesalite tests (no message)")
add("proto-whitespace-body", "ListStreams", "  \n", 400, "SerializationException", None, source="kinesalite tests (no message)")
add("proto-malformed-json", "ListStreams", "{not json", 400, "SerializationException", None, source="kinesalite tests (no message)")
add("proto-not-json", "ListStreams", "hello", 400, "SerializationException", None, source="kinesalite tests (no message)")
add("proto-trailing-garbage", "ListStreams", "{} {}", 400, "SerializationException", None, source="kinesalite tests (no message)")
add("proto-truncated", "DescribeStreamSummary", "{\"StreamName\": \"ab", 400, "SerializationException", None,
    source="kinesalite tests (no message)")
add("proto-null-member-ignored", "DescribeStreamSummary", {"StreamName": None}, 400, "InvalidArgumentException", NEITHER,
    source="kinesalite (null is absent); kinesis-mock message")
add("proto-unknown-member-ignored", "DescribeStreamSummary", {"StreamName": "{missing}", "Bogus": [1, {"a": 2}]}, 400,
    "ResourceNotFoundException", RNF, source="spec (unknown members ignored)")
add("proto-application-json", "ListStreams", {"Limit": 0}, 200, "com.amazon.coral.service#UnknownOperationException",
    None, content_type="application/json", source="kinesalite tests (deprecated envelope)")
add("proto-application-json-no-target", None, {}, 200, "com.amazon.coral.service#UnknownOperationException",
    None, content_type="application/json", raw_target=True, source="kinesalite tests (deprecated envelope)")
add("proto-application-json-not-json", "ListStreams", "hello", 200, "com.amazon.coral.service#SerializationException",
    None, content_type="application/json", source="kinesalite tests (deprecated envelope)")
add("proto-oversized-body", "PutRecord", None, 413, "RequestEntityTooLargeException", "Request Entity Too Large",
    oversize=16 * 1024 * 1024 + 1, source="boto3#1147 (AWS: 413, no error code); type and message riffle")
add("proto-cbor-malformed", "DescribeStreamSummary", None, 400, "SerializationException", None, cbor_hex="bf6a53747265616d4e616d65",
    source="riffle (no AWS source found; as for JSON)")
add("proto-cbor-lone-break", "DescribeStreamSummary", None, 400, "SerializationException", None, cbor_hex="ff",
    source="riffle (no AWS source found)")
add("proto-cbor-int-for-string", "DescribeStreamSummary", None, 400, "SerializationException",
    "class java.math.BigDecimal can not be converted to an String", cbor_hex="bf6a53747265616d4e616d6505ff",
    source="kinesalite (JSON wording)")
add("proto-cbor-validation", "DescribeStreamSummary", None, 400, "ValidationException",
    vmsg(v("a b", "streamName", PAT)), cbor_hex="a16a53747265616d4e616d6563612062", source="model")

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
json.dump(cases, open(Path(__file__).with_name("cases.json"), "w"), indent=1, ensure_ascii=False)
print(len(cases))
