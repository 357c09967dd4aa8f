/**
 * Runs the real Pulumi CLI on a throwaway project: a temporary directory whose `node_modules`
 * points at this checkout's (so the program imports `pulumi-phone-webhooks` as users do), its own
 * `PULUMI_HOME`, a `file://` backend and a passphrase. Shared by the end-to-end tests, the demo
 * and the benchmark.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const REPO_ROOT = join(__dirname, "..");
/** The type token of our resources in a stack's state. */
export const RESOURCE_TYPE = "pulumi-nodejs:dynamic/phone-webhooks:PhoneNumberWebhooks";

/** Provisions the CLI (see scripts/ensure-pulumi.sh) and returns the directory to put on PATH. */
export function ensurePulumiCli(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [join(REPO_ROOT, "scripts", "ensure-pulumi.sh")], {
      stdio: ["ignore", "pipe", "inherit"], // progress (stderr) goes straight to the user
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const binDir = out.trim().split("\n").pop() ?? "";
      if (code === 0 && binDir) resolve(binDir);
      else
        reject(
          new Error(`scripts/ensure-pulumi.sh failed (exit ${code}): no Pulumi CLI could be provisioned`),
        );
    });
  });
}

/**
 * Fills a program's `node_modules` as `npm install pulumi-phone-webhooks` would. The package itself
 * is a real copy (`package.json` and the built `dist/`), so it lives under node_modules as it does
 * for users, which decides how Pulumi serializes its provider; so is `@pulumi/pulumi`, whose
 * serializer resolves the package from its own location. Everything else links to this checkout's.
 */
export function installPackage(nodeModules: string): void {
  mkdirSync(nodeModules, { recursive: true });
  const copied = new Set(["pulumi-phone-webhooks", "@pulumi", ".bin", ".package-lock.json"]);
  for (const entry of readdirSync(join(REPO_ROOT, "node_modules")))
    if (!copied.has(entry))
      symlinkSync(join(REPO_ROOT, "node_modules", entry), join(nodeModules, entry), "dir");
  cpSync(join(REPO_ROOT, "node_modules", "@pulumi"), join(nodeModules, "@pulumi"), { recursive: true });
  const target = join(nodeModules, "pulumi-phone-webhooks");
  mkdirSync(target);
  cpSync(join(REPO_ROOT, "package.json"), join(target, "package.json"));
  cpSync(join(REPO_ROOT, "dist"), join(target, "dist"), { recursive: true });
}

/**
 * Fills `dir` with this repository as a fresh clone has it after `npm ci`: every file git tracks
 * (and every new one it does not ignore), as the working tree has it, unchanged; `dist/` as
 * `prepare` builds it; and `node_modules`, whose dependencies link to this checkout's (`@pulumi`
 * copied, as in `installPackage`) and whose `pulumi-phone-webhooks` links to the copy itself, made
 * by scripts/link-self.mjs as `prepare` makes it.
 */
export function copyCheckout(dir: string): void {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const path of listed.split("\0").filter(Boolean)) {
    const from = join(REPO_ROOT, path);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet in the index
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(from, join(dir, path));
  }
  cpSync(join(REPO_ROOT, "dist"), join(dir, "dist"), { recursive: true });
  const nodeModules = join(dir, "node_modules");
  mkdirSync(nodeModules, { recursive: true });
  for (const entry of readdirSync(join(REPO_ROOT, "node_modules")))
    if (entry !== "pulumi-phone-webhooks" && entry !== "@pulumi")
      symlinkSync(join(REPO_ROOT, "node_modules", entry), join(nodeModules, entry), "dir");
  cpSync(join(REPO_ROOT, "node_modules", "@pulumi"), join(nodeModules, "@pulumi"), { recursive: true });
  execFileSync(process.execPath, [join(dir, "scripts", "link-self.mjs")], { cwd: dir });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProjectOptions {
  binDir: string;
  /**
   * Files of the program, by name: at least `Pulumi.yaml` and its entry point (with `checkout`,
   * files written over the copy; none to run it as shipped).
   */
  files: Record<string, string>;
  /** Extra environment for every command (credentials, carrier base URLs). */
  env?: Record<string, string | undefined>;
  passphrase?: string;
  /**
   * `true` (default): fill `node_modules` from this checkout with `installPackage`. `false`: leave
   * it to the caller, say an `npm install` of the packed tarball into `dir`.
   */
  installPackage?: boolean;
  /**
   * `true`: the program directory is a copy of this repository (`copyCheckout`), whose top-level
   * Pulumi.yaml is the project; neither `installPackage` nor a default package.json applies.
   */
  checkout?: boolean;
}

