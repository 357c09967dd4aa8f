/**
 * examples/fleet under the real engine, as a user who copied it runs it: a Twilio set from the
 * stack's numbers file and a friendly-name prefix, a Telnyx set by tag isolated onto one copy.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiProject, REPO_ROOT } from "../../scripts/pulumi-project";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { demoSeedWith, OLD_VOICE_URL } from "../support/sandbox";
import { binDir, expectSuccess } from "./support";

const EXAMPLE = join(REPO_ROOT, "examples", "fleet");
const TRACKING = ["+14155554001", "+14155554002", "+14155554003"];
const BASE = "https://dev.your-app.example";

describe.skipIf(!binDir)("examples/fleet", () => {
  let sandbox: Sandbox;
  let project: PulumiProject;
  const twilio = (n: string) => sandbox.control.twilioNumber(n)!;
  const app = (n: string) => sandbox.control.telnyxNumber(n)!.connection_id;

  beforeAll(async () => {
    const seed = demoSeedWith({ twilio: [...TRACKING, "+14155550102"] });
    for (const [i, n] of seed.twilio!.incoming_phone_numbers!.entries())
      if (TRACKING.includes(n.phone_number)) n.friendly_name = `Tracking ${i}`;
    // +13125550200 is tagged; +13125550201 shares its application and profile and is not.
    for (const n of seed.telnyx!.phone_numbers!)
      if (n.phone_number === "+13125550200") Object.assign(n, { tags: ["support"] });
    sandbox = await startSandbox({ port: 0, seed });
    const file = (name: string) => readFileSync(join(EXAMPLE, name), "utf8");
    project = new PulumiProject({
      binDir,
      files: Object.fromEntries(
        ["Pulumi.yaml", "index.ts", "Pulumi.dev.yaml", "numbers.dev.json"].map((name) => [name, file(name)]),
      ),
      env: providerEnvironment(sandbox),
    });
    await project.must(["stack", "init", "dev"]);
  });
  afterAll(async () => {
    await sandbox?.close();
    project?.dispose();
  });

  it("up takes over the listed and the selected numbers; a preview after shows no change", async () => {
    const shared = app("+13125550200");
    expectSuccess(await project.run(["up", "--yes", "--stack", "dev"]), "up dev");
    expect(await project.stackOutputs("dev")).toEqual({ twilio: 5, telnyx: 1 });
    for (const n of ["+14155550100", ...TRACKING]) expect(twilio(n).voice_url).toBe(`${BASE}/webhooks/voice`);
    expect(twilio("+14155550102").voice_url).toBe(`${BASE}/webhooks/front-desk`);
    expect(app("+13125550200")).not.toBe(shared);
    expect(app("+13125550201")).toBe(shared);
    expectSuccess(
      await project.run(["preview", "--stack", "dev", "--expect-no-changes"]),
      "preview --expect-no-changes",
    );
  });

  it("destroy gives every number back what it had", async () => {
    expectSuccess(await project.run(["destroy", "--yes", "--stack", "dev"]), "destroy dev");
    for (const n of [...TRACKING, "+14155550102"]) expect(twilio(n).voice_url).toBe(OLD_VOICE_URL);
    expect(app("+13125550200")).toBe(app("+13125550201"));
    expect(sandbox.control.releases()).toEqual([]);
  });

  it("a numbers file that does not parse, or breaks a rule, fails before any change, naming the file", async () => {
    const file = join(project.dir, "numbers.dev.json");
    const before = JSON.stringify(sandbox.control.state());
    const failure = async (content: string) => {
      writeFileSync(file, content);
      const result = await project.run(["preview", "--stack", "dev"]);
      expect(result.code).not.toBe(0);
      return result.stdout + result.stderr;
    };
    expect(await failure('["+14155550100",]')).toMatch(new RegExp(`numbers file ${file}: .*JSON`));
    const misspelt = await failure('[{ "phoneNumber": "+14155550100", "voiceURL": "https://x.example" }]');
    expect(misspelt).toContain(`numbers file ${file}: `);
    expect(misspelt).toContain('"voiceURL" is not a key of a numbers file entry; did you mean "voiceUrl"?');
    expect(JSON.stringify(sandbox.control.state())).toBe(before);
  });
});
