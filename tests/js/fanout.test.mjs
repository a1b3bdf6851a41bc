// Enhanced fan-out through the AWS SDK for JavaScript v3: RegisterStreamConsumer, then
// SubscribeToShard's event stream, over the SDK's default handler (HTTP/2, h2c) and HTTP/1.1.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-kinesis";

import { makeClient, sleep, startServer, streamArn, uniqueName, waitStatus } from "./helpers.mjs";

const SHARD0 = "shardId-000000000000";

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (server) await server.stop();
});

async function activeConsumer(client, arn, name) {
  const reg = await client.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: name }));
  assert.equal(reg.Consumer.ConsumerStatus, "CREATING");
  for (let i = 0; i < 200; i++) {
    const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: reg.Consumer.ConsumerARN }));
    if (d.ConsumerDescription.ConsumerStatus === "ACTIVE") return reg.Consumer.ConsumerARN;
    await sleep(25);
  }
  throw new Error("consumer never became ACTIVE");
}

for (const mode of [{ label: "default handler (HTTP/2)", handler: "default", transport: "h2" },
                    { label: "NodeHttpHandler (HTTP/1.1)", handler: "http1", transport: "http/1.1" }]) {
  describe(`SubscribeToShard, ${mode.label}`, () => {
    it("pushes records in order as they are put, with advancing continuations", async () => {
      const client = makeClient(server.endpoint, mode.handler);
      const name = uniqueName("fan");
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await waitStatus(client, name);
      const consumer = await activeConsumer(client, streamArn(name), "app");
      const out = await client.send(new SubscribeToShardCommand({
        ConsumerARN: consumer, ShardId: SHARD0, StartingPosition: { Type: "TRIM_HORIZON" },
      }));
      assert.equal(client.transports.at(-1), mode.transport);
      const N = 25;
      const put = (async () => {
        const seqs = [];
        for (let i = 0; i < N; i++) {
          const r = await client.send(new PutRecordCommand({
            StreamName: name, PartitionKey: "k", Data: Buffer.from(`r${i}`),
          }));
          seqs.push(r.SequenceNumber);
        }
        return seqs;
      })();
      const got = [];
      let last = "";
      const timer = setTimeout(() => { throw new Error("no records within 15 s"); }, 15_000);
      for await (const ev of out.EventStream) {
        const e = ev.SubscribeToShardEvent;
        assert.ok(e, `unexpected event ${JSON.stringify(Object.keys(ev))}`);
        assert.ok(e.ContinuationSequenceNumber >= last);
        last = e.ContinuationSequenceNumber;
        for (const r of e.Records) got.push([r.SequenceNumber, Buffer.from(r.Data).toString()]);
        if (got.length >= N) break;
      }
      clearTimeout(timer);
      const seqs = await put;
      assert.deepEqual(got.map((g) => g[0]), seqs);
      assert.deepEqual(got.map((g) => g[1]), Array.from({ length: N }, (_, i) => `r${i}`));
      assert.equal(last, seqs[N - 1]);
    });

    it("refuses unknown consumers with ResourceNotFoundException", async () => {
      const client = makeClient(server.endpoint, mode.handler);
      const name = uniqueName("fan");
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await waitStatus(client, name);
      await assert.rejects(
        client.send(new SubscribeToShardCommand({
          ConsumerARN: `${streamArn(name)}/consumer/nobody:1700000000`, ShardId: SHARD0,
          StartingPosition: { Type: "LATEST" },
        })),
        (e) => e instanceof ResourceNotFoundException,
      );
    });
  });
}
