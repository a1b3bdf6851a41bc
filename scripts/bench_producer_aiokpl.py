"""aiokpl's side of scripts/bench-producer.sh: 100-byte user records through aiokpl's Producer
as fast as put_record takes them, for --duration seconds, then a flush and every outcome
awaited; prints one JSON object (the same fields `riffle bench producer --json` prints).

Kinesis records are counted as distinct (shard, sequence number) pairs: aiokpl answers every
user record of an aggregate with the aggregate's sequence number.
"""

import argparse
import asyncio
import json
import os
import resource
import time

from aiokpl import Config, Producer


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stream", required=True)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--record-size", type=int, default=100)
    # Riffle's producer runs at the KPL's default RateLimit of 150%; aiokpl takes absolute
    # per-shard rates, given the same 150% of 1000 records/s and 1 MiB/s.
    ap.add_argument("--rate-limit", type=float, default=150.0)
    a = ap.parse_args()
    f = a.rate_limit / 100.0
    cfg = Config(
        region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        endpoint_url=a.endpoint,
        verify_ssl=False,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "x"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "x"),
        rate_limit_records_per_sec_per_shard=1000.0 * f,
        rate_limit_bytes_per_sec_per_shard=1048576.0 * f,
    )
    data = bytes(ord("a") + i % 26 for i in range(a.record_size))
    outcomes = []
    cpu0 = cpu_seconds()
    async with Producer(cfg) as producer:
        started = time.monotonic()
        stop_at = started + a.duration
        put = 0
        while True:
            if put % 1024 == 0 and time.monotonic() >= stop_at:
                break
            outcomes.append(await producer.put_record(stream=a.stream, partition_key=str(put), data=data))
            put += 1
        put_secs = time.monotonic() - started
        await producer.flush()
        written = failed = 0
        kinesis = set()
        first_error = None
        for o in outcomes:
            r = await o.wait()
            if r.success:
                written += 1
                kinesis.add((r.shard_id, r.sequence_number))
            else:
                failed += 1
                if first_error is None and r.attempts:
                    first_error = f"{r.attempts[-1].error_code}: {r.attempts[-1].error_message}"
        secs = time.monotonic() - started
    cpu = cpu_seconds() - cpu0
    print(
        json.dumps(
            {
                "user_records": put,
                "written": written,
                "failed": failed,
                "kinesis_records": len(kinesis),
                "put_secs": round(put_secs, 3),
                "elapsed_secs": round(secs, 3),
                "user_records_per_sec": round(written / secs, 1),
                "kinesis_records_per_sec": round(len(kinesis) / secs, 1),
                "cpu_us_per_user_record": round(cpu * 1e6 / max(written, 1), 3),
                "first_error": first_error,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
