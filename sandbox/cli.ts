#!/usr/bin/env node
/**
 * phone-webhooks-sandbox: run the carrier sandbox until Ctrl-C.
 *
 *   phone-webhooks-sandbox [--port 4010] [--host 127.0.0.1] [--seed sandbox/seeds/demo.json]
 *                          [--validate-twilio] [--log]
 *
 * Prints one JSON line, {"url":...,"twilioBaseUrl":...,"telnyxBaseUrl":...}, once it listens.
 */
import { parseArgs } from "node:util";
import { demoSeedPath, startSandbox, type Sandbox } from "./index";

const USAGE = `Usage: phone-webhooks-sandbox [options]

Options:
  --port <n>          port to listen on (default 4010; 0 picks a free port)
  --host <addr>       address to listen on (default 127.0.0.1)
  --seed <file>       seed JSON, relative to the current directory (default: the demo seed)
  --validate-twilio   check Twilio requests and responses against Twilio's OpenAPI description
  --log               print one line per carrier request to stderr
  -h, --help          show this help

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
      "validate-twilio": { type: "boolean" },
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
  const sandbox = await startSandbox({
    port,
    host: values.host ?? "127.0.0.1",
    seed: values.seed ?? demoSeedPath(),
    validateTwilio: values["validate-twilio"],
    log: values.log,
  });
  io.out(
    JSON.stringify({
      url: sandbox.url,
      twilioBaseUrl: sandbox.twilioBaseUrl,
      telnyxBaseUrl: sandbox.telnyxBaseUrl,
    }),
  );
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
