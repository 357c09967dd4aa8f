/**
 * The package as users get it: `npm pack`ed, installed with `npm install` into a fresh project
 * beside the newest `@pulumi/pulumi` the registry serves, then run under the real CLI against the
 * sandbox; and the commands README.md and sandbox/README.md show for an npm install (the drift
 * command, the sandbox's bin and module, Twilio validation after its optional packages), run from
 * that install as the packed READMEs write them. Needs the registry (through npm) and a built
 * `dist/` (`npm test` builds first).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, posix, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NO_CLI } from "../../provider/cli/drift";
import { PulumiProject, REPO_ROOT, type RunResult } from "../../scripts/pulumi-project";
import { providerEnvironment, startSandbox, type Sandbox } from "../../sandbox";
import { missingValidationMessage, VALIDATION_PACKAGES } from "../../sandbox/carriers/twilio/openapi";
import { demoSeed } from "../support/sandbox";

const binDir = inject("pulumiBinDir");
const run = promisify(execFile);
const STACK = "dev";
const TWILIO_NUMBER = "+14155550100";
const TELNYX_NUMBER = "+13125550202";
const VOICE = "https://installed.example.com/voice";
/** The demo seed: what the sandbox of the test, and the package's bin by default, start from. */
const seed = demoSeed();

/** The package's own manifest: what its `exports`, `main`, `types` and `bin` promise. */
const MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  peerDependencies: Record<string, string>;
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

/** The code blocks of a Markdown text in one language. */
function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp("^```" + language + "\\n([\\s\\S]*?)^```$", "gm"))].map(
    (m) => m[1]!,
  );
}

/** A command that serves until stopped: its first line of output, or how it ended if it ended first. */
interface Served {
  line?: string;
  code?: number;
  stderr: string;
  stop: () => void;
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

    sandbox = await startSandbox({ port: 0, seed });
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

  /** Runs a command in the installed project, with its environment unless given one; never throws. */
  const exec = (file: string, args: string[], env: NodeJS.ProcessEnv = project.env) =>
    new Promise<RunResult>((resolve, reject) => {
      execFile(file, args, { cwd: project.dir, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") return reject(error);
        resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      });
    });

