/**
 * The `pulumi-phone-webhooks drift` command under the real CLI, run from the package installed in
 * the program's node_modules as users run it: no drift exits 0, a console edit exits 2 and the
 * report names the number and the field, a carrier that is down or refuses the credentials exits 1.
 * With a PhoneNumberWebhooksSet: a member's console edit, a member released at the carrier, and
 * numbers joining and leaving through `select` each show under the member's number and exit 2.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport } from "../../provider/cli/drift-report";
import { demoSeedWith, OLD_VOICE_URL } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "staging";
const PASSWORD = "s3cr3t-hook-pw";
const CONSOLE_PASSWORD = "console-typed-pw";

type Run = (
  ...args: string[]
) => Promise<{ code: number; stdout: string; stderr: string; report: DriftReport }>;

/** Runs the command installed in the fixture's program, on STACK, writing the report as JSON. */
function drift(f: E2EFixture): Run {
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
  return (...args) =>
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
}

describe.skipIf(!binDir)("the drift command", () => {
  let f: E2EFixture;
  let run: Run;

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

    run = drift(f);
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

  it("exits 2, not 1, for a number released at the carrier, which a preview would refuse to create", async () => {
    f.sandbox.control.deleteNumber("telnyx", "+13125550202");
    const preview = await f.preview(STACK);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout).toMatch(
      /Phone number \+13125550202 not found in twilio or telnyx or signalwire account/,
    );
    const r = await run("--cwd", f.project.dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.report.drift).toEqual([
      expect.objectContaining({ resource: "sms", phoneNumber: "+13125550202", op: "create" }),
    ]);
    expectNoSecrets(r.stdout, r.stderr, JSON.stringify(r.report));
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

describe.skipIf(!binDir)("the drift command with a PhoneNumberWebhooksSet", () => {
  const FLEET = ["+14155552000", "+14155552001", "+14155552002"];
  const SALES = ["+14155553001", "+14155553002"];
  const BOUGHT = "+14155553004";
  const VOICE = "https://fleet.example.com/voice";
  let f: E2EFixture;
  let run: Run;

  beforeAll(async () => {
    const seed = demoSeedWith({ twilio: FLEET });
    for (const [i, phone] of SALES.entries())
      seed.twilio!.incoming_phone_numbers!.push({
        phone_number: phone,
        friendly_name: `Sales ${i + 1}`,
        voice_url: OLD_VOICE_URL,
      });
    f = await E2EFixture.start(seed);
    await f.initStack(STACK, []);
    await f.declareSets(STACK, [
      {
        name: "fleet",
        provider: "twilio",
        voiceUrl: VOICE,
        numbers: [FLEET[0], { phoneNumber: FLEET[1], voiceUrl: "https://own.example.com/voice" }, FLEET[2]],
      },
      {
        name: "sales",
        voiceUrl: "https://sales.example.com/voice",
        select: { friendlyNamePrefix: "Sales " },
      },
    ]);
    expectSuccess(await f.up(STACK), "up");
    run = drift(f);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("exits 0 when every member matches, counting the sets and their members", async () => {
    const r = await run("--cwd", f.project.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ status: "clean", resources: 0, sets: 2, setMembers: 5, drift: [] });
    expect(r.stdout).toContain("and 2 set(s) of 5 member(s) match the carriers");
  });

  it("exits 2 naming the set, each member's number and field, and members that joined, left or were released", async () => {
    f.sandbox.control.editTwilioNumber(FLEET[0]!, { voice_url: "https://console.example.com/x" });
    f.sandbox.control.editTwilioNumber(FLEET[1]!, { voice_url: "https://console.example.com/own" });
    f.sandbox.control.deleteNumber("twilio", FLEET[2]!);
    f.sandbox.control.buyTwilioNumber({
      phone_number: BOUGHT,
      friendly_name: "Sales 4",
      voice_url: OLD_VOICE_URL,
    });
    f.sandbox.control.editTwilioNumber(SALES[0]!, { friendly_name: "Support 1" });
    const r = await run("--cwd", f.project.dir);
    expect(r.code, r.stderr).toBe(2);
    const member = (resource: string, phoneNumber: string, more: Record<string, unknown>) => ({
      resource,
      urn: expect.stringContaining(`PhoneNumberWebhooksSet::${resource}`),
      phoneNumber,
      op: "update",
      fields: [],
      set: true,
      ...more,
    });
    expect(r.report.drift).toEqual([
      member("fleet", FLEET[0]!, {
        member: "changed",
        fields: [{ field: "voiceUrl", declared: VOICE, live: "https://console.example.com/x" }],
      }),
      member("fleet", FLEET[1]!, {
        member: "changed",
        fields: [
          {
            field: "voiceUrl",
            declared: "https://own.example.com/voice",
            live: "https://console.example.com/own",
          },
        ],
      }),
      member("fleet", FLEET[2]!, { member: "released" }),
      member("sales", SALES[0]!, { member: "left", via: "select" }),
      member("sales", BOUGHT, { member: "joined", via: "select" }),
    ]);
    expect(r.stdout).toMatch(
      /\+14155552000\s+fleet \(set\)\s+update\s+voiceUrl\s+https:\/\/fleet\.example\.com\/voice\s+https:\/\/console\.example\.com\/x/,
    );
    expect(r.stdout).toMatch(/\+14155552002\s+fleet \(set\)\s+released/);
    expect(r.stdout).toMatch(/\+14155553004\s+sales \(set\)\s+joined \(select\)/);
    // Only read: the console's values stay.
    expect(f.sandbox.control.twilioNumber(FLEET[0]!)!.voice_url).toBe("https://console.example.com/x");
  });
});
