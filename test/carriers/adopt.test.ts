/**
 * `pulumi-phone-webhooks adopt` against the sandbox, through the real SDKs: the file it writes for
 * an account of mixed shapes, that it only reads, that resources declaring the file take every
 * number over with no carrier write and give it back with none, and `adopt --check`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdopt, type AdoptOptions } from "../../provider/cli/adopt";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
import { numberArgs, readNumbersFile, type NumberEntry } from "../../provider/numbers-file";
import type { CheckedArgs } from "../../provider/schema";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { mixedSeed, SUBACCOUNT, TELNYX_SHAPES, TWILIO_SHAPES } from "../support/adopt-seed";

let sandbox: Sandbox;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), "adopt-"));
const COUNTS = { twilio: 40, subaccount: 4, telnyx: 16 };

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, seed: mixedSeed(COUNTS), validateTwilio: true });
  env = { ...providerEnvironment(sandbox), PHONE_WEBHOOKS_JOURNAL_DIR: join(dir, "journal") };
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function adopt(
  argv: string[],
  progress?: AdoptOptions["progress"],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdopt(
    argv,
    { out: (t) => out.push(t), err: (t) => err.push(t) },
    {
      env,
      now: () => new Date("2026-01-02T03:04:05.000Z"),
      progress,
    },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** A progress clock that moves one second each time it is read: a line is due every 5 reads. */
function steppingClock(): AdoptOptions["progress"] {
  let now = 0;
  return { now: () => (now += 1_000), intervalMs: 5_000 };
}

/** The progress lines of `label` on stderr, as [done, total]. */
function progressOf(stderr: string, label: string): Array<[number, number]> {
  const pattern = new RegExp(`^${label}: (\\d+) of (\\d+) numbers read, \\d+/s$`);
  return stderr
    .split("\n")
    .map((line) => pattern.exec(line))
    .filter((m) => m !== null)
    .map((m) => [Number(m[1]), Number(m[2])]);
}

/** Counts that grow to the total, one line per 5 reads at most, and the final one. */
function expectProgress(lines: Array<[number, number]>, total: number): void {
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const [, of] of lines) expect(of).toBe(total);
  for (let i = 1; i < lines.length; i++) expect(lines[i]![0]).toBeGreaterThan(lines[i - 1]![0]);
  expect(lines.at(-1)![0]).toBe(total);
  expect(lines.length).toBeLessThanOrEqual(Math.floor(total / 5) + 1);
}

const writes = () => sandbox.control.requests().filter((r) => r.method !== "GET");
const twilioNumber = (i: number) => `+1415555${String(i).padStart(4, "0")}`;
const telnyxNumber = (i: number) => `+1312555${String(i).padStart(4, "0")}`;
/** The first number of a shape. */
const twilioOf = (shape: (typeof TWILIO_SHAPES)[number]) => twilioNumber(TWILIO_SHAPES.indexOf(shape));
const telnyxOf = (shape: (typeof TELNYX_SHAPES)[number]) => telnyxNumber(TELNYX_SHAPES.indexOf(shape));

/** The block of comment and entry lines of one number in the file. */
function block(text: string, phoneNumber: string): string {
  const blocks = text.split("\n\n");
  return blocks.find((b) => b.includes(`phoneNumber: "${phoneNumber}"`)) ?? "";
}

