/**
 * The policy pack (`pulumi-phone-webhooks/policy`) under the real engine: `pulumi preview
 * --policy-pack <dir> --policy-pack-config <file>`, the engine starting the pack through the
 * Node.js language host's RunPlugin as v3.248.0 does. A violating program fails with each
 * policy's message; a clean one passes; the per-stack settings apply to their stacks only. A
 * PhoneNumberWebhooksSet is held to every policy: its settings, its members' own settings, and
 * its members, listed or selected, for numbers per stack.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPackage } from "../../scripts/pulumi-project";
import { binDir, E2EFixture, type NumberDeclaration } from "./support";

const PACK_PROGRAM = `const { phoneWebhooksPolicyPack } = require("pulumi-phone-webhooks/policy");
phoneWebhooksPolicyPack("phone-webhooks");
`;

const CONFIG = {
  "phone-webhooks-allowed-hosts": { hosts: ["*.example.com"] },
  "phone-webhooks-no-shared-update": { stacks: ["production"] },
  "phone-webhooks-restore-on-delete": { stacks: ["production"] },
  "phone-webhooks-number-per-stack": {
    numbers: { staging: ["+14155550101", "+13125550202"], production: ["+14155550100", "+13125550200"] },
  },
};

const CLEAN: NumberDeclaration[] = [
  { name: "voice", phoneNumber: "+14155550100", voiceUrl: "https://prod.example.com/voice" },
  // On a profile it shares with +…201: isolated (the preview's checks refuse it without consent).
  {
    name: "sms",
    phoneNumber: "+13125550200",
    smsUrl: "https://prod.example.com/sms",
    onDelete: "restore",
    onShared: "isolate",
  },
];

const VIOLATING: NumberDeclaration[] = [
  { name: "voice", phoneNumber: "+14155550100", voiceUrl: "https://hooks.evil-corp.net/voice" },
  {
    name: "sms",
    phoneNumber: "+13125550200",
    smsUrl: "https://prod.example.com/sms",
    allowSharedUpdate: true,
  },
  { name: "kept", phoneNumber: "+14155550101", smsUrl: "https://prod.example.com/sms", onDelete: "retain" },
];

describe.skipIf(!binDir)("the policy pack under the engine", () => {
  let f: E2EFixture;
  let packDir: string;
  let configFile: string;

  beforeAll(async () => {
    f = await E2EFixture.start();
    const root = join(f.project.dir, "..");
    packDir = join(root, "policy");
    mkdirSync(packDir);
    installPackage(join(packDir, "node_modules"));
    writeFileSync(join(packDir, "PulumiPolicy.yaml"), "runtime: nodejs\nversion: 0.0.1\n");
    writeFileSync(
      join(packDir, "package.json"),
      '{ "name": "phone-webhooks-policies", "version": "0.0.1", "main": "index.js" }\n',
    );
    writeFileSync(join(packDir, "index.js"), PACK_PROGRAM);
    configFile = join(root, "policy-config.json");
    writeFileSync(configFile, JSON.stringify(CONFIG, null, 2));
    await f.initStack("production", CLEAN);
    await f.initStack("staging", [
      {
        name: "sms",
        phoneNumber: "+13125550202",
        smsUrl: "https://staging.example.com/sms",
        allowSharedUpdate: true,
        onDelete: "retain",
      },
    ]);
  });
  afterAll(async () => {
    await f?.close();
  });

  const preview = (stack: string) =>
    f.preview(stack, "--policy-pack", packDir, "--policy-pack-config", configFile);

  it("a clean program passes every policy", async () => {
    const r = await preview("production");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Policies:[\s\S]*phone-webhooks@v0\.0\.1/);
    expect(r.stdout).not.toMatch(/mandatory/);
  });

  it("a violating program fails, each policy naming the resource and the reason", async () => {
    await f.declare("production", VIOLATING);
    const r = await preview("production");
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).not.toBe(0);
    expect(out).toMatch(
      /\[mandatory\]\s+phone-webhooks-allowed-hosts[\s\S]*voiceUrl https:\/\/hooks\.evil-corp\.net\/voice points at host "hooks\.evil-corp\.net", which is not among the allowed hosts \(\*\.example\.com\)/,
    );
    expect(out).toMatch(
      /\[mandatory\]\s+phone-webhooks-no-shared-update[\s\S]*allowSharedUpdate: true is not allowed on stack production/,
    );
    expect(out).toMatch(
      /\[mandatory\]\s+phone-webhooks-restore-on-delete[\s\S]*onDelete: "retain" is not allowed on stack production/,
    );
    expect(out).toMatch(
      /\[mandatory\]\s+phone-webhooks-number-per-stack[\s\S]*\+14155550101 belongs to stack staging, not to stack production/,
    );
    expect(out).not.toMatch(/phone-webhooks-https-only/);
    // Nothing was written: a preview, refused by policy.
    expect(f.sandbox.control.twilioNumber("+14155550100")!.voice_url).not.toContain("evil-corp");
    await f.declare("production", CLEAN);
  });

  it("a violating set fails every policy, naming the member by index and number, selected members included", async () => {
    await f.declareSets("production", [
      {
        name: "fleet",
        voiceUrl: "https://prod.example.com/voice",
        // The provider's own check refuses http, so https-only is left to the unit tests.
        numbers: [{ phoneNumber: "+13125550201", voiceUrl: "https://hooks.evil-corp.net/v" }],
        onShared: "update",
        onDelete: "retain",
      },
      // Selects "Support IVR", +14155550101: a staging number.
      { name: "support", smsUrl: "https://prod.example.com/sms", select: { friendlyNamePrefix: "Support" } },
    ]);
    try {
      const r = await preview("production");
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.code, out).not.toBe(0);
      expect(out).toMatch(
        /\[mandatory\]\s+phone-webhooks-allowed-hosts[\s\S]*numbers\[0\] \(\+13125550201\) voiceUrl https:\/\/hooks\.evil-corp\.net\/v points at host "hooks\.evil-corp\.net"/,
      );
      expect(out).toMatch(
        /\[mandatory\]\s+phone-webhooks-no-shared-update[\s\S]*onShared: "update" is not allowed on stack production/,
      );
      expect(out).toMatch(
        /\[mandatory\]\s+phone-webhooks-restore-on-delete[\s\S]*onDelete: "retain" is not allowed on stack production/,
      );
      expect(out).toMatch(
        /\[mandatory\]\s+phone-webhooks-number-per-stack[\s\S]*numbers\[0\] \(\+13125550201\) is not among the numbers of stack production/,
      );
      expect(out).toMatch(
        /\[mandatory\]\s+phone-webhooks-number-per-stack[\s\S]*\+14155550101 \(selected\) belongs to stack staging, not to stack production/,
      );
      expect(out).not.toMatch(/phone-webhooks-https-only/);
      // Each violation names the set it is about.
      expect(out).toMatch(/PhoneNumberWebhooksSet[\s\S]*fleet/);
      expect(out).toMatch(/PhoneNumberWebhooksSet[\s\S]*support/);
      expect(f.sandbox.control.twilioNumber("+14155550101")!.sms_url).not.toBe(
        "https://prod.example.com/sms",
      );
    } finally {
      await f.declareSets("production", []);
    }
  });

  it("per-stack settings: staging may share and retain, and its own numbers pass", async () => {
    const r = await preview("staging");
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).not.toMatch(/mandatory/);
  });

  it("a malformed configuration is reported, not ignored", async () => {
    const bad = join(f.project.dir, "..", "bad-config.json");
    writeFileSync(
      bad,
      JSON.stringify({ "phone-webhooks-number-per-stack": { numbers: { staging: ["4155550101"] } } }),
    );
    const r = await f.preview("staging", "--policy-pack", packDir, "--policy-pack-config", bad);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/configuration numbers\.staging\.0: numbers are E\.164/);
  });
});
