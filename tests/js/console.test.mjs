// The web console (issue 8) in a real browser: headless Chromium (Debian's, /usr/bin/chromium)
// driven by playwright-core loads /console from a running `riffle serve` with live traffic and
// checks what a person would see — the stream and its status in the list, the hash-key bar
// and lineage tree after a split, charts that move, fan-out consumers, a KCL-style lease table,
// and the record browser showing a record's text and a KPL aggregate's user records. It takes
// screenshots of the main pages; RIFFLE_UPDATE_SCREENSHOTS=1 writes them to docs/console/ (shown
// in docs/console.md), otherwise they go to a temp dir so a test run leaves the tree clean.
// With --auth on, the console asks for an access key (HTTP Basic) and opens with one.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
} from "@aws-sdk/client-kinesis";
import agg from "aws-kinesis-agg";
import { chromium } from "playwright-core";

import { ACCESS_KEY_ID, REPO_ROOT, SECRET_ACCESS_KEY, makeClient, sleep, startServer, streamArn, waitStatus } from "./helpers.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
// As this machine's notes say: without the background-networking flags Chromium keeps trying
// Google's hosts, which the closed network refuses.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const KEEP_SHOTS = Boolean(process.env.RIFFLE_UPDATE_SCREENSHOTS);
const SHOTS = KEEP_SHOTS ? path.join(REPO_ROOT, "docs", "console") : mkdtempSync(path.join(tmpdir(), "riffle-console-"));
const STREAM = "console-orders";
// Skipped where Chromium is missing, except in CI (.ci/run installs it and sets RIFFLE_REQUIRE_BROWSER).
const skip = existsSync(CHROMIUM) || process.env.RIFFLE_REQUIRE_BROWSER ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

