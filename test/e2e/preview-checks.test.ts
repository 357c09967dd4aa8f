/**
 * Under the real engine: `pulumi preview` fails for what `pulumi up` would refuse for a carrier
 * reason, naming the number, the reason and the remedy in up's words (a number not in the
 * account, a declared carrier without credentials, a shared Telnyx object without consent, a
 * Twilio voice application that overrides the declared URL, smsMethod on a detected Telnyx
 * number); a stack without any credentials previews with one warning; misspelt settings are
 * warned; and the refresh right after a create shows no difference.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerEnvironment } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess, type NumberDeclaration } from "./support";

const VOICE = "https://staging.example.com/voice";
const SMS = "https://staging.example.com/sms";
const MISSING = "+14155550199";

interface PreviewJson {
  diagnostics?: Array<{ message: string; severity: string }>;
}

describe.skipIf(!binDir)("the preview reports what up would refuse", () => {
  let f: E2EFixture;
  const said: string[] = [];
  const run = async (result: Promise<{ code: number; stdout: string; stderr: string }>) => {
    const r = await result;
    said.push(r.stdout, r.stderr);
    return r;
  };
  /** Declares `numbers` on the stack with every credential, and previews: the output of a failure. */
  const refused = async (numbers: NumberDeclaration[]) => {
    await f.declare("checks", numbers);
    const preview = await run(f.preview("checks"));
    expect(preview.code, preview.stdout).not.toBe(0);
    expect(f.sandbox.control.requests().filter((r) => r.method !== "GET")).toEqual([]);
    return preview.stdout;
  };
  /** The warnings of a `--json` preview, which must pass. */
  const warnings = async (stack: string) => {
    const preview = await run(f.preview(stack, "--json"));
    expectSuccess(preview, `pulumi preview --stack ${stack}`);
    const parsed = JSON.parse(preview.stdout) as PreviewJson;
    return (parsed.diagnostics ?? []).filter((d) => d.severity === "warning").map((d) => d.message);
  };

  beforeAll(async () => {
    f = await E2EFixture.start(demoSeed());
    await f.initStack("checks", []);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("a number not in the account: the preview fails as up does, naming the number", async () => {
    const declared = [{ name: "missing", phoneNumber: MISSING, provider: "twilio", voiceUrl: VOICE }];
    const out = await refused(declared);
    const reason = `Phone number ${MISSING} not found in twilio account`;
    expect(out).toContain(
      `resource 'missing': property phoneNumber value {${MISSING}} has a problem: ${reason}`,
    );
    // pulumi up (which previews first) stops on the same words, before any write.
    const up = await run(f.up("checks"));
    expect(up.code).not.toBe(0);
    expect(up.stdout).toContain(reason);
  });

  it("a Twilio voice application that would make the declared voice URL a no-op", async () => {
    const out = await refused([{ name: "ivr", phoneNumber: "+14155550101", voiceUrl: VOICE }]);
    expect(out).toContain(
      "Failed to update webhooks for +14155550101 via twilio: voiceUrl would have no effect: +14155550101 has voice_application_sid AP",
    );
    expect(out).toContain("Detach it from the number in the Twilio console, or configure the URL there.");
  });

  it("a Telnyx application and profile shared with another number, without consent", async () => {
    const out = await refused([{ name: "sales", phoneNumber: "+13125550200", voiceUrl: VOICE, smsUrl: SMS }]);
    expect(out).toContain(
      "Failed to update webhooks for +13125550200 via telnyx: Refusing to change webhooks shared with other numbers:",
    );
    expect(out).toContain("also serves +13125550201");
    expect(out).toContain('Set onShared: "isolate" on +13125550200');
  });

  it("smsMethod on a number detected at Telnyx", async () => {
    const out = await refused([
      { name: "alone", phoneNumber: "+13125550202", smsUrl: SMS, smsMethod: "GET" },
    ]);
    expect(out).toContain(
      "smsMethod is not supported by telnyx: messaging profile webhooks are always JSON POST",
    );
  });

  it("a declared carrier without credentials, while the other carrier has them", async () => {
    const env = providerEnvironment(f.sandbox);
    await f.project.initStack(
      "twilio-only",
      { "twilio:accountSid": env.TWILIO_ACCOUNT_SID, "twilio:apiBaseUrl": env.TWILIO_API_BASE_URL },
      { "twilio:authToken": env.TWILIO_AUTH_TOKEN },
    );
    await f.declare("twilio-only", [
      { name: "alone", phoneNumber: "+13125550202", provider: "telnyx", smsUrl: SMS },
    ]);
    const preview = await run(f.preview("twilio-only"));
    expect(preview.code).not.toBe(0);
    expect(preview.stdout).toContain(
      "property provider value {telnyx} has a problem: No telnyx credentials: set telnyx:apiKey with `pulumi config set --secret`, or TELNYX_API_KEY in the environment",
    );
  });

  it("without any carrier credentials (a pipeline without secrets), the preview passes with one warning", async () => {
    await f.project.initStack("no-secrets");
    await f.declare("no-secrets", [
      { name: "main", phoneNumber: "+14155550100", provider: "twilio", voiceUrl: VOICE },
      { name: "alone", phoneNumber: "+13125550202", smsUrl: SMS },
      { name: "missing", phoneNumber: MISSING, voiceUrl: VOICE },
    ]);
    const skipped = (await warnings("no-secrets")).filter((w) => w.includes("Carrier checks skipped"));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toContain("no carrier credentials are set, so the preview checked the arguments only");
  });

  it("misspelt settings are warned, with the key meant", async () => {
    const env = providerEnvironment(f.sandbox);
    await f.initStack("typos", [{ name: "main", phoneNumber: "+14155550100", voiceUrl: VOICE }]);
    const set = (...args: string[]) => f.project.must(["config", "set", "--stack", "typos", ...args]);
    await set("phoneWebhooks:allowPrivateHost", "true");
    await set("phoneWebhooks:requestTimeoutMS", "1000");
    await set("--secret", "telnyx:apikey", env.TELNYX_API_KEY!);
    const found = await warnings("typos");
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          "Stack config phoneWebhooks:allowPrivateHost is not a setting of pulumi-phone-webhooks and is ignored: did you mean phoneWebhooks:allowPrivateHosts?",
        ),
        expect.stringContaining(
          "phoneWebhooks:requestTimeoutMS is not a setting of pulumi-phone-webhooks and is ignored: did you mean phoneWebhooks:requestTimeoutMs?",
        ),
        expect.stringContaining(
          "Stack config telnyx:apikey is not read by pulumi-phone-webhooks: did you mean telnyx:apiKey?",
        ),
      ]),
    );
    for (const text of said) expect(text).not.toContain(env.TELNYX_API_KEY);
  });

  it("the refresh right after a create shows no difference, for one number or a set, detected or isolated", async () => {
    await f.initStack("fresh", [
      { name: "detected", phoneNumber: "+14155550100", voiceUrl: VOICE },
      { name: "declared", phoneNumber: "+13125550202", provider: "telnyx", voiceUrl: VOICE },
      { name: "isolated", phoneNumber: "+13125550200", smsUrl: SMS, onShared: "isolate" },
    ]);
    await f.declareSets("fresh", [
      { name: "pair", provider: "twilio", smsUrl: SMS, numbers: ["+14155550101"] },
    ]);
    expectSuccess(await run(f.up("fresh")), "pulumi up");
    // The project refreshes on every preview: each resource is read back right away.
    const preview = await run(f.preview("fresh", "--expect-no-changes"));
    expectSuccess(preview, "pulumi preview --expect-no-changes");
    for (const name of ["detected", "declared", "isolated", "pair"])
      expect(preview.stdout).toMatch(new RegExp(`PhoneNumberWebhooks(Set)? +${name} +refresh *\\n`));
    expect(preview.stdout).not.toContain("[diff:");
    expectSuccess(await run(f.project.run(["destroy", "--yes", "--stack", "fresh"])), "pulumi destroy");
    for (const secret of f.secrets) for (const text of said) expect(text).not.toContain(secret);
  });
});