export class PulumiProject {
  readonly dir: string;
  readonly home: string;
  readonly backend: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(options: ProjectOptions) {
    const root = mkdtempSync(join(tmpdir(), "phone-webhooks-"));
    this.dir = join(root, "program");
    this.home = join(root, "pulumi-home");
    this.backend = join(root, "state");
    for (const dir of [this.dir, this.home, this.backend]) mkdirSync(dir, { recursive: true });
    if (options.checkout) copyCheckout(this.dir);
    else if (options.installPackage ?? true) installPackage(join(this.dir, "node_modules"));
    const files = options.checkout
      ? options.files
      : { "package.json": '{ "name": "program", "private": true }\n', ...options.files };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, name), content);
    this.env = {
      ...process.env,
      ...options.env,
      PATH: `${options.binDir}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: options.passphrase ?? "correct horse battery staple",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      // The provider's takeover journal lives and dies with the project, not in the user's home.
      PHONE_WEBHOOKS_JOURNAL_DIR: join(root, "journal"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      NO_COLOR: "1",
    };
  }

  /** Runs `pulumi <args>` in the project; never throws on a non-zero exit. */
  run(args: string[], options: { stream?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "pulumi",
        [...args, "--non-interactive"],
        { cwd: this.dir, env: this.env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 300_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") return reject(error);
          resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
        },
      );
      if (options.stream) {
        child.stdout?.pipe(process.stdout);
        child.stderr?.pipe(process.stderr);
      }
    });
  }

  /**
   * Starts `pulumi <args>` in its own process group and returns at once, for tests that kill it
   * (and every process it started) midway.
   */
  start(args: string[]): { kill: () => void; done: Promise<RunResult> } {
    const child = spawn("pulumi", [...args, "--non-interactive"], {
      cwd: this.dir,
      env: this.env,
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<RunResult>((resolve) =>
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })),
    );
    const kill = () => {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
      // The engine starts its plugins (language host, provider) in process groups of their own.
      this.killStrays();
    };
    return { kill, done };
  }

  /** Like `run`, but a non-zero exit is an error that carries the CLI's output. */
  async must(args: string[], options: { stream?: boolean } = {}): Promise<RunResult> {
    const result = await this.run(args, options);
    if (result.code !== 0)
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result;
  }

  async initStack(stack: string, config: Record<string, string> = {}, secrets: Record<string, string> = {}) {
    await this.must(["stack", "init", stack]);
    for (const [key, value] of Object.entries(config))
      await this.must(["config", "set", "--stack", stack, key, value]);
    for (const [key, value] of Object.entries(secrets))
      await this.must(["config", "set", "--stack", stack, "--secret", key, value]);
  }

  async stackOutputs(stack: string): Promise<Record<string, unknown>> {
    const { stdout } = await this.must(["stack", "output", "--stack", stack, "--json", "--show-secrets"]);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  /** The stack's state as `pulumi stack export` gives it (secrets stay encrypted). */
  async exportState(stack: string, ...flags: string[]): Promise<string> {
    return (await this.must(["stack", "export", "--stack", stack, ...flags])).stdout;
  }

  /** Kills every process still working in this project (a killed run's plugins outlive it). */
  killStrays(): void {
    const root = join(this.dir, "..");
    for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
      if (Number(pid) === process.pid) continue;
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cwd.startsWith(root) || cmdline.includes(root)) process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already, or not ours to read
      }
    }
  }

  dispose(): void {
    this.killStrays();
    rmSync(join(this.dir, ".."), { recursive: true, force: true });
  }
}