  /** Starts `npx <args>` in the installed project (in a process group of its own, to stop it whole). */
  const serve = (args: string[]) =>
    new Promise<Served>((resolve) => {
      const child = spawn("npx", args, { cwd: project.dir, env: project.env, detached: true });
      const stop = () => {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          // ended already
        }
      };
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("\n")) resolve({ line: stdout.split("\n")[0], stderr, stop });
      });
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("close", (code) => resolve({ code: code ?? -1, stderr, stop }));
    });

  /** A file of the package as installed. */
  const installed = (path: string) =>
    readFileSync(join(project.dir, "node_modules", MANIFEST.name, path), "utf8");

  it("packs what users need and none of the sources, tests or scripts", () => {
    const paths = packed.files.map((f) => f.path);
    const needed = (path: string) =>
      [
        "package.json",
        "README.md",
        "LICENSE",
        "sandbox/README.md",
        "docs/reliability.md",
        "numbers-file.schema.json",
      ].includes(path) ||
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

  it("packs every file README.md and sandbox/README.md link to", () => {
    const paths = packed.files.map((f) => f.path);
    for (const doc of ["README.md", "sandbox/README.md"]) {
      expect(paths).toContain(doc);
      const links = [...installed(doc).matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1]!)
        .filter((link) => !/^[a-z]+:/.test(link));
      for (const link of links)
        expect(paths, `${doc} links ${link}`).toContain(posix.join(posix.dirname(doc), link));
    }
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

  it("up, a no-change preview, the drift command and destroy work under the real CLI, from the installed package", async () => {
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
    // The README's drift command, as an npm user runs it.
    const drift = await exec("npx", ["pulumi-phone-webhooks", "drift", "--stack", STACK]);
    output.push(drift.stdout, drift.stderr);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.stdout).toContain(`No drift in stack ${STACK}: 2 phone number resource(s)`);
    await step(["destroy", "--yes", "--stack", STACK]);
    expect(sandbox.control.twilioNumber(TWILIO_NUMBER)!.voice_url).toBe(twilioBefore);
    expect(texml().voice_url).toBe(telnyxBefore);
    for (const secret of secrets) for (const text of [state, ...output]) expect(text).not.toContain(secret);
  });

  it("the drift command without pulumi on PATH says what to install and where, not `spawn pulumi ENOENT`", async () => {
    const bin = join(project.dir, "node_modules", ".bin", "pulumi-phone-webhooks");
    const noCli = { ...project.env, PATH: join(project.dir, "no-such-dir") };
    const result = await exec(process.execPath, [bin, "drift", "--stack", STACK], noCli);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(NO_CLI);
    expect(result.stderr).not.toContain("ENOENT");
  });

  it("the sandbox, as sandbox/README.md starts it from an npm install; --validate-twilio once its packages are added", async () => {
    const lines = codeBlocks(installed("sandbox/README.md"), "sh")
      .flatMap((block) => block.split("\n"))
      .filter((line) => line.startsWith("npx phone-webhooks-sandbox"));
    // Each command as written, on a free port.
    const commands = lines.map((line) =>
      line
        .split("#")[0]!
        .trim()
        .replace(/--port \d+/, "--port 0")
        .split(/\s+/)
        .slice(1),
    );
    const validating = commands.filter((args) => args.includes("--validate-twilio"));
    expect(commands.length - validating.length).toBeGreaterThanOrEqual(2);
    expect(validating).toHaveLength(1);

    const started = async (args: string[]) => {
      const served = await serve(args);
      if (served.line === undefined)
        throw new Error(`npx ${args.join(" ")} exited ${served.code}:\n${served.stderr}`);
      return { ...served, urls: JSON.parse(served.line) as { url: string; twilioBaseUrl: string } };
    };
    for (const args of commands.filter((c) => !validating.includes(c))) {
      const { urls, stop } = await started(args);
      try {
        // The demo seed, from the package's own sandbox/seeds.
        const state = (await (await fetch(`${urls.url}/_sandbox/state`)).json()) as typeof seed;
        expect(state.twilio!.account_sid).toBe(seed.twilio!.account_sid);
      } finally {
        stop();
      }
    }

    // Without its optional packages, validation refuses to start and gives the command to add them.
    const names = Object.keys(VALIDATION_PACKAGES);
    const refused = await serve(validating[0]!);
    expect(refused.code).toBe(2);
    const message = missingValidationMessage(names);
    expect(refused.stderr).toContain(message);
    const command = /npm install --save-dev (.+)$/.exec(message)![1]!.split(" ");
    expect(command).toEqual(names.map((n) => `${n}@${MANIFEST.peerDependencies[n]}`));
    await npm(["install", "--prefer-offline", "--save-dev", ...command], project.dir);

    const { urls, stop } = await started(validating[0]!);
    try {
      // Twilio's OpenAPI description allows GET or POST: PUT is a violation, answered 400 and kept.
      const { sid } = (await (
        await fetch(`${urls.url}/_sandbox/twilio/numbers/${TWILIO_NUMBER}`)
      ).json()) as {
        sid: string;
      };
      const auth = Buffer.from(`${seed.twilio!.account_sid}:${seed.twilio!.auth_token}`).toString("base64");
      const answer = await fetch(
        `${urls.twilioBaseUrl}/2010-04-01/Accounts/${seed.twilio!.account_sid}/IncomingPhoneNumbers/${sid}.json`,
        {
          method: "POST",
          headers: { authorization: `Basic ${auth}`, "content-type": "application/x-www-form-urlencoded" },
          body: "VoiceMethod=PUT",
        },
      );
      expect(answer.status).toBe(400);
      const violations = (await (await fetch(`${urls.url}/_sandbox/validation-errors`)).json()) as string[];
      expect(violations.join("\n")).toContain(
        "/requestBody/VoiceMethod must be equal to one of the allowed values",
      );
    } finally {
      stop();
    }
  });

  it("sandbox/README.md's program runs as is from the install: the carriers' SDKs and the provider", async () => {
    const [program] = codeBlocks(installed("sandbox/README.md"), "js").filter((b) =>
      b.startsWith("// sandbox-example.mjs\n"),
    );
    expect(program).toBeDefined();
    writeFileSync(join(project.dir, "sandbox-example.mjs"), program!);
    const result = await exec(process.execPath, ["sandbox-example.mjs"]);
    expect(result.code, result.stderr).toBe(0);
    const printed = result.stdout.trim().split("\n");
    expect(printed).toContain(`Successfully updated 1 webhook(s) for ${TWILIO_NUMBER} via twilio`);
    const seeded = seed.twilio!.incoming_phone_numbers!.find((n) => n.phone_number === TWILIO_NUMBER)!;
    expect(printed.at(-1)).toBe(seeded.voice_url);
  });
});
