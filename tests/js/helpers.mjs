// Shared fixtures for the Riffle JavaScript (AWS SDK for JavaScript v3) compatibility suite.
//
// * startServer()  – spawns `riffle serve --addr 127.0.0.1:0` on a temp data dir (50 ms state delays),
//                    reads the port from its "riffle listening on http://127.0.0.1:PORT, ..." line.
// * makeClient()   – a KinesisClient with static credentials, us-east-1, no retries, and either the
//                    SDK's default request handler (NodeHttp2Handler for Kinesis) or NodeHttpHandler
//                    (HTTP/1.1); every response's transport is recorded (see `transports`).
// * small helpers  – unique names, waiting for stream states, asserting exact errors.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from "node:fs";
import { tmpdir, devNull } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

// Keep the suite hermetic before any SDK code runs: no user config/credentials files, no IMDS,
// no profile, no endpoint or defaults-mode overrides from the environment.
process.env.AWS_CONFIG_FILE = devNull;
process.env.AWS_SHARED_CREDENTIALS_FILE = devNull;
process.env.AWS_EC2_METADATA_DISABLED = "true";
for (const v of Object.keys(process.env)) {
  if (v === "AWS_PROFILE" || v === "AWS_DEFAULTS_MODE" || v === "AWS_REGION" || v.startsWith("AWS_ENDPOINT_URL")
      || v === "AWS_USE_FIPS_ENDPOINT" || v === "AWS_USE_DUALSTACK_ENDPOINT" || v === "AWS_MAX_ATTEMPTS"
      || v === "AWS_RETRY_MODE" || v === "AWS_ACCESS_KEY_ID" || v === "AWS_SECRET_ACCESS_KEY"
      || v === "AWS_SESSION_TOKEN") {
    delete process.env[v];
  }
}

// The SDK warns once per process that releases after January 2027 will need Node >= 22; the suite
// targets the Node 20 installed here, so drop that one warning and keep every other.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning?.message ?? warning).startsWith("NodeVersionSupportWarning")) return;
  emitWarning(warning, ...rest);
};

const { KinesisClient } = await import("@aws-sdk/client-kinesis");
const { NodeHttpHandler, NodeHttp2Handler } = await import("@smithy/node-http-handler");

export { NodeHttpHandler, NodeHttp2Handler };

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ACCOUNT_ID = "000000000000";
export const REGION = "us-east-1";
export const MAX_HASH = (1n << 128n) - 1n;
export const ACCESS_KEY_ID = "AKIDRIFFLETEST000000";
export const SECRET_ACCESS_KEY = "riffle-test-secret-key";
const LISTEN_RE = /riffle listening on (https?):\/\/127\.0\.0\.1:(\d+)/;

export const streamArn = (name) => `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/${name}`;
export const rnfMessage = (name) => `Stream ${name} under account ${ACCOUNT_ID} not found.`;
export const uniqueName = (prefix = "js") => `${prefix}-${randomUUID().replaceAll("-", "").slice(0, 12)}`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function riffleBinary() {
  return process.env.RIFFLE_BIN || path.join(REPO_ROOT, "target", "debug", "riffle");
}

/** Starts `riffle serve` on 127.0.0.1:0 in a fresh temp data dir. Resolves to {endpoint, stop, logTail}. */
export async function startServer({ delayMs = 50, timeoutMs = 30_000, extraArgs = [] } = {}) {
  const base = mkdtempSync(path.join(tmpdir(), "riffle-js-"));
  const logPath = path.join(base, "server.log");
  const logFd = openSync(logPath, "a");
  const d = String(delayMs);
  const args = ["serve", "--addr", "127.0.0.1:0", "--data-dir", path.join(base, "data"),
    "--create-delay-ms", d, "--delete-delay-ms", d, "--update-delay-ms", d, ...extraArgs];
  const child = spawn(riffleBinary(), args, { stdio: ["ignore", "pipe", logFd], cwd: base });
  closeSync(logFd);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const logTail = (n = 30) => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-n).join("\n");
    } catch {
      return "(no server log)";
    }
  };

  const endpoint = await new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`riffle did not print its listen line within ${timeoutMs} ms\n${logTail()}`));
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${riffleBinary()}: ${e.message} (run \`cargo build -p riffle-cli\` or set RIFFLE_BIN)`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`riffle exited (code ${code}, signal ${signal}) before listening\n${logTail()}`));
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      const m = LISTEN_RE.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}://127.0.0.1:${m[2]}`);
      }
    });
  });
  // keep draining stdout so the server never blocks on a full pipe
  child.stdout.resume();

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      let timer;
      const timeout = new Promise((r) => { timer = setTimeout(() => r("timeout"), 15_000); });
      const first = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (first === "timeout") {
        child.kill("SIGKILL");
        await exited;
        rmSync(base, { recursive: true, force: true });
        throw new Error(`riffle did not exit within 15 s of SIGTERM\n${logTail()}`);
      }
    }
    const result = await exited;
    rmSync(base, { recursive: true, force: true });
    return result;
  }

  return { endpoint, stop, logTail, pid: child.pid };
}

