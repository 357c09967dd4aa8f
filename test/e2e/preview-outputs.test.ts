/**
 * Outputs in previews, under the real engine: what the state knows of a resource whose `provider`
 * was not declared (its carrier, its identifiers) is known in a preview, with no change and with
 * a change, and not "Undefined" in the stack outputs.
 *
 * The program logs, from `apply`, each output the preview resolved (an `apply` runs only on known
 * values); the secret outputs are logged without their values.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiProject } from "../../scripts/pulumi-project";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir, expectSuccess } from "./support";

const STACK = "dev";
const LINES = { "twilio-line": "+14155550100", "telnyx-line": "+13125550202" } as const;
type Line = keyof typeof LINES;
const NOT_SECRET = [
  "phoneNumber",
  "provider",
  "providerDetected",
  "voiceUrl",
  "message",
  "updatedWebhooks",
  "sharedWith",
  "accountSid",
  "phoneNumberSid",
  "phoneNumberId",
  "connectionId",
  "connectionType",
  "messagingProfileId",
] as const;
const SECRET = ["webhooks", "previousWebhooks"] as const;
/** The outputs an update keeps; the others it recomputes, so a preview of one cannot know them. */
const KEPT: Record<Line, string[]> = {
  "twilio-line": ["provider", "providerDetected", "accountSid", "phoneNumberSid"],
  "telnyx-line": [
    "provider",
    "providerDetected",
    "phoneNumberId",
    "connectionId",
    "connectionType",
    "messagingProfileId",
  ],
};
const RECOMPUTED = ["message", "updatedWebhooks", "sharedWith", "webhooks", "previousWebhooks"];

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { PhoneNumberWebhooks } = require("pulumi-phone-webhooks");
const config = new pulumi.Config();
const notSecret = ${JSON.stringify(NOT_SECRET)};
const secret = ${JSON.stringify(SECRET)};
for (const [name, phoneNumber] of Object.entries(${JSON.stringify(LINES)})) {
  const line = new PhoneNumberWebhooks(name, { phoneNumber, voiceUrl: config.require("voiceUrl") });
  exports[name] = Object.fromEntries(notSecret.map((key) => [key, line[key]]));
  for (const key of notSecret)
    line[key].apply((v) => pulumi.log.info("known " + name + "." + key + " = " + JSON.stringify(v ?? null)));
  for (const key of secret) line[key].apply(() => pulumi.log.info("known " + name + "." + key));
}
`;

interface PreviewJson {
  diagnostics?: Array<{ message: string; severity: string }>;
  changeSummary?: Record<string, number>;
}

/** What the program saw in a preview: each known output, with its value when not secret. */
interface Seen {
  known: Map<string, unknown>;
  warnings: string[];
  changeSummary: Record<string, number>;
}

describe.skipIf(!binDir)("outputs in previews, provider not declared", () => {
  let sandbox: Sandbox;
  let project: PulumiProject;
  let secrets: string[];
  const output: string[] = [];

  const run = async (args: string[]) => {
    const result = await project.run([...args, "--stack", STACK]);
    output.push(result.stdout, result.stderr);
    expectSuccess(result, `pulumi ${args.join(" ")}`);
    return result;
  };
  const setVoiceUrl = (url: string) => run(["config", "set", "voiceUrl", url]);
  async function preview(...flags: string[]): Promise<Seen> {
    const { stdout } = await run(["preview", "--json", ...flags]);
    const parsed = JSON.parse(stdout) as PreviewJson;
    const known = new Map<string, unknown>();
    for (const { message } of parsed.diagnostics ?? []) {
      const match = /^known (\S+?)(?: = (.*))?\n?$/.exec(message);
      if (match) known.set(match[1]!, match[2] === undefined ? "[secret]" : JSON.parse(match[2]));
    }
    const warnings = (parsed.diagnostics ?? []).filter((d) => d.severity === "warning").map((d) => d.message);
    return { known, warnings, changeSummary: parsed.changeSummary ?? {} };
  }
  /** The stack outputs after the last `up`: what the state knows. */
  const stored = async () => (await project.stackOutputs(STACK)) as Record<Line, Record<string, unknown>>;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: demoSeed() });
    const env = providerEnvironment(sandbox);
    secrets = [env.TWILIO_AUTH_TOKEN, env.TELNYX_API_KEY];
    project = new PulumiProject({
      binDir,
      files: {
        "Pulumi.yaml":
          "name: preview-outputs\nruntime: nodejs\nmain: index.js\noptions:\n  refresh: always\n",
        "index.js": PROGRAM,
      },
    });
    await project.initStack(
      STACK,
      {
        "twilio:accountSid": env.TWILIO_ACCOUNT_SID,
        "twilio:apiBaseUrl": env.TWILIO_API_BASE_URL,
        "telnyx:baseUrl": env.TELNYX_BASE_URL,
        voiceUrl: "https://a.example.com/voice",
      },
      { "twilio:authToken": env.TWILIO_AUTH_TOKEN, "telnyx:apiKey": env.TELNYX_API_KEY },
    );
    await run(["up", "--yes"]);
  });
  afterAll(async () => {
    await sandbox?.close();
    project?.dispose();
  });

  it("a no-change preview knows every output, with the values the state holds", async () => {
    const state = await stored();
    expect(state["twilio-line"].provider).toBe("twilio");
    expect(state["telnyx-line"].provider).toBe("telnyx");
    const seen = await preview();
    expect(seen.changeSummary).toEqual({ same: 3 });
    expect(seen.warnings).toEqual([]);
    for (const line of Object.keys(LINES) as Line[]) {
      for (const [key, value] of Object.entries(state[line]))
        expect(seen.known.get(`${line}.${key}`)).toEqual(value);
      for (const key of SECRET) expect(seen.known.get(`${line}.${key}`)).toBe("[secret]");
    }
  });

  it("a preview of an update knows the carrier and its identifiers; what the update recomputes is unknown", async () => {
    const state = await stored();
    await setVoiceUrl("https://b.example.com/voice");
    const seen = await preview();
    expect(seen.changeSummary).toEqual({ same: 1, update: 2 });
    expect(seen.warnings).toEqual([]);
    for (const line of Object.keys(LINES) as Line[]) {
      expect(seen.known.get(`${line}.phoneNumber`)).toBe(LINES[line]);
      expect(seen.known.get(`${line}.voiceUrl`)).toBe("https://b.example.com/voice");
      for (const key of KEPT[line]) expect(seen.known.get(`${line}.${key}`)).toEqual(state[line][key]);
      for (const key of RECOMPUTED) expect(seen.known.has(`${line}.${key}`)).toBe(false);
    }
    expect(seen.known.get("telnyx-line.provider")).toBe("telnyx");
    expect(seen.known.get("twilio-line.providerDetected")).toBe(true);
  });

  it("after that update, a preview without refresh knows them too: the update stored them", async () => {
    await run(["up", "--yes"]);
    const state = await stored();
    expect(state["twilio-line"]).toMatchObject({ provider: "twilio", providerDetected: true });
    await setVoiceUrl("https://c.example.com/voice");
    const seen = await preview("--refresh=false");
    expect(seen.changeSummary).toEqual({ same: 1, update: 2 });
    for (const line of Object.keys(LINES) as Line[])
      for (const key of KEPT[line]) expect(seen.known.get(`${line}.${key}`)).toEqual(state[line][key]);
    for (const secret of secrets) for (const text of output) expect(text).not.toContain(secret);
  });
});