/** A block's comments as one line each: the file wraps them. */
const unwrapped = (text: string) => text.replace(/\n# (?![- ] )/g, " ");

describe("adopt", () => {
  let file: string;
  let text: string;
  let entries: NumberEntry[];
  let stderr: string;

  beforeAll(async () => {
    sandbox.control.clearLog();
    file = join(dir, "numbers.yaml");
    const result = await adopt(["--out", file]);
    expect(result.code, result.err).toBe(0);
    stderr = result.err;
    text = readFileSync(file, "utf8");
    entries = readNumbersFile(file);
  });

  it("only reads, and says so", () => {
    expect(writes()).toEqual([]);
    expect(stderr).toMatch(/Nothing was changed at any carrier/);
    expect(text).toMatch(/which changed nothing/);
  });

  it("writes a header naming the carriers, accounts, selector and time, and how to use the file", () => {
    const header = text.split("\n\n")[0]!;
    expect(header).toContain("2026-01-02T03:04:05.000Z");
    expect(header).toContain(
      `Read: twilio, account AC0123456789abcdef0123456789abcdef: ${COUNTS.twilio} number(s).`,
    );
    expect(header).toContain(`Read: telnyx, the credentials' account: ${COUNTS.telnyx} number(s).`);
    expect(header).toContain("Selector: none (every number).");
    expect(header).toContain("adopt --check");
    expect(header.split("\n").every((line) => line.startsWith("#"))).toBe(true);
  });

  it("writes one entry per number, by carrier then number; a number with nothing to manage commented out", () => {
    const listed = [...text.matchAll(/^(?:# )?[- ] phoneNumber: "(\+\d+)"/gm)].map((m) => m[1]);
    const expected = [
      ...Array.from({ length: COUNTS.telnyx }, (_, i) => telnyxNumber(i)),
      ...Array.from({ length: COUNTS.twilio }, (_, i) => twilioNumber(i)),
    ];
    expect(listed).toEqual(expected);
    const shapeOf = (n: string, shapes: readonly string[]) => shapes[Number(n.slice(-4)) % shapes.length];
    const nothing = expected.filter((n) =>
      n.startsWith("+1415")
        ? shapeOf(n, TWILIO_SHAPES) === "nothing"
        : shapeOf(n, TELNYX_SHAPES) === "nothing",
    );
    expect(nothing).toHaveLength(4 + 4);
    expect(entries.map((e) => e.phoneNumber).sort()).toEqual(
      expected.filter((n) => !nothing.includes(n)).sort(),
    );
    for (const n of nothing) expect(block(text, n)).toMatch(/Nothing to manage here/);
  });

  it("holds the live settings of a number whose webhooks are its own", () => {
    const own = entries.find((e) => e.phoneNumber === twilioOf("own"));
    expect(own).toEqual({
      phoneNumber: twilioOf("own"),
      provider: "twilio",
      voiceUrl: "https://legacy.example.com/voice/0",
      voiceMethod: "POST",
      voiceFallbackUrl: "https://legacy.example.com/voice-fallback/0",
      statusCallbackUrl: "https://legacy.example.com/status/0",
      smsUrl: "https://legacy.example.com/sms/0",
      smsMethod: "POST",
    });
    expect(entries.find((e) => e.phoneNumber === twilioOf("own-get"))).toMatchObject({ voiceMethod: "GET" });
    expect(entries.find((e) => e.phoneNumber === twilioOf("own-get"))).not.toHaveProperty("voiceFallbackUrl");
    // Deferring to the number: the number's own URL answers.
    expect(entries.find((e) => e.phoneNumber === twilioOf("deferring-service"))).toMatchObject({
      smsUrl: `https://legacy.example.com/sms/${TWILIO_SHAPES.indexOf("deferring-service")}`,
    });
  });

  it("leaves alone, naming the holder, what an application, trunk or overriding Messaging Service decides", () => {
    const entry = (n: string) => entries.find((e) => e.phoneNumber === n)!;
    expect(entry(twilioOf("voice-application"))).toMatchObject({ voice: false, smsUrl: expect.any(String) });
    expect(block(text, twilioOf("voice-application"))).toMatch(/# voice: voice application AP\w+ decides/);
    expect(entry(twilioOf("trunk"))).toMatchObject({ voice: false });
    expect(block(text, twilioOf("trunk"))).toMatch(/SIP trunk TK\w+ decides/);
    expect(entry(twilioOf("sms-application"))).toMatchObject({ sms: false, voiceUrl: expect.any(String) });
    expect(entry(twilioOf("overriding-service"))).toMatchObject({ sms: false });
    expect(unwrapped(block(text, twilioOf("overriding-service")))).toMatch(
      /Messaging Service MG\w+ \(use_inbound_webhook_on_number: false\) decides.*Defer to sender's webhook/,
    );
    for (const e of entries) if (e.voice === false) expect(e).not.toHaveProperty("voiceUrl");
  });

  it("does not declare what a program could not (http://), and says why", () => {
    expect(entries.find((e) => e.phoneNumber === twilioOf("http"))).toMatchObject({ sms: false });
    expect(unwrapped(block(text, twilioOf("http")))).toMatch(
      /# sms: Invalid URL format for smsUrl: .*HTTPS only/,
    );
  });

  it("writes a live URL's password, since it is the live setting, and warns that the file holds a secret", () => {
    const n = twilioOf("password");
    expect(entries.find((e) => e.phoneNumber === n)!.voiceUrl).toContain("hook:pa55word@");
    expect(block(text, n)).toMatch(/holds a secret/);
    expect(stderr).toContain(`warning: ${n} voiceUrl hold(s) a password: the file holds a secret`);
    expect(stderr).not.toContain("pa55word");
  });

  it("Telnyx: declares a shared object as it is, onShared left to refuse, naming the numbers sharing it", () => {
    const shared = entries.find((e) => e.phoneNumber === telnyxOf("shared"))!;
    expect(shared).toMatchObject({
      provider: "telnyx",
      voiceUrl: "https://legacy.example.com/telnyx/events",
      voiceFallbackUrl: "https://legacy.example.com/telnyx/events-failover",
      smsUrl: "https://legacy.example.com/telnyx/sms",
    });
    expect(shared).not.toHaveProperty("onShared");
    const others = COUNTS.telnyx / TELNYX_SHAPES.length - 1;
    expect(unwrapped(block(text, telnyxOf("shared")))).toMatch(
      new RegExp(
        `voice: on call control application \\d+, which ${others} other number\\(s\\) share .*onShared: isolate`,
      ),
    );
    const alone = entries.find((e) => e.phoneNumber === telnyxOf("texml-alone"))!;
    expect(alone).toMatchObject({
      voiceMethod: "POST",
      statusCallbackUrl: expect.any(String),
      smsUrl: expect.any(String),
    });
    expect(block(text, telnyxOf("texml-alone"))).not.toMatch(/share/);
    expect(entries.find((e) => e.phoneNumber === telnyxOf("credential"))).toMatchObject({ voice: false });
  });

  it("resources declaring the file take every number over with no carrier write, and give it back with none", async () => {
    const before = JSON.stringify(sandbox.control.state());
    sandbox.control.clearLog();
    const provider = new PhoneNumberWebhooksProvider({ env });
    const created = [];
    for (const entry of entries) {
      // The program's base URLs are overridden or turned off by every adopted entry.
      const args = numberArgs(entry, {
        voiceUrl: "https://new.example/voice",
        smsUrl: "https://new.example/sms",
      });
      const checked = await provider.check(undefined, args as Record<string, unknown>);
      expect(checked.failures ?? [], entry.phoneNumber).toEqual([]);
      const { id, outs } = await provider.create(checked.inputs as CheckedArgs);
      created.push({ id, outs: outs! });
    }
    expect(writes()).toEqual([]);
    for (const { id, outs } of created) await provider.delete(id, outs);
    expect(writes()).toEqual([]);
    expect(JSON.stringify(sandbox.control.state())).toBe(before);
  });

  it("is stable: the same account gives the same file", async () => {
    const again = await adopt([]);
    expect(again.out).toBe(text.replace(/\n$/, ""));
  });

  it("shows progress on stderr when reading outlasts the interval, stdout unchanged", async () => {
    const slow = await adopt([], steppingClock());
    expect(slow.code, slow.err).toBe(0);
    expect(slow.out).toBe(text.replace(/\n$/, ""));
    expectProgress(progressOf(slow.err, "twilio"), COUNTS.twilio);
    expectProgress(progressOf(slow.err, "telnyx"), COUNTS.telnyx);
  });

  it("stays quiet when reading takes less than the interval", async () => {
    const quick = await adopt([], { now: () => 0 });
    // What it said before progress existed: the listings, warnings, and the summary.
    for (const line of quick.err.split("\n"))
      expect(line).toMatch(/^(twilio|telnyx|signalwire): listing the numbers…$|^warning: |^adopt: /);
  });
});

describe("adopt's flags", () => {
  it("--select takes the numbers a set with that select would, at the selector's carrier", async () => {
    const result = await adopt(["--select", "friendlyNamePrefix=Line 1"]);
    expect(result.code, result.err).toBe(0);
    const numbers = [...result.out.matchAll(/phoneNumber: "(\+\d+)"/g)].map((m) => m[1]);
    expect(numbers).toEqual([1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map(twilioNumber));
    expect(result.out).toContain("Selector: friendlyNamePrefix=Line 1.");
  });

  it("--account reads a Twilio subaccount, and every entry names it", async () => {
    const result = await adopt(["--provider", "twilio", "--account", SUBACCOUNT]);
    expect(result.code, result.err).toBe(0);
    const path = join(dir, "sub.yaml");
    writeFileSync(path, result.out);
    const entries = readNumbersFile(path);
    expect(entries).toHaveLength(COUNTS.subaccount);
    for (const e of entries) expect(e).toMatchObject({ provider: "twilio", accountSid: SUBACCOUNT });
  });

  it("refuses bad flags with the usage, and names the missing credentials", async () => {
    expect((await adopt(["--provider", "sinch"])).err).toMatch(
      /--provider must be twilio or telnyx or signalwire\n\nusage:/,
    );
    expect((await adopt(["--select", "tag"])).err).toMatch(/--select takes key=value/);
    expect((await adopt(["--select", "tag=a", "--select", "friendlyNamePrefix=b"])).err).toMatch(
      /--select keys must all be one carrier's/,
    );
    const out: string[] = [];
    const code = await runAdopt(
      ["--provider", "twilio"],
      { out: (t) => out.push(t), err: (t) => out.push(t) },
      { env: {} },
    );
    expect(code).toBe(1);
    expect(out.join("\n")).toMatch(/No twilio credentials: .*Nothing was changed at any carrier/);
  });
});

describe("adopt --check", () => {
  let file: string;
  beforeAll(async () => {
    file = join(dir, "check.yaml");
    expect((await adopt(["--out", file])).code).toBe(0);
  });

  it("exits 0 when the file matches the account", async () => {
    const result = await adopt(["--check", file]);
    expect(result.code, result.out + result.err).toBe(0);
    expect(result.out).toMatch(/0 differ from the account/);
  });

  it("shows progress on stderr when checking outlasts the interval, stdout unchanged", async () => {
    const quick = await adopt(["--check", file], { now: () => 0 });
    const slow = await adopt(["--check", file], steppingClock());
    expect(slow.out).toBe(quick.out);
    expect(quick.err).toBe("");
    expectProgress(progressOf(slow.err, "check"), readNumbersFile(file).length);
  });

  it("exits 2 naming each number and field that differs, passwords masked", async () => {
    const edited = join(dir, "edited.yaml");
    const adopted = readFileSync(file, "utf8");
    const application = twilioOf("voice-application");
    // A voiceUrl declared where an application decides: it would have no effect.
    const text = adopted
      .replace('https://legacy.example.com/voice/0"', 'https://legacy.example.com/voice/zero"')
      .replace(
        block(adopted, application),
        `- phoneNumber: "${application}"\n  provider: twilio\n  voiceUrl: "https://x:secret@new.example/v"`,
      );
    writeFileSync(
      edited,
      `${text}- phoneNumber: "+14155559999"\n  provider: twilio\n  smsUrl: "https://a.example/s"\n`,
    );
    const result = await adopt(["--check", edited]);
    expect(result.code, result.out + result.err).toBe(2);
    expect(result.out).toContain(
      `${twilioOf("own")} voiceUrl: file "https://legacy.example.com/voice/zero", live "https://legacy.example.com/voice/0"`,
    );
    expect(result.out).toContain("+14155559999: not in the account");
    expect(result.out).toContain(
      `${application} voiceUrl: file "https://x:***@new.example/v", live "(voice application AP`,
    );
    expect(result.out).toMatch(/decides: Detach it from the number in the Twilio console/);
    expect(result.out).toMatch(/3 differ from the account \(3 setting\(s\)\)/);
    expect(result.out).not.toContain("secret");
    expect(writes()).toEqual([]);
  });

  it("exits 1 on a file that breaks a rule, naming the file and the entry", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, '- phoneNumber: "+14155550000"\n  voiceURL: https://a.example/v\n');
    const result = await adopt(["--check", bad]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`numbers file ${bad}: 1 problem(s):`);
    expect(result.err).toContain(
      'entry 0 (+14155550000), voiceURL: "voiceURL" is not a key of a numbers file entry; did you mean "voiceUrl"?',
    );
  });
});
