/**
 * The Telnyx per-request timeout (`phoneWebhooks:requestTimeoutMs`) ends a hung attempt, which is
 * then retried. Regression test for a bug the fault matrix found: `retryingFetch` used
 * `AbortSignal.timeout`, which Node holds only weakly, so a garbage collection while the request
 * was pending could collect it and the timeout never fired (nodejs/node#57736). The child process
 * makes that certain: V8 optimises everything (`--always-turbofan`) and collects every 20 ms.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed, startHarness, type CarrierHarness } from "../support/sandbox";
import { FAULT_ENV } from "./matrix";

const ALONE = "+13125550202";
const RETRY_TIMEOUT_MS = Number(FAULT_ENV.PHONE_WEBHOOKS_RETRY_TIMEOUT_MS);
const ROOT = join(__dirname, "..", "..");

describe("Telnyx per-request timeout (requestTimeoutMs)", () => {
  let h: CarrierHarness;
  beforeAll(async () => {
    h = await startHarness(demoSeed());
  });
  afterAll(async () => {
    await h.close();
  });

  it("ends a hung request after requestTimeoutMs and retries it (when nothing collects the timer)", async () => {
    const connectionId = h.sandbox.control.telnyxNumber(ALONE)!.connection_id!;
    h.sandbox.control.injectFault({
      kind: "hang",
      carrier: "telnyx",
      method: "GET",
      path: `/v2/connections/${connectionId}`,
    });
    const started = Date.now();
    const { props } = await h.provider(FAULT_ENV).read(`telnyx:${ALONE}`);
    expect(props?.phoneNumber).toBe(ALONE);
    expect(Date.now() - started).toBeLessThan(RETRY_TIMEOUT_MS);
    const calls = h.sandbox.control.requests().filter((r) => r.path === `/v2/connections/${connectionId}`);
    expect(calls.map((r) => r.fault ?? r.status)).toEqual(["hang", 200]);
  });

  describe("with V8 optimising everything and garbage collected while the request hangs", () => {
    let outcome: { provider: string };
    beforeAll(async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--expose-gc", "--always-turbofan", "--import", "tsx", join(__dirname, "request-timeout.child.ts")],
        { cwd: ROOT, timeout: 60_000 },
      );
      outcome = JSON.parse(stdout.trim().split("\n").pop()!) as typeof outcome;
    }, 90_000);

    it("retryingFetch still ends the hung attempt after attemptTimeoutMs and retries it", () => {
      expect(outcome.provider).toMatch(/^answered ok after \d+ ms$/);
    });
  });
});
