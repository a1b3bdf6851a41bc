// The compatibility scenarios (lifecycle, put/get, iterators, tags, retention, errors, delete)
// through the AWS SDK for JavaScript v3, run twice against one `riffle serve`:
//   * with the client's default request handler — for Kinesis that is NodeHttp2Handler, i.e.
//     plain-text HTTP/2 with prior knowledge (h2c); asserted below, per response;
//   * with NodeHttpHandler (HTTP/1.1 keep-alive).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import {
  KinesisClient,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  ListStreamsCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
  AddTagsToStreamCommand,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  IncreaseStreamRetentionPeriodCommand,
  DecreaseStreamRetentionPeriodCommand,
  ResourceNotFoundException,
  ResourceInUseException,
  ValidationException,
  InvalidArgumentException,
  waitUntilStreamExists,
  waitUntilStreamNotExists,
  paginateListStreams,
} from "@aws-sdk/client-kinesis";

import {
  ACCOUNT_ID,
  MAX_HASH,
  NodeHttp2Handler,
  NodeHttpHandler,
  expectError,
  makeClient,
  rnfMessage,
  sleep,
  startServer,
  streamArn,
  uniqueName,
  waitStatus,
} from "./helpers.mjs";

const SHARD0 = "shardId-000000000000";
const SHARD1 = "shardId-000000000001";
const HALF = 1n << 127n;
const STREAM_NAME_PATTERN = "[a-zA-Z0-9_.-]+";
const WAITER = { minDelay: 0.05, maxDelay: 0.2, maxWaitTime: 10 };

const MODES = [
  { label: "default request handler (NodeHttp2Handler, HTTP/2 h2c)", tag: "h2", handler: "default",
    handlerClass: NodeHttp2Handler, transport: "h2" },
  { label: "NodeHttpHandler (HTTP/1.1)", tag: "h1", handler: "http1",
    handlerClass: NodeHttpHandler, transport: "http/1.1" },
];

const hashKey = (pk) => BigInt("0x" + createHash("md5").update(pk, "utf8").digest("hex"));
const shardFor = (pk) => (hashKey(pk) < HALF ? SHARD0 : SHARD1);
const bytes = (x) => Buffer.from(x);

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) {
    const { code, signal } = await server.stop();
    assert.equal(code, 0, `riffle should exit 0 on SIGTERM (code ${code}, signal ${signal})\n${server.logTail()}`);
  }
});

