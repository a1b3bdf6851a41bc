"""AddTagsToStream / RemoveTagsFromStream / ListTagsForStream and retention period changes."""

from __future__ import annotations

import pytest

from kinesis_helpers import expect_error, stream_arn


def _all_tags(client, name: str, limit: int | None = None) -> tuple[list[dict], int]:
    """Page through ListTagsForStream with ExclusiveStartTagKey; returns (tags, number of calls)."""
    tags, calls, start = [], 0, None
    while True:
        kw = {"StreamName": name}
        if limit:
            kw["Limit"] = limit
        if start:
            kw["ExclusiveStartTagKey"] = start
        resp = client.list_tags_for_stream(**kw)
        calls += 1
        if limit:
            assert len(resp["Tags"]) <= limit
        tags.extend(resp["Tags"])
        if not resp["HasMoreTags"]:
            return tags, calls
        assert resp["Tags"], "HasMoreTags true with an empty page"
        start = resp["Tags"][-1]["Key"]
        assert calls < 100


def _as_dict(tags: list[dict]) -> dict:
    return {t["Key"]: t.get("Value", "") for t in tags}


# ---- tags ---------------------------------------------------------------------------------

def test_add_list_remove_tags(kinesis, streams):
    name = streams(shards=1)
    empty = kinesis.list_tags_for_stream(StreamName=name)
    assert empty["Tags"] == [] and empty["HasMoreTags"] is False

    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "test", "team": "riffle", "empty": ""})
    tags = kinesis.list_tags_for_stream(StreamName=name)
    assert tags["HasMoreTags"] is False
    assert _as_dict(tags["Tags"]) == {"env": "test", "team": "riffle", "empty": ""}

    # overwrite an existing key, add another; via ARN
    kinesis.add_tags_to_stream(StreamARN=stream_arn(name), Tags={"env": "prod", "owner": "me"})
    assert _as_dict(kinesis.list_tags_for_stream(StreamARN=stream_arn(name))["Tags"]) == \
        {"env": "prod", "team": "riffle", "empty": "", "owner": "me"}

    # remove (including a key that does not exist, which is not an error)
    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["team", "nope"])
    assert _as_dict(kinesis.list_tags_for_stream(StreamName=name)["Tags"]) == \
        {"env": "prod", "empty": "", "owner": "me"}
    kinesis.remove_tags_from_stream(StreamARN=stream_arn(name), TagKeys=["env", "empty", "owner"])
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == []


def test_create_stream_with_tags(kinesis, streams):
    name = streams(shards=1, Tags={"created": "with-tags", "k2": "v2"})
    assert _as_dict(kinesis.list_tags_for_stream(StreamName=name)["Tags"]) == {"created": "with-tags", "k2": "v2"}


def test_list_tags_pagination(kinesis, streams):
    name = streams(shards=1)
    want = {f"key-{i:02d}": f"value-{i}" for i in range(7)}
    kinesis.add_tags_to_stream(StreamName=name, Tags=want)
    first = kinesis.list_tags_for_stream(StreamName=name, Limit=3)
    assert len(first["Tags"]) == 3
    assert first["HasMoreTags"] is True
    tags, calls = _all_tags(kinesis, name, limit=3)
    assert calls == 3  # 3 + 3 + 1
    assert len(tags) == 7, "a tag was repeated or skipped across pages"
    assert _as_dict(tags) == want
    exact = kinesis.list_tags_for_stream(StreamName=name, Limit=7)
    assert len(exact["Tags"]) == 7 and exact["HasMoreTags"] is False
    # ExclusiveStartTagKey: everything after the given key
    rest = kinesis.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey=first["Tags"][-1]["Key"])
    assert rest["HasMoreTags"] is False
    assert len(rest["Tags"]) == 4
    assert not ({t["Key"] for t in rest["Tags"]} & {t["Key"] for t in first["Tags"]})


def test_more_than_50_tags_rejected(kinesis, streams):
    name = streams(shards=1)
    too_many = {f"t{i}": "v" for i in range(51)}
    expect_error(kinesis.add_tags_to_stream, "InvalidArgumentException", StreamName=name, Tags=too_many)
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [], "a rejected AddTagsToStream must add nothing"

    kinesis.add_tags_to_stream(StreamName=name, Tags={f"a{i}": "v" for i in range(30)})
    expect_error(kinesis.add_tags_to_stream, "InvalidArgumentException", StreamName=name,
                 Tags={f"b{i}": "v" for i in range(21)})
    tags, _ = _all_tags(kinesis, name)
    assert len(tags) == 30
    # overwriting existing keys does not count twice; exactly 50 is fine
    kinesis.add_tags_to_stream(StreamName=name, Tags={**{f"a{i}": "w" for i in range(30)},
                                                       **{f"b{i}": "v" for i in range(20)}})
    tags, _ = _all_tags(kinesis, name, limit=50)
    assert len(tags) == 50


# ---- retention ----------------------------------------------------------------------------

def _retention(client, name):
    return client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"]


def test_increase_and_decrease_retention(kinesis, streams):
    name = streams(shards=1)
    assert _retention(kinesis, name) == 24
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert _retention(kinesis, name) == 48
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 48
    kinesis.increase_stream_retention_period(StreamARN=stream_arn(name), RetentionPeriodHours=8760)
    assert _retention(kinesis, name) == 8760
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    assert _retention(kinesis, name) == 72
    kinesis.decrease_stream_retention_period(StreamARN=stream_arn(name), RetentionPeriodHours=24)
    assert _retention(kinesis, name) == 24


@pytest.mark.parametrize("op", ["increase", "decrease"])
def test_retention_below_minimum(kinesis, streams, op):
    name = streams(shards=1)
    fn = getattr(kinesis, f"{op}_stream_retention_period")
    expect_error(fn, "InvalidArgumentException",
                 "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.",
                 StreamName=name, RetentionPeriodHours=23)
    assert _retention(kinesis, name) == 24


def test_retention_above_maximum(kinesis, streams):
    name = streams(shards=1)
    # spec gives no exact text for >8760; AWS/kinesalite wording is
    # "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long."
    expect_error(kinesis.increase_stream_retention_period, "InvalidArgumentException", contains="8761",
                 StreamName=name, RetentionPeriodHours=8761)
    assert _retention(kinesis, name) == 24


def test_increase_below_current_rejected(kinesis, streams):
    name = streams(shards=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    expect_error(kinesis.increase_stream_retention_period, "InvalidArgumentException",
                 f"Requested retention period (36 hours) for stream {name} can not be shorter than existing "
                 f"retention period (48 hours). Use DecreaseRetentionPeriod API.",
                 StreamName=name, RetentionPeriodHours=36)
    assert _retention(kinesis, name) == 48


def test_decrease_above_current_rejected(kinesis, streams):
    name = streams(shards=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    expect_error(kinesis.decrease_stream_retention_period, "InvalidArgumentException",
                 f"Requested retention period (72 hours) for stream {name} can not be longer than existing "
                 f"retention period (48 hours). Use IncreaseRetentionPeriod API.",
                 StreamName=name, RetentionPeriodHours=72)
    assert _retention(kinesis, name) == 48
