/**
 * `adopt` under the real engine: an account of mixed shapes on both carriers (applications, a
 * trunk, Messaging Services that override and that defer, shared and unshared Telnyx objects, a
 * subaccount), adopted with the built command, then declared by examples/multi-environment. The
 * preview plans only the creates, `up` makes no carrier write, a second preview shows no change,
 * and destroy leaves every number as seeded.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNumbersFile, type NumberEntry } from "../../provider/numbers-file";
import { multiEnvironmentFiles } from "../../scripts/example-project";
import { PulumiProject, REPO_ROOT, RESOURCE_TYPE } from "../../scripts/pulumi-project";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { mixedSeed, SUBACCOUNT } from "../support/adopt-seed";
import { binDir, expectSuccess } from "./support";

const STACK = "adopted";
const COUNTS = { twilio: 170, subaccount: 10, telnyx: 64 };
const CLI = join(REPO_ROOT, "dist", "provider", "cli", "index.js");

interface PreviewStep {
  op: string;
  urn: string;
  newState?: { inputs?: Record<string, unknown> };
}

describe.skipIf(!binDir)("adopt, then a program that declares the file", () => {
  let sandbox: Sandbox;
  let project: PulumiProject;
  let seeded: string;
  let entries: NumberEntry[];

  /** The built command, as `npx pulumi-phone-webhooks` runs it. */
  const command = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        [CLI, ...args],
        { cwd: project.dir, env: project.env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") return reject(error);
          resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
        },
      ),
    );
  const writes = () => sandbox.control.requests().filter((r) => r.method !== "GET");

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: mixedSeed(COUNTS) });
    seeded = JSON.stringify(sandbox.control.state());
    const files = multiEnvironmentFiles([]);
    project = new PulumiProject({
      binDir,
      files: {
        ...files,
        [`Pulumi.${STACK}.yaml`]:
          "config:\n  phone-webhooks:baseUrl: https://new.your-app.example\n  phone-webhooks:numbersFile: numbers.yaml\n",
      },
      env: providerEnvironment(sandbox),
    });
    await project.must(["stack", "init", STACK]);
  });
  afterAll(async () => {
    await sandbox?.close();
    project?.dispose();
  });

  it("adopt writes the file from both carriers and the subaccount, reading only", async () => {
    sandbox.control.clearLog();
    const main = await command(["adopt", "--out", "numbers.main.yaml"]);
    expect(main.code, main.stderr).toBe(0);
    const sub = await command(["adopt", "--provider", "twilio", "--account", SUBACCOUNT]);
    expect(sub.code, sub.stderr).toBe(0);
    expect(main.stderr).toMatch(/Nothing was changed at any carrier/);
    // One file for the stack: the subaccount's list after the main accounts'.
    writeFileSync(
      join(project.dir, "numbers.yaml"),
      `${readFileSync(join(project.dir, "numbers.main.yaml"), "utf8")}\n${sub.stdout}`,
    );
    entries = readNumbersFile(join(project.dir, "numbers.yaml"));
    expect(entries.length).toBeGreaterThanOrEqual(200);
    expect(entries.filter((e) => e.accountSid === SUBACCOUNT)).toHaveLength(COUNTS.subaccount);
    expect(entries.some((e) => e.voice === false)).toBe(true);
    expect(entries.some((e) => e.sms === false)).toBe(true);
    const check = await command(["adopt", "--check", "numbers.yaml"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(writes()).toEqual([]);
  });

  it("the preview plans only the creates, one per entry", async () => {
    const result = await project.run(["preview", "--json", "--stack", STACK]);
    expectSuccess(result, "pulumi preview --json");
    const steps = (JSON.parse(result.stdout) as { steps: PreviewStep[] }).steps.filter((s) =>
      s.urn.includes(`::${RESOURCE_TYPE}::`),
    );
    expect(steps.map((s) => `${s.op} ${String(s.newState?.inputs?.phoneNumber)}`).sort()).toEqual(
      entries.map((e) => `create ${e.phoneNumber}`).sort(),
    );
  });

  it("up makes no carrier write; a second preview shows no change", async () => {
    sandbox.control.clearLog();
    expectSuccess(await project.run(["up", "--yes", "--stack", STACK]), "pulumi up");
    expect(writes()).toEqual([]);
    expect(sandbox.control.requests().length).toBeGreaterThan(0);
    expectSuccess(
      await project.run(["preview", "--expect-no-changes", "--stack", STACK]),
      "pulumi preview --expect-no-changes",
    );
    expect(JSON.stringify(sandbox.control.state())).toBe(seeded);
  });

  it("destroy leaves every number as seeded", async () => {
    expectSuccess(await project.run(["destroy", "--yes", "--stack", STACK]), "pulumi destroy");
    expect(JSON.stringify(sandbox.control.state())).toBe(seeded);
    expect(sandbox.control.releases()).toEqual([]);
  });
});