/**
 * What carried a response: "h2" (a ClientHttp2Stream on an h2c session), "http/1.1" (an
 * IncomingMessage with httpVersion 1.1), or something unexpected. Read from the raw HttpResponse
 * before the SDK consumes its body.
 */
function transportOf(response) {
  const body = response?.body;
  if (!body) return "unknown";
  if (body.constructor?.name === "ClientHttp2Stream") {
    const alpn = body.session?.alpnProtocol; // "h2c" for cleartext prior-knowledge HTTP/2
    return alpn === "h2c" || alpn === "h2" ? "h2" : `h2?(${alpn})`;
  }
  if (typeof body.httpVersion === "string") return `http/${body.httpVersion}`;
  return `unknown(${body.constructor?.name})`;
}

/**
 * A KinesisClient for `endpoint`.
 *   handler: "default" – leave requestHandler unset, so the SDK picks its own (NodeHttp2Handler);
 *            "http1"   – NodeHttpHandler (HTTP/1.1 keep-alive).
 *            "http2-multiplexed" – NodeHttp2Handler sharing one session between concurrent requests.
 * The returned client has `transports`, an array with the transport of every raw response, and
 * `h2Sessions`, the distinct HTTP/2 sessions that carried them.
 */
export function makeClient(endpoint, handler, { secretAccessKey = SECRET_ACCESS_KEY } = {}) {
  const config = {
    endpoint,
    region: REGION,
    // static credentials (a fresh object: the SDK annotates it)
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey },
    // Any attempt to fall back to the machine's credential chain fails loudly.
    credentialDefaultProvider: () => async () => {
      throw new Error("the suite must not load credentials from the machine");
    },
    maxAttempts: 1, // no retries: errors must surface
  };
  if (handler === "http1") {
    config.requestHandler = new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 });
  } else if (handler === "http2-multiplexed") {
    // The default handler opens one HTTP/2 session per request (disableConcurrentStreams: true);
    // this one multiplexes concurrent requests as streams of one session.
    config.requestHandler = new NodeHttp2Handler({ disableConcurrentStreams: false, requestTimeout: 30_000 });
  } else if (handler !== "default") {
    throw new Error(`unknown handler ${handler}`);
  }
  const client = new KinesisClient(config);
  const transports = [];
  const sessions = new Set();
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      transports.push(transportOf(result.response));
      if (result.response?.body?.session) sessions.add(result.response.body.session);
      return result;
    },
    // innermost deserialize middleware: sees the raw HttpResponse before the body is read
    { step: "deserialize", name: "riffleTransportProbe", priority: "low" },
  );
  client.transports = transports;
  client.h2Sessions = sessions;
  return client;
}

/** Polls DescribeStreamSummary until the stream reaches `status`. */
export async function waitStatus(client, name, status = "ACTIVE", timeoutMs = 10_000) {
  const { DescribeStreamSummaryCommand } = await import("@aws-sdk/client-kinesis");
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    last = out.StreamDescriptionSummary.StreamStatus;
    if (last === status) return out.StreamDescriptionSummary;
    await sleep(25);
  }
  throw new Error(`stream ${name} did not reach ${status} within ${timeoutMs} ms (last ${last})`);
}

/**
 * Asserts that `promise` rejects with a modeled error: name, exact message (string) or a
 * predicate/regexp, HTTP status, and optionally the SDK's exception class.
 */
export async function expectError(promise, { name, message, status = 400, cls }) {
  let err;
  try {
    const out = await promise;
    assert.fail(`expected ${name} but the call succeeded: ${JSON.stringify(out)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const got = `got name=${err.name} status=${err.$metadata?.httpStatusCode} message=${JSON.stringify(err.message)}`;
  assert.equal(err.name, name, `expected ${name}; ${got}`);
  if (typeof message === "string") assert.equal(err.message, message, got);
  else if (message instanceof RegExp) assert.match(err.message, message, got);
  assert.equal(err.$metadata?.httpStatusCode, status, `expected HTTP ${status}; ${got}`);
  assert.equal(err.$fault, status >= 500 ? "server" : "client", got);
  if (cls) assert.ok(err instanceof cls, `expected an instance of ${cls.name}; ${got}`);
  return err;
}
