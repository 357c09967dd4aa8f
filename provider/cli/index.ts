#!/usr/bin/env node
/**
 * The `pulumi-phone-webhooks` command. Its subcommands load only when called; nothing in the
 * package's entry points imports this.
 */
import type * as Adopt from "./adopt";
import type * as Drift from "./drift";

const USAGE = `usage: pulumi-phone-webhooks <command> [options]

commands:
  adopt    write the numbers file of an account's live numbers, whose first up changes nothing;
           --check <file> compares a numbers file with the account (exit 0 same, 2 different, 1 error)
  drift    report phone numbers whose webhooks differ from the program (exit 0 none, 2 drift, 1 error)

Run \`pulumi-phone-webhooks <command> --help\` for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };
  switch (command) {
    case "drift": {
      // Loaded on demand: only this subcommand needs the Automation API.
      const { runDrift } = require("./drift") as typeof Drift;
      return runDrift(rest, io);
    }
    case "adopt": {
      const { runAdopt } = require("./adopt") as typeof Adopt;
      return runAdopt(rest, io);
    }
    case undefined:
    case "-h":
    case "--help":
    case "help":
      io.out(USAGE);
      return command === undefined ? 1 : 0;
    default:
      io.err(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
