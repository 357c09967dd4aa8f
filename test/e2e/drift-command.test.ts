/**
 * The `pulumi-phone-webhooks drift` command under the real CLI, run from the package installed in
 * the program's node_modules as users run it: no drift exits 0, a console edit exits 2 and the
 * report names the number and the field, a carrier that is down or refuses the credentials exits 1.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport } from "../../provider/cli/drift-report";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "staging";
const PASSWORD = "s3cr3t-hook-pw";
const CONSOLE_PASSWORD = "console-typed-pw";

describe.skipIf(!binDir)("the drift command", () => {
  let f: E2EFixture;
  let run: (
    ...args: string[]
  ) => Promise<{ code: number; stdout: string; stderr: string; report: DriftReport }>;

  beforeAll(async () => {
    f = await E2EFixture.start();
    await f.initStack(STACK, [
      {
        name: "voice",
        phoneNumber: "+14155550100",
        voiceUrl: "https://staging.example.com/voice",
        smsUrl: "secret:smsHook",
      },
      { name: "sms", phoneNumber: "+13125550202", smsUrl: "https://staging.example.com/sms" },
    ]);
    await f.setSecret(STACK, "smsHook", `https://bot:${PASSWORD}@staging.example.com/sms`);
    f.secrets.push(PASSWORD, CONSOLE_PASSWORD);
    expectSuccess(await f.up(STACK), "up");

    const bin = join(
      f.project.dir,
      "node_modules",
      "pulumi-phone-webhooks",
      "dist",
      "provider",
      "cli",
      "index.js",
    );
    let n = 0;
    run = (...args) =>
      new Promise((resolve, reject) => {
        const json = join(f.project.dir, "..", `drift-${++n}.json`);
        execFile(
          process.execPath,
          [bin, "drift", "--stack", STACK, "--json", json, ...args],
          // The directory of the program is given by --cwd, not inherited.
          { cwd: f.project.home, env: f.project.env, timeout: 300_000 },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== "number") return reject(error);
            const code = typeof error?.code === "number" ? error.code : 0;
            if (!existsSync(json))
              return reject(new Error(`no report written (exit ${code}):\n${stdout}\n${stderr}`));
            const report = JSON.parse(readFileSync(json, "utf8")) as DriftReport;
            resolve({ code, stdout, stderr, report });
          },
        );
      });
  });
  afterAll(async () => {
    await f?.close();
  });

  const expectNoSecrets = (...texts: string[]) => {
    for (const text of texts) for (const secret of f.secrets) expect(text).not.toContain(secret);
  };

  it("exits 0 with a clean report when the carriers match the program", async () => {
    const r = await run("--cwd", f.project.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ stack: STACK, status: "clean", resources: 2, drift: [] });
    expect(r.stdout).toContain("No drift in stack staging: 2 phone number resource(s)");
    expectNoSecrets(r.stdout, r.stderr, JSON.stringify(r.report));
  });

  it("exits 2 after a console edit, naming the number and the field", async () => {
    f.sandbox.control.editTwilioNumber("+14155550100", { voice_url: "https://console.example.com/voice" });
    const r = await run("--cwd", f.project.dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.report.status).toBe("drift");
    expect(r.report.resources).toBe(2);
    expect(r.report.drift).toEqual([
      {
        resource: "voice",
        urn: expect.stringContaining("::voice"),
        phoneNumber: "+14155550100",
        op: "update",
        fields: [
          {
            field: "voiceUrl",
            declared: "https://staging.example.com/voice",
            live: "https://console.example.com/voice",
          },
        ],
      },
    ]);
    expect(r.stdout).toMatch(
      /\+14155550100\s+voice\s+update\s+voiceUrl\s+https:\/\/staging\.example\.com\/voice\s+https:\/\/console\.example\.com\/voice/,
    );
    expectNoSecrets(r.stdout, r.stderr, JSON.stringify(r.report));
    // Only read: the carrier keeps the console's value.
    expect(f.sandbox.control.twilioNumber("+14155550100")!.voice_url).toBe(
      "https://console.example.com/voice",
    );
    f.sandbox.control.editTwilioNumber("+14155550100", { voice_url: "https://staging.example.com/voice" });
  });

  it("exits 2 when only a URL's password changed in the console, never showing either password", async () => {
    f.sandbox.control.editTwilioNumber("+14155550100", {
      sms_url: `https://bot:${CONSOLE_PASSWORD}@staging.example.com/sms`,
    });
    const r = await run("--cwd", f.project.dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.report.drift).toEqual([
      expect.objectContaining({
        phoneNumber: "+14155550100",
        op: "update",
        fields: [{ field: "smsUrl", declared: "[secret]", live: "[secret]", hidden: true }],
      }),
    ]);
    expectNoSecrets(r.stdout, r.stderr, JSON.stringify(r.report));
    f.sandbox.control.editTwilioNumber("+14155550100", {
      sms_url: `https://bot:${PASSWORD}@staging.example.com/sms`,
    });
    expect((await run("--cwd", f.project.dir)).code).toBe(0);
  });

  it("exits 1, not 2, when the carrier is down", async () => {
    f.sandbox.control.injectFault({ status: 503, times: Infinity, carrier: "twilio" });
    try {
      const r = await run("--cwd", f.project.dir);
      expect(r.code).toBe(1);
      expect(r.report.status).toBe("error");
      expect(r.report.error).toMatch(/503|twilio/i);
      expect(r.stderr).toContain("Drift check of stack staging failed");
      expectNoSecrets(r.stdout, r.stderr, JSON.stringify(r.report));
    } finally {
      f.sandbox.control.clearFaults();
    }
  });

  it("exits 1 when the carrier refuses the credentials (a revoked Auth Token)", async () => {
    // The engine refreshes with the provider configuration of the last update, so the credentials
    // go bad on the carrier's side: the account's Auth Token is rotated in the "console".
    const state = f.sandbox.control.state();
    f.sandbox.control.loadSeed({
      ...state,
      twilio: { ...state.twilio!, auth_token: "feedfacefeedfacefeedfacefeedface" },
    });
    const r = await run("--cwd", f.project.dir);
    expect(r.code).toBe(1);
    expect(r.report.status).toBe("error");
    expect(r.report.error).toMatch(/401|authenticat/i);
    expectNoSecrets(r.stdout, r.stderr, JSON.stringify(r.report));
  });

  it("exits 1 on a stack that does not exist", async () => {
    const missing = await run("--cwd", f.project.dir, "--stack", "nope");
    expect(missing.code).toBe(1);
    expect(missing.report.status).toBe("error");
    expect(missing.report.error).toMatch(/nope/);
  });
});