/** DynamoDB JSON 1.0, unsigned (the server runs without --auth). */
async function dynamo(endpoint, op, body) {
  const resp = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${op}` },
    body: JSON.stringify(body),
  });
  const out = await resp.json();
  assert.equal(resp.status, 200, `${op}: ${JSON.stringify(out)}`);
  return out;
}

const launch = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });

describe("web console in headless Chromium", { skip }, () => {
  let server, client, browser, page, stopTraffic, first, browseShard;

  before(async () => {
    server = await startServer();
    client = makeClient(server.endpoint, "http1");
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
    await client.send(new CreateStreamCommand({ StreamName: "console-clicks", StreamModeDetails: { StreamMode: "ON_DEMAND" } }));
    await waitStatus(client, STREAM);
    await waitStatus(client, "console-clicks");

    // What the record browser will show: a JSON record, then a KPL aggregate of three.
    first = await client.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: "browse",
      Data: Buffer.from(JSON.stringify({ order: 42, item: "green tea" })) }));
    browseShard = first.ShardId;
    const aggregator = new agg.RecordAggregator();
    for (const i of [0, 1, 2]) aggregator.addUserRecord({ partitionKey: `user-${i}`, data: Buffer.from(`kpl user record ${i}`) });
    const built = aggregator.build();
    const aggPut = await client.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: "browse", Data: built.data }));
    assert.equal(aggPut.ShardId, browseShard);

    // Reshard and register a fan-out consumer.
    await client.send(new SplitShardCommand({ StreamName: STREAM, ShardToSplit: "shardId-000000000000",
      NewStartingHashKey: (1n << 126n).toString() }));
    await waitStatus(client, STREAM);
    await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn(STREAM), ConsumerName: "audit-efo" }));

    // A KCL-style lease table, written through the DynamoDB endpoint on the same port.
    await dynamo(server.endpoint, "CreateTable", { TableName: "orders-app",
      KeySchema: [{ AttributeName: "leaseKey", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "leaseKey", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST" });
    const leases = [
      [browseShard, "worker-a", "12", first.SequenceNumber],
      ["shardId-000000000002", "worker-b", "7", "TRIM_HORIZON"],
    ];
    for (const [key, owner, counter, checkpoint] of leases) {
      await dynamo(server.endpoint, "PutItem", { TableName: "orders-app", Item: {
        leaseKey: { S: key }, leaseOwner: { S: owner }, leaseCounter: { N: counter },
        checkpoint: { S: checkpoint }, checkpointSubSequenceNumber: { N: "0" }, ownerSwitchesSinceCheckpoint: { N: "0" } } });
    }

    // Live traffic until the end: writes to every shard, reads from one.
    let running = true;
    const writer = (async () => {
      for (let n = 0; running; n++) {
        const Records = Array.from({ length: 25 }, (_, i) => ({ PartitionKey: `k-${n}-${i}`, Data: Buffer.from(`event ${n}.${i}`) }));
        await client.send(new PutRecordsCommand({ StreamName: STREAM, Records }));
        await sleep(100);
      }
    })();
    const reader = (async () => {
      let { ShardIterator: it } = await client.send(new GetShardIteratorCommand({ StreamName: STREAM,
        ShardId: "shardId-000000000001", ShardIteratorType: "TRIM_HORIZON" }));
      while (running && it) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 100 }));
        it = out.NextShardIterator;
        await sleep(200);
      }
    })();
    stopTraffic = async () => {
      running = false;
      await Promise.all([writer, reader]);
    };

    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stopTraffic?.();
    await server?.stop();
    if (!KEEP_SHOTS) rmSync(SHOTS, { recursive: true, force: true });
  });

  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const text = (selector) => page.locator(selector).first().innerText();

  it("lists the streams with status, mode and open shards", async () => {
    await page.goto(`${server.endpoint}/console/`);
    const row = page.locator(`tr[data-stream="${STREAM}"]`);
    await row.locator("td.status", { hasText: "ACTIVE" }).waitFor();
    assert.equal(await row.locator("td.open-shards").innerText(), "3");
    assert.match(await page.locator(`tr[data-stream="console-clicks"]`).innerText(), /On-demand/);
    await shot("streams");
  });

  it("draws the shards as a bar over the key space and the split as a tree", async () => {
    await page.click(`a[href="#/streams/${STREAM}"]`);
    await page.locator(".bar.open .seg").nth(2).waitFor();
    assert.equal(await page.locator(".bar.open .seg").count(), 3, "three open shards tile the key space");
    const parent = page.locator('.lineage li[data-shard="shardId-000000000000"]');
    assert.match(await parent.locator(".node").first().innerText(), /CLOSED/);
    for (const child of ["shardId-000000000002", "shardId-000000000003"]) {
      assert.match(await parent.locator(`li[data-shard="${child}"] .node`).innerText(), /OPEN/, `${child} under its parent`);
    }
    const width = (id) => page.locator(`.bar.open .seg[data-shard="${id}"]`).evaluate((e) => e.style.width);
    assert.equal(await width("shardId-000000000002"), "25%");
    assert.equal(await width("shardId-000000000001"), "50%");
    await shot("shards");
  });

  it("charts write and read throughput that move with the traffic", async () => {
    await page.goto(`${server.endpoint}/console/#/streams/${STREAM}/monitoring`);
    const moving = (metric) => page.waitForFunction((m) => {
      const c = document.querySelector(`canvas[data-metric="${m}"]`);
      return c && Number(c.dataset.latest) > 0 && Number(c.dataset.points) >= 8;
    }, metric, { timeout: 15_000 });
    await Promise.all(["writeRecords", "writeBytes", "readRecords", "readBytes"].map(moving));
    const latest = await page.locator('canvas[data-metric="writeRecords"]').getAttribute("data-latest");
    assert.ok(Number(latest) > 10, `about 250 records/s go in, the chart says ${latest}`);
    await shot("monitoring");
  });

  it("shows the fan-out consumer and the lease table rows", async () => {
    await page.click(`a[href="#/streams/${STREAM}/consumers"]`);
    assert.match(await page.locator('tr[data-consumer="audit-efo"]').innerText(), /ACTIVE/);
    await page.click('a[href="#/leases"]');
    const row = page.locator(`tr[data-lease="${browseShard}"]`);
    await row.waitFor();
    assert.equal(await row.locator("td.owner").innerText(), "worker-a");
    assert.match(await row.locator("td.lag").innerText(), /^\d+$/, "lag in records behind the tip");
    assert.equal(await page.locator('tr[data-lease="shardId-000000000002"] td.owner').innerText(), "worker-b");
    await shot("leases");
  });

  it("browses records: text, pretty JSON, hex, and a KPL aggregate's user records", async () => {
    await page.goto(`${server.endpoint}/console/#/streams/${STREAM}/data`);
    await page.selectOption('select[name="shard"]', browseShard);
    await page.selectOption('select[name="from"]', "TRIM_HORIZON");
    await page.fill('input[name="n"]', "2");
    await page.click('button[type="submit"]');
    const firstRow = page.locator(`tr.record[data-seq="${first.SequenceNumber}"]`);
    await firstRow.waitFor();
    assert.equal(await firstRow.locator("pre.data").innerText(), '{"order":42,"item":"green tea"}');
    assert.match(await text("tr.aggregate"), /KPL aggregate of 3 user records/);
    const users = page.locator("tr.user");
    assert.equal(await users.count(), 3);
    for (const i of [0, 1, 2]) {
      assert.equal(await users.nth(i).locator("td.sub").innerText(), String(i));
      assert.equal(await users.nth(i).locator("pre.data").innerText(), `kpl user record ${i}`);
    }
    await page.selectOption('select[name="format"]', "json");
    assert.match(await firstRow.locator("pre.json").innerText(), /\n {2}"order": 42,\n {2}"item": "green tea"\n/);
    await shot("data-viewer");
    await page.selectOption('select[name="format"]', "hex");
    assert.match(await firstRow.locator("pre.hex").innerText(), /^00000000 {2}7b 22 6f 72 64 65 72 22/);
  });
});

describe("web console under --auth", { skip }, () => {
  let server, browser;
  before(async () => {
    server = await startServer({ extraArgs: ["--auth", "--access-key", `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`] });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("asks for an access key and opens with the right one", async () => {
    const denied = await fetch(`${server.endpoint}/console/`);
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get("www-authenticate"), /^Basic realm="riffle console"/);
    const wrong = await browser.newContext({ httpCredentials: { username: ACCESS_KEY_ID, password: "not-the-secret" } });
    assert.equal((await (await wrong.newPage()).goto(`${server.endpoint}/console/`)).status(), 401);
    const signedIn = await browser.newContext({ httpCredentials: { username: ACCESS_KEY_ID, password: SECRET_ACCESS_KEY } });
    const page = await signedIn.newPage();
    assert.equal((await page.goto(`${server.endpoint}/console/`)).status(), 200);
    await page.locator("main", { hasText: "No data streams yet" }).waitFor();
  });
});
