/**
 * The Telnyx client deletes only what `onShared: "isolate"` makes: a DELETE on a phone number
 * releases it, so every other path is refused before any request is sent.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelnyxClient } from "../../provider/carriers/telnyx/client";

let server: Server;
const received: string[] = [];
let client: TelnyxClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "Content-Type": "application/json" }).end('{"data":{}}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  client = new TelnyxClient({ apiKey: "KEY_TEST", baseUrl: `http://127.0.0.1:${port}/v2` }, {
    attemptTimeoutMs: 2000,
    maxElapsedMs: 2000,
  } as never);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("TelnyxClient.delete", () => {
  it.each([
    "/phone_numbers/1293384261075731499",
    "phone_numbers/1",
    "/v2/phone_numbers/1",
    "/numbers/1",
    "/connections/1",
    "/credential_connections/1",
    "/call_control_applications/1/phone_numbers",
    "/messaging_profiles",
  ])("refuses %s without sending anything", async (path) => {
    await expect(client.delete("delete", path)).rejects.toThrow(
      /only copies of applications and messaging profiles/,
    );
    expect(received).toEqual([]);
  });

  it.each(["/call_control_applications/1", "/texml_applications/2", "/messaging_profiles/3"])(
    "sends %s",
    async (path) => {
      received.length = 0;
      await client.delete("delete", path);
      expect(received).toEqual([`DELETE /v2${path}`]);
    },
  );
});
