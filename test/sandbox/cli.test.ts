/** The phone-webhooks-sandbox CLI: flags, the one JSON line, and running until a signal. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../sandbox/cli";
import type { Sandbox } from "../../sandbox";
import { DEMO_SEED_FILE, telnyxClient, twilioClient } from "./support";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

let running: Sandbox | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe("phone-webhooks-sandbox (in process)", () => {
  it("prints exactly one JSON line with the base URLs, and serves the seed", async () => {
    const o = io();
    running = await main(["--port", "0", "--seed", DEMO_SEED_FILE, "--validate-twilio"], o.io);
    expect(o.out).toHaveLength(1);
    const line = JSON.parse(o.out[0]!) as Record<string, string>;
    expect(Object.keys(line)).toEqual(["url", "twilioBaseUrl", "telnyxBaseUrl", "signalwireBaseUrl"]);
    expect(line["telnyxBaseUrl"]).toBe(`${line["url"]}/v2`);
    expect(line["twilioBaseUrl"]).toBe(line["url"]);
    expect(await twilioClient(running!).list({ phoneNumber: "+14155550100" })).toHaveLength(1);
    expect((await telnyxClient(running!).phoneNumbers.list()).data).toHaveLength(3);
    expect(running!.control.validationErrors()).toEqual([]);
  });

  it("uses the demo seed by default, and rejects bad flags", async () => {
    const o = io();
    running = await main(["--port", "0"], o.io);
    expect(running!.control.state().telnyx.phone_numbers).toHaveLength(3);
    await expect(main(["--port", "99999"], o.io)).rejects.toThrow(/--port/);
    await expect(main(["--bogus"], o.io)).rejects.toThrow(/bogus/);
    const help = io();
    expect(await main(["--help"], help.io)).toBeUndefined();
    expect(help.out[0]).toMatch(/Usage: phone-webhooks-sandbox/);
  });
});

describe.runIf(existsSync(TSX))("phone-webhooks-sandbox (a separate process)", () => {
  it("keeps running until SIGTERM and can be driven over HTTP meanwhile", async () => {
    const child = spawn(
      TSX,
      [join(ROOT, "sandbox", "cli.ts"), "--port", "0", "--seed", "sandbox/seeds/demo.json"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout });
        rl.once("line", resolve);
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      });
      const { url } = JSON.parse(firstLine) as { url: string };
      const info = (await (await fetch(`${url}/_sandbox`)).json()) as { telnyxBaseUrl: string };
      expect(info.telnyxBaseUrl).toBe(`${url}/v2`);
      const reset = await fetch(`${url}/_sandbox/reset`, { method: "POST" });
      expect(reset.status).toBe(200);
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
      await expect(fetch(`${url}/_sandbox`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 20_000);
});
