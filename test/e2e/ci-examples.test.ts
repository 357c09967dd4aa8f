/**
 * The CI examples (examples/ci) stay runnable: this reads the GitHub Actions workflows and the
 * GitLab pipeline and runs their commands, under the real CLI against the sandbox, in the order a
 * repository would see them: pull request, merge, a console edit, the scheduled drift check, the
 * next merge. Shell steps run as written (bash -eo pipefail, as both CI systems do); the
 * `pulumi/actions` steps run as the CLI command their inputs stand for (command, stack-name,
 * refresh, expect-no-changes, policyPacks, policyPackConfigs). Steps that install things
 * (checkout, setup-node, `npm ci`, the CLI) are left out: the fixture has node_modules and the CLI.
 */
import { execFile } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/pulumi-project";
import { binDir, E2EFixture, type NumberDeclaration } from "./support";

const CI = join(REPO_ROOT, "examples", "ci");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | boolean>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}
interface StepResult {
  step: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** The environments of examples/multi-environment, with URLs the example policy configs allow. */
const STACKS: Record<string, NumberDeclaration[]> = {
  staging: [
    { name: "sms", phoneNumber: "+14155550101", smsUrl: "https://staging.your-app.example/webhooks/sms" },
    {
      name: "telnyx",
      phoneNumber: "+13125550202",
      voiceUrl: "https://staging.your-app.example/webhooks/voice",
    },
  ],
  production: [
    { name: "main", phoneNumber: "+14155550100", voiceUrl: "https://your-app.example/webhooks/voice" },
    {
      name: "sales",
      phoneNumber: "+13125550200",
      voiceUrl: "https://your-app.example/webhooks/voice",
      allowSharedUpdate: true,
    },
  ],
};

function workflow(file: string): Workflow {
  return load(readFileSync(join(CI, "github", file), "utf8")) as Workflow;
}

/** Replaces the expressions the examples use; any other would mean the test no longer knows the step. */
function expand(text: string, stack: string): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (whole, expr: string) => {
    if (expr === "env.STACK" || expr === "matrix.stack") return stack;
    throw new Error(`the test does not know how to run ${whole}`);
  });
}

/** The CLI command a pulumi/actions step stands for, from the inputs it documents. */
function actionCommand(inputs: Record<string, string | boolean>, stack: string): string[] | undefined {
  const command = inputs.command;
  if (command === undefined) return undefined; // installs the CLI only
  const args = [String(command), "--stack", expand(String(inputs["stack-name"]), stack)];
  if (command === "up") args.push("--yes");
  if (String(inputs.refresh) === "true") args.push("--refresh");
  if (String(inputs["expect-no-changes"]) === "true") args.push("--expect-no-changes");
  for (const pack of String(inputs.policyPacks ?? "")
    .split("\n")
    .filter(Boolean))
    args.push("--policy-pack", pack);
  for (const cfg of String(inputs.policyPackConfigs ?? "")
    .split("\n")
    .filter(Boolean))
    args.push("--policy-pack-config", expand(cfg, stack));
  return args;
}

const installs = (script: string) =>
  /^\s*(npm ci|npm install|curl .*get\.pulumi\.com|export PATH=)/.test(script);