for (const mode of MODES) {
  describe(mode.label, () => {
    /** @type {KinesisClient} */
    let client;
    const created = [];
    const send = (cmd) => client.send(cmd);

    async function createActive(prefix, input = {}) {
      const name = uniqueName(`js-${mode.tag}-${prefix}`);
      created.push(name);
      await send(new CreateStreamCommand({ StreamName: name, ShardCount: 1, ...input }));
      await waitStatus(client, name, "ACTIVE");
      return name;
    }

    async function iterator(name, shardId, type, extra = {}) {
      const out = await send(new GetShardIteratorCommand({
        StreamName: name, ShardId: shardId, ShardIteratorType: type, ...extra,
      }));
      assert.equal(typeof out.ShardIterator, "string");
      assert.ok(out.ShardIterator.length >= 1 && out.ShardIterator.length <= 512, out.ShardIterator);
      return out.ShardIterator;
    }

    /** Reads from an iterator until caught up (empty batch, MillisBehindLatest 0). */
    async function readAll(it, maxCalls = 20) {
      const records = [];
      for (let i = 0; i < maxCalls && it; i++) {
        const out = await send(new GetRecordsCommand({ ShardIterator: it }));
        assert.ok(Array.isArray(out.Records));
        assert.equal(typeof out.MillisBehindLatest, "number");
        records.push(...out.Records);
        it = out.NextShardIterator;
        if (out.Records.length === 0 && out.MillisBehindLatest === 0) break;
      }
      return records;
    }

    before(() => {
      client = makeClient(server.endpoint, mode.handler);
    });

    after(async () => {
      for (const name of created) {
        try {
          await send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
        } catch {
          // already gone
        }
      }
      client.destroy();
    });

    it("uses the expected request handler", () => {
      assert.ok(client.config.requestHandler instanceof mode.handlerClass,
        `requestHandler is ${client.config.requestHandler?.constructor?.name}`);
      if (mode.handler === "default") {
        // The SDK's own choice for Kinesis in Node.js is HTTP/2, not NodeHttpHandler.
        assert.ok(!(client.config.requestHandler instanceof NodeHttpHandler));
      }
    });

    it("lifecycle: create (provisioned), wait ACTIVE, describe, summary, list streams, list shards", async () => {
      const name = uniqueName(`js-${mode.tag}-life`);
      created.push(name);
      const t0 = Date.now();
      const out = await send(new CreateStreamCommand({
        StreamName: name, ShardCount: 2, StreamModeDetails: { StreamMode: "PROVISIONED" },
      }));
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.ok(out.$metadata.requestId, "x-amzn-RequestId must be present");

      const early = await send(new DescribeStreamSummaryCommand({ StreamName: name }));
      assert.ok(["CREATING", "ACTIVE"].includes(early.StreamDescriptionSummary.StreamStatus));

      const waited = await waitUntilStreamExists({ client, ...WAITER }, { StreamName: name });
      assert.equal(waited.state, "SUCCESS");

      const { StreamDescription: d } = await send(new DescribeStreamCommand({ StreamName: name }));
      assert.equal(d.StreamName, name);
      assert.equal(d.StreamARN, streamArn(name));
      assert.equal(d.StreamStatus, "ACTIVE");
      assert.equal(d.StreamModeDetails?.StreamMode, "PROVISIONED");
      assert.equal(d.RetentionPeriodHours, 24);
      assert.equal(d.HasMoreShards, false);
      assert.ok(Array.isArray(d.EnhancedMonitoring));
      assert.ok(d.StreamCreationTimestamp instanceof Date);
      assert.ok(Math.abs(d.StreamCreationTimestamp.getTime() - t0) < 10_000, d.StreamCreationTimestamp.toISOString());
      assert.deepEqual(d.Shards.map((s) => s.ShardId), [SHARD0, SHARD1]);
      assert.deepEqual(d.Shards.map((s) => [s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey]), [
        ["0", String(HALF - 1n)],
        [String(HALF), String(MAX_HASH)],
      ]);
      for (const s of d.Shards) {
        assert.match(s.SequenceNumberRange.StartingSequenceNumber, /^\d+$/);
        assert.equal(s.SequenceNumberRange.EndingSequenceNumber, undefined);
        assert.equal(s.ParentShardId, undefined);
      }

      const { StreamDescriptionSummary: sum } = await send(new DescribeStreamSummaryCommand({ StreamARN: streamArn(name) }));
      assert.equal(sum.StreamName, name);
      assert.equal(sum.StreamARN, streamArn(name));
      assert.equal(sum.StreamStatus, "ACTIVE");
      assert.equal(sum.OpenShardCount, 2);
      assert.equal(sum.RetentionPeriodHours, 24);
      assert.equal(sum.StreamModeDetails?.StreamMode, "PROVISIONED");
      assert.equal(sum.StreamCreationTimestamp.getTime(), d.StreamCreationTimestamp.getTime());

      const names = [];
      const summaries = [];
      for await (const page of paginateListStreams({ client, pageSize: 2 }, {})) {
        names.push(...page.StreamNames);
        summaries.push(...(page.StreamSummaries ?? []));
      }
      assert.ok(names.includes(name), `ListStreams should include ${name}: ${names}`);
      assert.equal(new Set(names).size, names.length, "ListStreams pages must not repeat names");
      const mine = summaries.find((s) => s.StreamName === name);
      assert.ok(mine, "StreamSummaries should include the stream");
      assert.equal(mine.StreamARN, streamArn(name));
      assert.equal(mine.StreamStatus, "ACTIVE");

      const all = await send(new ListShardsCommand({ StreamName: name }));
      assert.deepEqual(all.Shards.map((s) => s.ShardId), [SHARD0, SHARD1]);
      assert.equal(all.NextToken, undefined);
      const p1 = await send(new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
      assert.deepEqual(p1.Shards.map((s) => s.ShardId), [SHARD0]);
      assert.equal(typeof p1.NextToken, "string");
      const p2 = await send(new ListShardsCommand({ NextToken: p1.NextToken }));
      assert.deepEqual(p2.Shards.map((s) => s.ShardId), [SHARD1]);
      assert.equal(p2.NextToken, undefined);
      assert.deepEqual(p2.Shards[0], all.Shards[1]);
    });

    it("put record / put records: binary round trip, routing, per-record results in order", async () => {
      const name = await createActive("put", { ShardCount: 2 });
      const t0 = Date.now();

      const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const single = await send(new PutRecordCommand({ StreamName: name, Data: allBytes, PartitionKey: "pk-binary" }));
      assert.equal(single.ShardId, shardFor("pk-binary"));
      assert.match(single.SequenceNumber, /^\d+$/);

      const entries = [
        { Data: bytes([0x00]), PartitionKey: "a", ExplicitHashKey: "0" },
        { Data: bytes([0xff, 0xfe, 0x00, 0x01]), PartitionKey: "b", ExplicitHashKey: String(MAX_HASH) },
        { Data: bytes("héllo wörld ✓", "utf8"), PartitionKey: "c", ExplicitHashKey: String(HALF - 1n) },
        { Data: bytes(new Uint8Array(1000).fill(7)), PartitionKey: "d", ExplicitHashKey: String(HALF) },
        { Data: bytes("plain"), PartitionKey: "ünïcode-key" },
        { Data: bytes([1, 2, 3]), PartitionKey: "f", ExplicitHashKey: "12345" },
      ];
      const expectShard = (e) => (e.ExplicitHashKey !== undefined
        ? (BigInt(e.ExplicitHashKey) < HALF ? SHARD0 : SHARD1)
        : shardFor(e.PartitionKey));
      const many = await send(new PutRecordsCommand({ StreamName: name, Records: entries }));
      assert.equal(many.FailedRecordCount ?? 0, 0);
      assert.equal(many.Records.length, entries.length);
      many.Records.forEach((r, i) => {
        assert.equal(r.ErrorCode, undefined, `record ${i}: ${r.ErrorMessage}`);
        assert.equal(r.ShardId, expectShard(entries[i]), `record ${i} routed to the wrong shard`);
        assert.match(r.SequenceNumber, /^\d+$/);
      });

      // expected contents per shard, in write order
      const written = [
        { Data: allBytes, PartitionKey: "pk-binary", ShardId: single.ShardId, SequenceNumber: single.SequenceNumber },
        ...entries.map((e, i) => ({ ...e, ShardId: many.Records[i].ShardId, SequenceNumber: many.Records[i].SequenceNumber })),
      ];
      for (const shardId of [SHARD0, SHARD1]) {
        const expected = written.filter((w) => w.ShardId === shardId);
        // sequence numbers strictly increase within a shard, in write order
        for (let i = 1; i < expected.length; i++) {
          assert.ok(BigInt(expected[i].SequenceNumber) > BigInt(expected[i - 1].SequenceNumber));
        }
        const got = await readAll(await iterator(name, shardId, "TRIM_HORIZON"));
        assert.deepEqual(got.map((r) => r.SequenceNumber), expected.map((e) => e.SequenceNumber), shardId);
        got.forEach((r, i) => {
          assert.ok(r.Data instanceof Uint8Array);
          assert.deepEqual(Buffer.from(r.Data), Buffer.from(expected[i].Data), `data of ${r.SequenceNumber}`);
          assert.equal(r.PartitionKey, expected[i].PartitionKey);
          assert.ok(r.ApproximateArrivalTimestamp instanceof Date);
          const at = r.ApproximateArrivalTimestamp.getTime();
          assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, r.ApproximateArrivalTimestamp.toISOString());
        });
      }
    });

    it("a 1 MiB record round-trips (data + partition key at the limit)", async () => {
      const name = await createActive("big");
      const data = Buffer.alloc(1024 * 1024 - 2);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
      const put = await send(new PutRecordCommand({ StreamName: name, Data: data, PartitionKey: "pk" }));
      const got = await readAll(await iterator(name, SHARD0, "TRIM_HORIZON"));
      assert.equal(got.length, 1);
      assert.equal(got[0].SequenceNumber, put.SequenceNumber);
      assert.ok(Buffer.from(got[0].Data).equals(data), "1 MiB payload must round-trip byte for byte");
    });

    it("concurrent requests on one client", async () => {
      const name = await createActive("conc");
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
        send(new PutRecordCommand({ StreamName: name, Data: bytes(`r${i}`), PartitionKey: `k${i}` }))));
      const seqs = new Set(results.map((r) => r.SequenceNumber));
      assert.equal(seqs.size, 24);
      const got = await readAll(await iterator(name, SHARD0, "TRIM_HORIZON"));
      assert.equal(got.length, 24);
      assert.deepEqual(new Set(got.map((r) => r.SequenceNumber)), seqs);
    });

    if (mode.handler === "default") {
      it("concurrent requests multiplexed as streams of one HTTP/2 connection", async () => {
        const name = await createActive("mux", { ShardCount: 2 });
        const mux = makeClient(server.endpoint, "http2-multiplexed");
        try {
          // warm up: one session, then many concurrent streams on it
          await mux.send(new DescribeStreamSummaryCommand({ StreamName: name }));
          const puts = await Promise.all(Array.from({ length: 40 }, (_, i) => mux.send(new PutRecordCommand({
            StreamName: name, Data: bytes(`m${i}`.repeat(i + 1)), PartitionKey: `mux-${i}`,
          }))));
          assert.equal(new Set(puts.map((p) => p.SequenceNumber)).size, 40);
          const its = await Promise.all([SHARD0, SHARD1].map((ShardId) => mux.send(new GetShardIteratorCommand({
            StreamName: name, ShardId, ShardIteratorType: "TRIM_HORIZON",
          }))));
          const reads = await Promise.all(its.map((it) => mux.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }))));
          const got = reads.flatMap((r) => r.Records);
          assert.equal(got.length, 40);
          for (const r of got) {
            const i = Number(r.PartitionKey.slice(4));
            assert.equal(Buffer.from(r.Data).toString(), `m${i}`.repeat(i + 1));
          }
          assert.ok(mux.transports.every((t) => t === "h2"), mux.transports.join());
          assert.equal(mux.h2Sessions.size, 1, "all requests should share one HTTP/2 session");
        } finally {
          mux.destroy();
        }
      });
    }

    it("shard iterators: TRIM_HORIZON, AT/AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP (Date), Limit", async () => {
      const name = await createActive("iter");
      const tBefore = new Date(Date.now() - 60_000);
      const putBatch = async (prefix, n) => {
        const out = await send(new PutRecordsCommand({
          StreamName: name,
          Records: Array.from({ length: n }, (_, i) => ({ Data: bytes(`${prefix}${i}`), PartitionKey: `${prefix}${i}` })),
        }));
        assert.equal(out.FailedRecordCount ?? 0, 0);
        return out.Records.map((r) => r.SequenceNumber);
      };
      const a = await putBatch("a", 4);
      await sleep(20);
      const tMid = new Date();
      await sleep(20);
      const b = await putBatch("b", 3);
      const all = [...a, ...b];
      const seqs = (records) => records.map((r) => r.SequenceNumber);

      assert.deepEqual(seqs(await readAll(await iterator(name, SHARD0, "TRIM_HORIZON"))), all);
      assert.deepEqual(seqs(await readAll(await iterator(name, SHARD0, "AT_SEQUENCE_NUMBER",
        { StartingSequenceNumber: a[1] }))), all.slice(1));
      assert.deepEqual(seqs(await readAll(await iterator(name, SHARD0, "AFTER_SEQUENCE_NUMBER",
        { StartingSequenceNumber: a[1] }))), all.slice(2));
      assert.deepEqual(seqs(await readAll(await iterator(name, SHARD0, "AFTER_SEQUENCE_NUMBER",
        { StartingSequenceNumber: all.at(-1) }))), []);

      // AT_TIMESTAMP with a JS Date: first record that arrived at or after it
      const atMid = await readAll(await iterator(name, SHARD0, "AT_TIMESTAMP", { Timestamp: tMid }));
      assert.deepEqual(seqs(atMid), b);
      assert.deepEqual(atMid.map((r) => Buffer.from(r.Data).toString()), ["b0", "b1", "b2"]);
      for (const r of atMid) assert.ok(r.ApproximateArrivalTimestamp.getTime() >= tMid.getTime());
      // a timestamp before the stream's first record starts at the trim horizon
      assert.deepEqual(seqs(await readAll(await iterator(name, SHARD0, "AT_TIMESTAMP", { Timestamp: tBefore }))), all);

      // Limit, and NextShardIterator continuing where it stopped
      const lim = await send(new GetRecordsCommand({ ShardIterator: await iterator(name, SHARD0, "TRIM_HORIZON"), Limit: 2 }));
      assert.deepEqual(seqs(lim.Records), all.slice(0, 2));
      assert.ok(lim.MillisBehindLatest >= 0);
      assert.deepEqual(seqs(await readAll(lim.NextShardIterator)), all.slice(2));

      // LATEST: nothing now; a record written afterwards is seen through the same iterator chain
      const latest = await send(new GetRecordsCommand({ ShardIterator: await iterator(name, SHARD0, "LATEST") }));
      assert.deepEqual(latest.Records, []);
      assert.equal(latest.MillisBehindLatest, 0);
      const late = await send(new PutRecordCommand({ StreamName: name, Data: bytes("late"), PartitionKey: "late" }));
      const after = await send(new GetRecordsCommand({ ShardIterator: latest.NextShardIterator }));
      assert.deepEqual(seqs(after.Records), [late.SequenceNumber]);
      assert.equal(Buffer.from(after.Records[0].Data).toString(), "late");
    });

    it("tags: create with tags, add, list (paged), remove", async () => {
      const name = await createActive("tags", { Tags: { created: "at-create" } });
      await send(new AddTagsToStreamCommand({
        StreamName: name, Tags: { env: "test", team: "riffle", "with space": "a=b+c@d:e/f" },
      }));
      const tagsOf = async (input = {}) => send(new ListTagsForStreamCommand({ StreamName: name, ...input }));
      const full = await tagsOf();
      assert.equal(full.HasMoreTags, false);
      const asObj = (tags) => Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
      assert.deepEqual(asObj(full.Tags), {
        created: "at-create", env: "test", team: "riffle", "with space": "a=b+c@d:e/f",
      });

      const page1 = await tagsOf({ Limit: 2 });
      assert.equal(page1.Tags.length, 2);
      assert.equal(page1.HasMoreTags, true);
      const page2 = await tagsOf({ Limit: 50, ExclusiveStartTagKey: page1.Tags.at(-1).Key });
      assert.equal(page2.HasMoreTags, false);
      assert.deepEqual(asObj([...page1.Tags, ...page2.Tags]), asObj(full.Tags));

      // overwrite a value, remove two keys (one unknown: not an error)
      await send(new AddTagsToStreamCommand({ StreamARN: streamArn(name), Tags: { env: "prod" } }));
      await send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: ["team", "never-set"] }));
      assert.deepEqual(asObj((await tagsOf()).Tags), { created: "at-create", env: "prod", "with space": "a=b+c@d:e/f" });
    });

    it("retention: increase, decrease, and the bounds", async () => {
      const name = await createActive("ret");
      const retention = async () =>
        (await send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary.RetentionPeriodHours;
      assert.equal(await retention(), 24);
      await send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
      assert.equal(await retention(), 48);
      await expectError(send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 36 })), {
        name: "InvalidArgumentException", cls: InvalidArgumentException,
        message: `Requested retention period (36 hours) for stream ${name} can not be shorter than existing `
          + "retention period (48 hours). Use DecreaseRetentionPeriod API.",
      });
      await send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 24 }));
      assert.equal(await retention(), 24);
      await expectError(send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 12 })), {
        name: "InvalidArgumentException", cls: InvalidArgumentException,
        message: "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) is too short.",
      });
      assert.equal(await retention(), 24);
    });

    it("errors: not found, in use, validation, invalid iterator", async () => {
      const missing = uniqueName(`js-${mode.tag}-missing`);
      for (const cmd of [
        new DescribeStreamSummaryCommand({ StreamName: missing }),
        new DescribeStreamCommand({ StreamName: missing }),
        new PutRecordCommand({ StreamName: missing, Data: bytes("x"), PartitionKey: "k" }),
        new ListTagsForStreamCommand({ StreamName: missing }),
        new GetShardIteratorCommand({ StreamName: missing, ShardId: SHARD0, ShardIteratorType: "LATEST" }),
      ]) {
        await expectError(send(cmd), {
          name: "ResourceNotFoundException", message: rnfMessage(missing), cls: ResourceNotFoundException,
        });
      }

      const name = await createActive("err");
      await expectError(send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })), {
        name: "ResourceInUseException", cls: ResourceInUseException,
        message: `Stream ${name} under account ${ACCOUNT_ID} already exists.`,
      });
      await expectError(send(new GetShardIteratorCommand({
        StreamName: name, ShardId: "shardId-000000000007", ShardIteratorType: "TRIM_HORIZON",
      })), {
        name: "ResourceNotFoundException", cls: ResourceNotFoundException,
        message: `Shard shardId-000000000007 in stream ${name} under account ${ACCOUNT_ID} does not exist`,
      });

      const bad = "bad name!";
      const validationMsg = `1 validation error detected: Value '${bad}' at 'streamName' failed to satisfy constraint: `
        + `Member must satisfy regular expression pattern: ${STREAM_NAME_PATTERN}`;
      await expectError(send(new CreateStreamCommand({ StreamName: bad, ShardCount: 1 })), {
        name: "ValidationException", message: validationMsg, cls: ValidationException,
      });
      await expectError(send(new DescribeStreamSummaryCommand({ StreamName: bad })), {
        name: "ValidationException", message: validationMsg, cls: ValidationException,
      });

      await expectError(send(new GetRecordsCommand({ ShardIterator: "AAAAAAAAAAAAAAAAAAAA" })), {
        name: "InvalidArgumentException", message: "Invalid ShardIterator.", cls: InvalidArgumentException,
      });
      // a real iterator with one character changed is not accepted either
      const real = await iterator(name, SHARD0, "TRIM_HORIZON");
      const i = Math.floor(real.length / 2);
      const tampered = real.slice(0, i) + (real[i] === "A" ? "B" : "A") + real.slice(i + 1);
      await expectError(send(new GetRecordsCommand({ ShardIterator: tampered })), {
        name: "InvalidArgumentException", message: "Invalid ShardIterator.", cls: InvalidArgumentException,
      });
      // the untouched one still works
      assert.deepEqual((await send(new GetRecordsCommand({ ShardIterator: real }))).Records, []);
    });

    it("delete: DELETING then gone, not found afterwards", async () => {
      const name = await createActive("del");
      await send(new PutRecordCommand({ StreamName: name, Data: bytes("x"), PartitionKey: "k" }));
      const del = await send(new DeleteStreamCommand({ StreamName: name }));
      assert.equal(del.$metadata.httpStatusCode, 200);
      const waited = await waitUntilStreamNotExists({ client, ...WAITER }, { StreamName: name });
      assert.equal(waited.state, "SUCCESS");
      await expectError(send(new DescribeStreamSummaryCommand({ StreamName: name })), {
        name: "ResourceNotFoundException", message: rnfMessage(name), cls: ResourceNotFoundException,
      });
      await expectError(send(new DeleteStreamCommand({ StreamName: name })), {
        name: "ResourceNotFoundException", message: rnfMessage(name), cls: ResourceNotFoundException,
      });
      const { StreamNames } = await send(new ListStreamsCommand({ Limit: 100 }));
      assert.ok(!StreamNames.includes(name));
      // the name can be reused, and the new stream starts empty
      await send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      created.push(name);
      await waitStatus(client, name, "ACTIVE");
      assert.deepEqual(await readAll(await iterator(name, SHARD0, "TRIM_HORIZON")), []);
    });

    it(`every response came over ${mode.transport}`, () => {
      assert.ok(client.transports.length > 50, `only ${client.transports.length} responses recorded`);
      const wrong = client.transports.filter((t) => t !== mode.transport);
      assert.deepEqual(wrong, [], `responses not over ${mode.transport}`);
    });
  });
}
