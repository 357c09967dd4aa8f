/**
 * The package as users get it: `npm pack`ed, installed with `npm install` into a fresh project
 * beside the newest `@pulumi/pulumi` the registry serves, then run under the real CLI against the
 * sandbox. Needs the registry (through npm) and a built `dist/` (`npm test` builds first).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PulumiProject, REPO_ROOT } from "../../scripts/pulumi-project";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { demoSeed } from "../support/sandbox";

const binDir = inject("pulumiBinDir");
const run = promisify(execFile);
const STACK = "dev";
const TWILIO_NUMBER = "+14155550100";
const TELNYX_NUMBER = "+13125550202";
const VOICE = "https://installed.example.com/voice";

/** The package's own manifest: what its `exports`, `main`, `types` and `bin` promise. */
const MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

/** Neither carrier's `provider` is declared: both are detected, as most users leave it. */
const PROGRAM = `
const { PhoneNumberWebhooks } = require("pulumi-phone-webhooks");
const twilio = new PhoneNumberWebhooks("twilio-line", { phoneNumber: "${TWILIO_NUMBER}", voiceUrl: "${VOICE}" });
const telnyx = new PhoneNumberWebhooks("telnyx-line", { phoneNumber: "${TELNYX_NUMBER}", voiceUrl: "${VOICE}" });
exports.providers = [twilio.provider, telnyx.provider];
`;

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund", "--no-update-notifier"], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

describe.skipIf(!binDir)("the packed package, installed beside the newest @pulumi/pulumi", () => {
  let packDir: string;
  let packed: PackResult;
  let newestPulumi: string;
  let project: PulumiProject;
  let sandbox: Sandbox;
  let secrets: string[];

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, MANIFEST.main)))
      throw new Error(`${MANIFEST.main} is missing: run \`npm run build\` first (npm test does)`);
    packDir = mkdtempSync(join(tmpdir(), "phone-webhooks-pack-"));
    // --ignore-scripts: `prepare` would rebuild dist/ under the other end-to-end files running now.
    const [pack, view] = await Promise.all([
      npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], REPO_ROOT),
      npm(["view", "@pulumi/pulumi", "version"], REPO_ROOT),
    ]);
    packed = (JSON.parse(pack) as PackResult[])[0]!;
    newestPulumi = view.trim();

    sandbox = await startSandbox({ port: 0, seed: demoSeed() });
    const env = providerEnvironment(sandbox);
    secrets = [env.TWILIO_AUTH_TOKEN, env.TELNYX_API_KEY];
    project = new PulumiProject({
      binDir,
      installPackage: false,
      files: {
        "Pulumi.yaml": "name: installed\nruntime: nodejs\nmain: index.js\noptions:\n  refresh: always\n",
        "index.js": PROGRAM,
      },
    });
    await npm(
      ["install", "--prefer-offline", join(packDir, packed.filename), `@pulumi/pulumi@${newestPulumi}`],
      project.dir,
    );
    await project.initStack(
      STACK,
      {
        "twilio:accountSid": env.TWILIO_ACCOUNT_SID,
        "twilio:apiBaseUrl": env.TWILIO_API_BASE_URL,
        "telnyx:baseUrl": env.TELNYX_BASE_URL,
      },
      { "twilio:authToken": env.TWILIO_AUTH_TOKEN, "telnyx:apiKey": env.TELNYX_API_KEY },
    );
  });
  afterAll(async () => {
    await sandbox?.close();
    project?.dispose();
    if (packDir) rmSync(packDir, { recursive: true, force: true });
  });

  it("packs what users need and none of the sources, tests or scripts", () => {
    const paths = packed.files.map((f) => f.path);
    const needed = (path: string) =>
      ["package.json", "README.md", "LICENSE"].includes(path) ||
      /^dist\/(provider|sandbox)\/.+\.(js|d\.ts|js\.map)$/.test(path) ||
      /^sandbox\/seeds\/[^/]+\.json$/.test(path);
    expect(paths.filter((path) => !needed(path))).toEqual([]);
    // Every entry point the manifest promises is in the tarball.
    const targets = [
      MANIFEST.main,
      MANIFEST.types,
      ...Object.values(MANIFEST.bin),
      ...Object.values(MANIFEST.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t))),
    ].map((t) => t.replace(/^\.\//, ""));
    expect(targets.filter((t) => !paths.includes(t))).toEqual([]);
  });

  it("leaves one copy of @pulumi/pulumi, the newest, which the package shares", async () => {
    const copies = (await npm(["ls", "@pulumi/pulumi", "--all", "--parseable"], project.dir))
      .trim()
      .split("\n")
      .map((path) => relative(realpathSync(project.dir), path));
    expect(copies).toEqual([join("node_modules", "@pulumi", "pulumi")]);
    const tree = JSON.parse(await npm(["ls", "@pulumi/pulumi", "--json"], project.dir)) as {
      dependencies: Record<string, { version: string; dependencies?: Record<string, { version: string }> }>;
    };
    expect(tree.dependencies["@pulumi/pulumi"]!.version).toBe(newestPulumi);
    expect(tree.dependencies[MANIFEST.name]!.dependencies!["@pulumi/pulumi"]!.version).toBe(newestPulumi);
  });

  it("up, a no-change preview and destroy work under the real CLI, from the installed package", async () => {
    const twilioBefore = sandbox.control.twilioNumber(TWILIO_NUMBER)!.voice_url;
    const texml = () =>
      sandbox.control.telnyxObject(
        "texml_applications",
        sandbox.control.telnyxNumber(TELNYX_NUMBER)!.connection_id!,
      )!;
    const telnyxBefore = texml().voice_url;
    const output: string[] = [];
    const step = async (args: string[]) => {
      const result = await project.run(args);
      output.push(result.stdout, result.stderr);
      if (result.code !== 0)
        throw new Error(`pulumi ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    };

    await step(["up", "--yes", "--stack", STACK]);
    expect(sandbox.control.twilioNumber(TWILIO_NUMBER)!.voice_url).toBe(VOICE);
    expect(texml().voice_url).toBe(VOICE);
    expect((await project.stackOutputs(STACK)).providers).toEqual(["twilio", "telnyx"]);

    // The state's provider objects `require` the installed package's hosted entry, which its
    // `exports` map resolves to a file that was packed.
    const state = await project.exportState(STACK);
    const resources = (
      JSON.parse(state) as { deployment: { resources: Array<{ outputs?: Record<string, unknown> }> } }
    ).deployment.resources;
    const required = new Set(
      resources.flatMap((r) =>
        [...String(r.outputs?.__provider ?? "").matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!),
      ),
    );
    expect([...required]).toEqual([`${MANIFEST.name}/hosted`]);
    const resolveInProgram = createRequire(join(project.dir, "index.js")).resolve;
    const packageRoot = join(realpathSync(project.dir), "node_modules", MANIFEST.name);
    for (const specifier of required)
      expect(packed.files.map((f) => f.path)).toContain(
        relative(packageRoot, realpathSync(resolveInProgram(specifier))),
      );

    await step(["preview", "--expect-no-changes", "--stack", STACK]);
    await step(["destroy", "--yes", "--stack", STACK]);
    expect(sandbox.control.twilioNumber(TWILIO_NUMBER)!.voice_url).toBe(twilioBefore);
    expect(texml().voice_url).toBe(telnyxBefore);
    for (const secret of secrets) for (const text of [state, ...output]) expect(text).not.toContain(secret);
  });
});
