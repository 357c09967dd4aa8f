#!/usr/bin/env node
/**
 * phone-webhooks-sandbox: run the carrier sandbox until Ctrl-C.
 *
 *   phone-webhooks-sandbox [--port 4010] [--host 127.0.0.1] [--seed sandbox/seeds/demo.json]
 *                          [--validate-<carrier>] [--log]
 *
 * Prints one JSON line, {"url":...,"<carrier>BaseUrl":...}, once it listens.
 */
import { parseArgs } from "node:util";
import { SANDBOX_CARRIERS } from "./carriers";
import type { SandboxCarrier } from "./carriers/carrier";
import { demoSeedPath, startSandbox, validationOption, type Sandbox, type SandboxOptions } from "./index";

/** The carriers with OpenAPI validation, each with its flag `--validate-<name>`. */
const VALIDATING = (SANDBOX_CARRIERS as readonly SandboxCarrier[]).flatMap((c) =>
  c.validation ? [{ name: c.name, flag: `validate-${c.name}`, help: c.validation.help }] : [],
);

const option = (flag: string, help: string) => `  ${flag.padEnd(20)}${help}`;

const USAGE = `Usage: phone-webhooks-sandbox [options]

Options:
${[
  option("--port <n>", "port to listen on (default 4010; 0 picks a free port)"),
  option("--host <addr>", "address to listen on (default 127.0.0.1)"),
  option("--seed <file>", "seed JSON, relative to the current directory (default: the demo seed)"),
  ...VALIDATING.map((v) => option(`--${v.flag}`, v.help)),
  option("--log", "print one line per carrier request to stderr"),
  option("-h, --help", "show this help"),
].join("\n")}

Control API: GET <url>/_sandbox, POST <url>/_sandbox/reset, GET <url>/_sandbox/state, ...`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Parse the arguments and start the sandbox; resolves to the running sandbox (or undefined for --help). */
export async function main(
  argv: string[],
  io: CliIo = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n") },
): Promise<Sandbox | undefined> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      seed: { type: "string" },
      ...Object.fromEntries(VALIDATING.map((v) => [v.flag, { type: "boolean" as const }])),
      log: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(USAGE);
    return undefined;
  }
  const port = values.port === undefined ? 4010 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, not ${values.port}`);
  const flags = values as Record<string, string | boolean | undefined>;
  const options: SandboxOptions = {
    port,
    host: values.host ?? "127.0.0.1",
    seed: values.seed ?? demoSeedPath(),
    log: values.log,
    ...Object.fromEntries(VALIDATING.map((v) => [validationOption(v.name), flags[v.flag]])),
  };
  const sandbox = await startSandbox(options);
  const baseUrls = (SANDBOX_CARRIERS as readonly SandboxCarrier[]).map((c) => `${c.name}BaseUrl`);
  const urls = sandbox as unknown as Record<string, string>;
  io.out(JSON.stringify(Object.fromEntries([["url", sandbox.url], ...baseUrls.map((k) => [k, urls[k]])])));
  return sandbox;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (sandbox) => {
      if (!sandbox) return;
      const stop = () => {
        sandbox.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (e: unknown) => {
      process.stderr.write(
        `phone-webhooks-sandbox: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`,
      );
      process.exit(2);
    },
  );
}
