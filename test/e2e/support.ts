/**
 * One end-to-end fixture: a fresh sandbox, and a throwaway Pulumi project whose program declares
 * the numbers given in its stack config, with credentials set as secret stack config.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { PulumiProject, RESOURCE_TYPE } from "../../scripts/pulumi-project";
import type { Sandbox, SandboxSeed } from "../../sandbox";
import { providerEnvironment, startSandbox } from "../../sandbox";
import { demoSeed } from "../support/sandbox";

export const binDir = inject("pulumiBinDir");

/**
 * The program: the numbers (`PhoneNumberWebhooks`) and the sets (`PhoneNumberWebhooksSet`) declared
 * in stack config under `numbers` and `sets`; a stack may have both.
 */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { PhoneNumberWebhooks, PhoneNumberWebhooksSet } = require("pulumi-phone-webhooks");

const config = new pulumi.Config();
// "secret:<key>" stands for the secret config value <key>: how a URL with a password is given.
const resolve = (v) => (typeof v === "string" && v.startsWith("secret:") ? config.requireSecret(v.slice(7)) : v);
const resolveAll = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
exports.results = {};
// "options" holds the resource's options (deleteBeforeReplace, …), not arguments.
for (const { name, options, ...args } of config.getObject("numbers") ?? []) {
  const r = new PhoneNumberWebhooks(name, resolveAll(args), options);
  exports.results[name] = {
    id: r.id,
    message: r.message,
    updatedWebhooks: r.updatedWebhooks,
    webhooks: r.webhooks,
    previousWebhooks: r.previousWebhooks,
    sharedWith: r.sharedWith,
    isolated: r.isolated,
    connectionId: r.connectionId,
    messagingProfileId: r.messagingProfileId,
  };
}
exports.sets = {};
for (const { name, numbers, ...args } of config.getObject("sets") ?? []) {
  // A member's own settings may be secret too.
  const members = numbers && numbers.map((n) => (typeof n === "string" ? n : resolveAll(n)));
  const set = new PhoneNumberWebhooksSet(name, { ...resolveAll(args), ...(members ? { numbers: members } : {}) });
  exports.sets[name] = { id: set.id, memberCount: set.memberCount, message: set.message };
}
`;

const PULUMI_YAML = `name: e2e
runtime: nodejs
main: index.js
options:
  refresh: always
`;

export interface NumberDeclaration extends Record<string, unknown> {
  name: string;
  phoneNumber: string;
  /** Resource options (`deleteBeforeReplace`, …), passed as the constructor's third argument. */
  options?: Record<string, unknown>;
}

export class E2EFixture {
  readonly project: PulumiProject;
  /** Every secret the run used: none may appear in state or output. */
  readonly secrets: string[];

  private constructor(
    readonly sandbox: Sandbox,
    readonly seed: SandboxSeed,
  ) {
    this.project = new PulumiProject({ binDir, files: { "Pulumi.yaml": PULUMI_YAML, "index.js": PROGRAM } });
    this.secrets = [seed.twilio!.auth_token!, seed.telnyx!.api_key!];
  }

  static async start(seed: SandboxSeed = demoSeed()): Promise<E2EFixture> {
    const sandbox = await startSandbox({ port: 0, seed });
    return new E2EFixture(sandbox, seed);
  }

  async initStack(stack: string, numbers: NumberDeclaration[]): Promise<void> {
    // The sandbox's URLs and credentials as stack config (the secrets as secret config), not as env.
    const env = providerEnvironment(this.sandbox);
    await this.project.initStack(
      stack,
      {
        "twilio:accountSid": env.TWILIO_ACCOUNT_SID,
        "twilio:apiBaseUrl": env.TWILIO_API_BASE_URL,
        "telnyx:baseUrl": env.TELNYX_BASE_URL,
        // Keep injected-fault runs short.
        "phoneWebhooks:retryTimeoutMs": "3000",
        "phoneWebhooks:requestTimeoutMs": "2000",
      },
      { "twilio:authToken": env.TWILIO_AUTH_TOKEN, "telnyx:apiKey": env.TELNYX_API_KEY },
    );
    await this.declare(stack, numbers);
  }

  /** Sets a secret config value, for a declaration to refer to as "secret:<key>". */
  setSecret(stack: string, key: string, value: string) {
    return this.project.must(["config", "set", "--stack", stack, "--secret", key, value]);
  }

  declare(stack: string, numbers: NumberDeclaration[]) {
    return this.project.must(["config", "set", "--stack", stack, "numbers", JSON.stringify(numbers)]);
  }

  up(stack: string) {
    return this.project.run(["up", "--yes", "--stack", stack]);
  }

  preview(stack: string, ...flags: string[]) {
    return this.project.run(["preview", "--stack", stack, ...flags]);
  }

  async results(stack: string): Promise<Record<string, Record<string, unknown>>> {
    return (await this.project.stackOutputs(stack)).results as Record<string, Record<string, unknown>>;
  }

  /** Declares the stack's sets. */
  declareSets(stack: string, sets: Array<{ name: string } & Record<string, unknown>>) {
    return this.project.must(["config", "set", "--stack", stack, "sets", JSON.stringify(sets)]);
  }

  /** Resources of a type (default `PhoneNumberWebhooks`) in the exported state, secrets shown if asked. */
  async resourcesInState(
    stack: string,
    type: string = RESOURCE_TYPE,
    ...flags: Array<"--show-secrets">
  ): Promise<Array<{ id: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>> {
    const state = JSON.parse(await this.project.exportState(stack, ...flags)) as {
      deployment: {
        resources?: Array<{
          type: string;
          id: string;
          inputs: Record<string, unknown>;
          outputs: Record<string, unknown>;
        }>;
      };
    };
    return (state.deployment.resources ?? []).filter((r) => r.type === type);
  }

  async close(): Promise<void> {
    await this.sandbox.close();
    this.project.dispose();
  }
}

/** Fails with the CLI's output, so a failing step says why. */
export function expectSuccess(result: { code: number; stdout: string; stderr: string }, what: string): void {
  if (result.code !== 0)
    throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
}

/** Every file under `dir`: where a test looks for secrets that must not be stored. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