describe.skipIf(!binDir)("the CI examples, run against the sandbox", () => {
  let f: E2EFixture;
  let files: string;

  beforeAll(async () => {
    f = await E2EFixture.start();
    const dir = f.project.dir;
    files = join(dir, "..", "ci-files");
    mkdirSync(files);
    // The policy pack exactly as examples/ci/policy has it: its dependencies are the project's.
    cpSync(join(CI, "policy"), join(dir, "policy"), { recursive: true });
    // `npm ci` links the package's bin; installPackage leaves .bin alone.
    const cli = join(dir, "node_modules", "pulumi-phone-webhooks", "dist", "provider", "cli", "index.js");
    chmodSync(cli, 0o755);
    mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
    symlinkSync(
      relative(join(dir, "node_modules", ".bin"), cli),
      join(dir, "node_modules", ".bin", "pulumi-phone-webhooks"),
    );
    for (const [stack, numbers] of Object.entries(STACKS)) await f.initStack(stack, numbers);
  });
  afterAll(async () => {
    await f?.close();
  });

  const bash = (script: string, env: Record<string, string>): Promise<Omit<StepResult, "step">> =>
    new Promise((resolve, reject) => {
      execFile(
        "bash",
        ["--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        { cwd: f.project.dir, env: { ...f.project.env, ...env }, timeout: 300_000, maxBuffer: 64 << 20 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") return reject(error);
          resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
        },
      );
    });

  /** Runs a GitHub job's steps for a stack: after a failure, only `if: always()` steps run. */
  async function runJob(file: string, job: string, stack: string): Promise<StepResult[]> {
    const steps = workflow(file).jobs[job]!.steps;
    const results: StepResult[] = [];
    const env = {
      STACK: stack,
      GITHUB_OUTPUT: join(files, `${job}-${stack}-output`),
      GITHUB_STEP_SUMMARY: join(files, `${job}-${stack}-summary.md`),
    };
    writeFileSync(env.GITHUB_STEP_SUMMARY, "");
    let failed = false;
    for (const step of steps) {
      if (failed && step.if !== "always()") continue;
      const name = step.name ?? step.uses ?? step.run ?? "?";
      let result: Omit<StepResult, "step"> | undefined;
      if (step.uses?.startsWith("pulumi/actions@")) {
        const args = actionCommand(step.with ?? {}, stack);
        if (args) result = await f.project.run(args);
      } else if (step.run && !installs(step.run)) {
        result = await bash(expand(step.run, stack), env);
      } else if (step.uses && !/^actions\/(checkout|setup-node|upload-artifact)@/.test(step.uses)) {
        throw new Error(`the test does not know how to run ${step.uses}`);
      }
      if (!result) continue;
      results.push({ step: name, ...result });
      if (result.code !== 0) failed = true;
    }
    return results;
  }

  const codes = (results: StepResult[]) => Object.fromEntries(results.map((r) => [r.step, r.code]));
  const summary = (job: string, stack: string) =>
    readFileSync(join(files, `${job}-${stack}-summary.md`), "utf8");

  it("GitHub: pull request previews pass, merge deploys staging then production and verifies", async () => {
    for (const stack of ["staging", "production"]) {
      const results = await runJob("pull-request.yml", "preview", stack);
      expect(codes(results), JSON.stringify(results)).toEqual({ "pulumi preview --refresh": 0 });
      expect(results[0]!.stdout).toMatch(/Policies:[\s\S]*phone-webhooks@v0\.1\.0/);
    }
    for (const job of ["staging", "production"]) {
      const results = await runJob("deploy.yml", job, job);
      expect(codes(results), JSON.stringify(results)).toEqual({
        "pulumi up --refresh": 0,
        "The carriers match the program": 0,
      });
    }
    expect(f.sandbox.control.twilioNumber("+14155550100")!.voice_url).toBe(
      "https://your-app.example/webhooks/voice",
    );
    expect(f.sandbox.control.twilioNumber("+14155550101")!.sms_url).toBe(
      "https://staging.your-app.example/webhooks/sms",
    );
  });

  it("GitHub: the drift schedule exits 0 when clean, 2 after a console edit, with the summary naming the number", async () => {
    for (const stack of ["staging", "production"]) {
      const results = await runJob("drift.yml", "drift", stack);
      expect(codes(results), JSON.stringify(results)).toEqual({ "Check for drift": 0, Summary: 0 });
      expect(summary("drift", stack)).toContain(`### ${stack}: clean`);
    }

    f.sandbox.control.editTwilioNumber("+14155550100", { voice_url: "https://console.example.com/voice" });
    const production = await runJob("drift.yml", "drift", "production");
    expect(codes(production), JSON.stringify(production)).toEqual({ "Check for drift": 2, Summary: 0 });
    expect(production[0]!.stdout).toContain("::error title=Drift in production::");
    expect(readFileSync(join(files, "drift-production-output"), "utf8")).toContain("exit-code=2");
    expect(summary("drift", "production")).toContain("### production: drift");
    expect(summary("drift", "production")).toContain(
      "| +14155550100 | update | voiceUrl | https://your-app.example/webhooks/voice | https://console.example.com/voice |",
    );
    const staging = await runJob("drift.yml", "drift", "staging");
    expect(codes(staging)).toEqual({ "Check for drift": 0, Summary: 0 });
  });

  it("the engine's exit codes the README and the workflows give: 7 for a change, 6 for no such stack, 1 for a failure", async () => {
    // production still has the previous test's console edit; staging has none.
    const verify = workflow("deploy.yml").jobs.production!.steps.find(
      (s) => s.name === "The carriers match the program",
    )!.run!;
    expect(verify).toContain("--expect-no-changes");
    const deployCheck = async (stack: string) => (await bash(verify, { STACK: stack })).code;
    // The engine-only drift check the README and drift.yml mention.
    const refresh = async (stack: string) =>
      (await f.project.run(["refresh", "--preview-only", "--expect-no-changes", "--stack", stack])).code;
    const exits = async (stack: string) => ({
      deploy: await deployCheck(stack),
      refresh: await refresh(stack),
    });

    expect(await exits("staging")).toEqual({ deploy: 0, refresh: 0 });
    expect(await exits("production")).toEqual({ deploy: 7, refresh: 7 });
    expect(await exits("no-such-stack")).toEqual({ deploy: 6, refresh: 6 });
    // The check itself fails: Twilio refuses every request (HTTP 401, not retried).
    f.sandbox.control.injectFault({ status: 401, carrier: "twilio", times: Infinity });
    try {
      expect(await exits("production")).toEqual({ deploy: 1, refresh: 1 });
    } finally {
      f.sandbox.control.clearFaults();
    }
  });

  it("GitLab: deploy restores the console edit, then the drift job and the merge request preview exit 0", async () => {
    const pipeline = load(readFileSync(join(CI, "gitlab", ".gitlab-ci.yml"), "utf8")) as Record<
      string,
      { script?: string[]; extends?: string; variables?: Record<string, string> }
    >;
    const script = (job: string): string[] => {
      const j = pipeline[job]!;
      return j.script ?? (j.extends ? script(j.extends) : []);
    };
    const runScript = async (job: string, stack: string) => {
      const out: StepResult[] = [];
      for (const line of script(job)) {
        const r = await bash(line, { STACK: stack });
        out.push({ step: line, ...r });
        if (r.code !== 0) break;
      }
      return out;
    };
    expect(pipeline["deploy-production"]!.variables).toEqual({ STACK: "production" });

    const drifted = await runScript("drift", "production");
    expect(drifted.map((r) => r.code)).toEqual([2]);
    const deployed = await runScript("deploy-production", "production");
    expect(
      deployed.map((r) => r.code),
      JSON.stringify(deployed),
    ).toEqual([0, 0]);
    expect(f.sandbox.control.twilioNumber("+14155550100")!.voice_url).toBe(
      "https://your-app.example/webhooks/voice",
    );
    expect((await runScript("drift", "production")).map((r) => r.code)).toEqual([0]);
    expect((await runScript("preview", "staging")).map((r) => r.code)).toEqual([0]);
  });
});
