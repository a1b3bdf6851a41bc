// SigV4 with `riffle serve --auth`: the JavaScript SDK v3's signatures verify, over HTTP/2 and
// HTTP/1.1, and a wrong secret gets AWS's InvalidSignatureException.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, expectError, makeClient, startServer } from "./helpers.mjs";

let server;
before(async () => {
  server = await startServer({ extraArgs: ["--auth", "--access-key", `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`] });
});
after(async () => server?.stop());

for (const handler of ["default", "http1"]) {
  describe(`SigV4 (${handler} handler)`, () => {
    test("a correctly signed request is accepted", async () => {
      const out = await makeClient(server.endpoint, handler).send(new ListStreamsCommand({}));
      assert.deepEqual(out.StreamNames, []);
    });

    test("a wrong secret is refused with InvalidSignatureException", async () => {
      const client = makeClient(server.endpoint, handler, { secretAccessKey: "not-the-secret" });
      await expectError(client.send(new ListStreamsCommand({})), {
        name: "InvalidSignatureException",
        message:
          "The request signature we calculated does not match the signature you provided. Check your AWS " +
          "Secret Access Key and signing method. Consult the service documentation for details.",
      });
    });
  });
}
