// KPL aggregation, byte-compatible both ways with the npm `aws-kinesis-agg` (pinned):
//   * their aggregates (RecordAggregator) go through riffle serve unchanged and deaggregate with
//     their library; the same aggregates are committed as a fixture
//     (crates/riffle-producer/tests/fixtures/js-aws-kinesis-agg.json) that Riffle's decoder reads
//     in `cargo test -p riffle-producer` — a test here proves the fixture is exactly what the
//     library makes (RIFFLE_REGENERATE_FIXTURES=1 rewrites it);
//   * `riffle put` (aggregation on) writes lines, and their deaggregator reads them.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";

import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import agg from "aws-kinesis-agg";

import { ACCESS_KEY_ID, REGION, REPO_ROOT, SECRET_ACCESS_KEY, makeClient, riffleBinary, startServer, uniqueName, waitStatus } from "./helpers.mjs";

const FIXTURE = path.join(REPO_ROOT, "crates", "riffle-producer", "tests", "fixtures", "js-aws-kinesis-agg.json");
const b64 = (buf) => Buffer.from(buf).toString("base64");

// [partitionKey, explicitHashKey, data] per aggregate: repeated and unicode keys, explicit hash
// keys, empty and binary data, a lone record, many records.
const CASES = [
  [
    ["alpha", undefined, Buffer.from("first")],
    ["beta", undefined, Buffer.from("second")],
    ["alpha", undefined, Buffer.from("third, same key as the first")],
    ["\u00fcnicode-\u96ea", undefined, Buffer.from("caf\u00e9 \u2615")],
    ["gamma", "0", Buffer.alloc(0)],
    ["delta", ((1n << 128n) - 1n).toString(), Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ["epsilon", "0", Buffer.from("shares an explicit hash key")],
  ],
  [["solo", undefined, Buffer.from("a lone user record")]],
  Array.from({ length: 200 }, (_, i) => [`key-${i % 13}`, undefined, Buffer.from(`record ${i}`.repeat((i % 5) + 1))]),
];

function buildAggregates() {
  return CASES.map((records) => {
    const aggregator = new agg.RecordAggregator();
    for (const [partitionKey, explicitHashKey, data] of records) {
      const record = { partitionKey, data };
      if (explicitHashKey !== undefined) record.explicitHashKey = explicitHashKey;
      aggregator.addUserRecord(record);
    }
    const built = aggregator.build();
    return {
      partition_key: built.partitionKey,
      explicit_hash_key: built.ExplicitHashKey ?? null,
      data: b64(built.data),
      records: records.map(([pk, ehk, data]) => ({ partition_key: pk, explicit_hash_key: ehk ?? null, data: b64(data) })),
    };
  });
}

/** Their deaggregator, with checksums verified, over one GetRecords record (given in the
 * Lambda-event shape the library documents: base64 data, camelCase keys). */
function deaggregate(record) {
  let out;
  const event = { partitionKey: record.PartitionKey, sequenceNumber: record.SequenceNumber, data: b64(record.Data) };
  agg.deaggregateSync(event, true, (err, users) => {
    if (err) throw err;
    out = users;
  });
  return out;
}

let server;
let client;

before(async () => {
  server = await startServer();
  client = makeClient(server.endpoint, "default");
});

after(async () => {
  client?.destroy();
  await server?.stop();
});

async function newStream(shards) {
  const name = uniqueName("jsagg");
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitStatus(client, name);
  return name;
}

async function readAll(name) {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: name }));
  const records = [];
  for (const shard of Shards) {
    let { ShardIterator: it } = await client.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    for (;;) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: it }));
      records.push(...out.Records);
      if (!out.NextShardIterator || (out.Records.length === 0 && out.MillisBehindLatest === 0)) break;
      it = out.NextShardIterator;
    }
  }
  return records;
}

function riffleLines(stream, lines, ...args) {
  return spawnSync(riffleBinary(), ["put", "--stream", stream, "--endpoint-url", server.endpoint, ...args], {
    input: lines.join("\n") + "\n",
    encoding: "utf8",
    timeout: 120_000,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
}

describe("aws-kinesis-agg (npm) interop", () => {
  it("the committed fixture is what the library makes", () => {
    const made = { generator: "aws-kinesis-agg 4.2.8 (npm), tests/js/kpl_aggregation.test.mjs", aggregates: buildAggregates() };
    if (process.env.RIFFLE_REGENERATE_FIXTURES === "1") {
      mkdirSync(path.dirname(FIXTURE), { recursive: true });
      writeFileSync(FIXTURE, JSON.stringify(made, null, 1) + "\n");
    }
    assert.deepEqual(JSON.parse(readFileSync(FIXTURE, "utf8")), made);
  });

  it("their aggregates pass through riffle unchanged and deaggregate", async () => {
    const name = await newStream(2);
    const aggregates = buildAggregates();
    for (const a of aggregates) {
      const input = { StreamName: name, PartitionKey: a.partition_key, Data: Buffer.from(a.data, "base64") };
      if (a.explicit_hash_key) input.ExplicitHashKey = a.explicit_hash_key;
      await client.send(new PutRecordCommand(input));
    }
    const records = await readAll(name);
    assert.deepEqual(new Set(records.map((r) => b64(r.Data))), new Set(aggregates.map((a) => a.data)));
    const got = records.flatMap(deaggregate).map((u) => `${u.partitionKey}\u0000${u.data}`).sort();
    const want = aggregates.flatMap((a) => a.records.map((r) => `${r.partition_key}\u0000${r.data}`)).sort();
    assert.deepEqual(got, want);
  });

  it("records `riffle put` aggregated deaggregate with their library", async () => {
    const name = await newStream(2);
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} \u2014 ${"y".repeat(i % 40)}`);
    const done = riffleLines(name, lines);
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /1000 written/);
    const records = await readAll(name);
    assert.ok(records.length < 100, `lines share Kinesis records (${records.length} for 1000 lines)`);
    const users = records.flatMap(deaggregate);
    assert.deepEqual(users.map((u) => Buffer.from(u.data, "base64").toString("utf8")).sort(), [...lines].sort());
    for (const u of users) {
      assert.equal(lines[Number(u.partitionKey)], Buffer.from(u.data, "base64").toString("utf8"));
    }
  });
});
