/**
 * The repository's own Pulumi project, as shipped: the top-level Pulumi.yaml, run at the root of a
 * copy of this checkout in which no file is rewritten (copyCheckout), against the sandbox, the way
 * the README's `pulumi stack init staging … pulumi up --stack staging` runs it from a clone. A
 * preview there plans one resource per number of the numbers file the stack's config names; up
 * points each at the stack's URLs; destroy gives every number its webhooks back.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiProject, REPO_ROOT, RESOURCE_TYPE } from "../../scripts/pulumi-project";
import { snapshot, telnyxObjectCount } from "../../scripts/webhook-snapshot";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir, expectSuccess } from "./support";

const STACK = "staging";

interface Entry {
  phoneNumber: string;
  voice?: boolean;
  sms?: boolean;
}

interface PreviewStep {
  op: string;
  urn: string;
  newState?: { inputs?: Record<string, unknown> };
}

describe.skipIf(!binDir)("the top-level Pulumi.yaml, run as shipped from a copy of the repository", () => {
  const seed = demoSeed();
  let sandbox: Sandbox;
  let project: PulumiProject;
  /** The stack's config and the numbers file it names, as shipped (read from the copy). */
  let baseUrl: string;
  let entries: Entry[];

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed });
    // Credentials as a pipeline passes them; the sandbox stands in for both carriers' APIs.
    project = new PulumiProject({ binDir, checkout: true, files: {}, env: providerEnvironment(sandbox) });
    const configDir = join(project.dir, "examples", "multi-environment");
    const config = (
      load(readFileSync(join(configDir, `Pulumi.${STACK}.yaml`), "utf8")) as {
        config: Record<string, string>;
      }
    ).config;
    baseUrl = config["phone-webhooks:baseUrl"]!;
    entries = load(readFileSync(join(configDir, config["phone-webhooks:numbersFile"]!), "utf8")) as Entry[];
    await project.must(["stack", "init", STACK]);
  });
  afterAll(async () => {
    await sandbox?.close();
    project?.dispose();
  });

  it("the copy's Pulumi.yaml and package.json are the repository's, byte for byte", () => {
    for (const file of ["Pulumi.yaml", "package.json"])
      expect(readFileSync(join(project.dir, file), "utf8")).toBe(readFileSync(join(REPO_ROOT, file), "utf8"));
    expect(entries.length).toBeGreaterThan(0);
  });

  it("preview at the root plans one PhoneNumberWebhooks per number of the stack's numbers file", async () => {
    const result = await project.run(["preview", "--json", "--stack", STACK]);
    expectSuccess(result, "pulumi preview --json");
    const steps = (JSON.parse(result.stdout) as { steps: PreviewStep[] }).steps;
    const planned = steps
      .filter((s) => s.urn.includes(`::${RESOURCE_TYPE}::`))
      .map((s) => `${s.op} ${String(s.newState?.inputs?.phoneNumber)}`)
      .sort();
    expect(planned).toEqual(entries.map((e) => `create ${e.phoneNumber}`).sort());
  });

  it("up points each number at the stack's URLs; destroy gives every number its webhooks back", async () => {
    const before = snapshot(sandbox, seed);
    const objectsBefore = telnyxObjectCount(sandbox);

    expectSuccess(await project.run(["up", "--yes", "--stack", STACK]), "pulumi up");
    const applied = snapshot(sandbox, seed);
    for (const e of entries) {
      // `voice: false` / `sms: false` leave that webhook as it was.
      expect(applied[e.phoneNumber]!.voice, e.phoneNumber).toBe(
        e.voice === false ? before[e.phoneNumber]!.voice : `${baseUrl}/webhooks/voice`,
      );
      expect(applied[e.phoneNumber]!.sms, e.phoneNumber).toBe(
        e.sms === false ? before[e.phoneNumber]!.sms : `${baseUrl}/webhooks/sms`,
      );
    }
    // Numbers the file does not list are untouched.
    for (const [number, webhooks] of Object.entries(before))
      if (!entries.some((e) => e.phoneNumber === number)) expect(applied[number], number).toEqual(webhooks);
    expectSuccess(
      await project.run(["preview", "--expect-no-changes", "--stack", STACK]),
      "a no-change preview",
    );

    expectSuccess(await project.run(["destroy", "--yes", "--stack", STACK]), "pulumi destroy");
    expect(snapshot(sandbox, seed)).toEqual(before);
    // The copies `onShared: "isolate"` made are gone, and no number was released.
    expect(telnyxObjectCount(sandbox)).toBe(objectsBefore);
    expect(sandbox.control.releases()).toEqual([]);
  });
});
