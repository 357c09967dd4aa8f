/**
 * `pulumi-phone-webhooks drift --stack <name> [--cwd <dir>] [--json <file>]`
 *
 * Runs a refresh preview of a stack through Pulumi's Automation API (the same engine run as
 * `pulumi preview --refresh`: the carriers are read, nothing is written), and reports which
 * numbers' webhooks differ from the program, field by field, including each member of a
 * PhoneNumberWebhooksSet (and members that joined, left or were released). Exit codes: 0 no drift, 2 drift,
 * 1 the check itself failed (bad arguments, no stack, carrier down, bad credentials). The engine's
 * own `pulumi refresh --preview-only --expect-no-changes` exits 7, 6 or 1 for those (v3.248.0), but
 * reports no number or field.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { z } from "zod";
import { PACKAGE_SETTINGS } from "../config";
import { argumentsOrExit, parseCommandLine, type CommandIo } from "./command-line";
import { DriftProgress, numbersInState, type ProgressEngineEvent } from "./drift-progress";
import {
  errorDiagnostics,
  extractDrift,
  formatReport,
  redactAll,
  stripAnsi,
  type DriftEngineEvent,
  type DriftReport,
} from "./drift-report";

export const EXIT_CLEAN = 0;
export const EXIT_ERROR = 1;
export const EXIT_DRIFT = 2;

export const DRIFT_USAGE = `usage: pulumi-phone-webhooks drift --stack <name> [--cwd <dir>] [--json <file>]

Runs a refresh preview of the stack (the carriers are read, nothing is changed) and reports every
phone number whose webhooks differ from what the program declares, set members included
(a member that joined through select, left, or was released at the carrier counts as drift).

  --stack, -s <name>   the stack to check (required)
  --cwd, -C <dir>      the Pulumi project directory (default: the current directory)
  --json <file>        also write the report as JSON to <file>

Exit codes: 0 no drift, 2 drift, 1 the check failed (the report says why).
The pulumi CLI must be on PATH (https://www.pulumi.com/docs/install/); credentials and backend
come from the usual environment.`;

const argsSchema = z.strictObject({
  stack: z.string("--stack <name> is required").min(1, "--stack <name> is required"),
  cwd: z.string().min(1).default("."),
  json: z.string().min(1).optional(),
});
export type DriftArgs = z.infer<typeof argsSchema>;

/** Parses the command line after `drift`; throws an Error with a usage message on bad input. */
export function parseDriftArgs(argv: readonly string[]): DriftArgs | "help" {
  return parseCommandLine(
    argv,
    { stack: { type: "string", short: "s" }, cwd: { type: "string", short: "C" }, json: { type: "string" } },
    argsSchema,
    DRIFT_USAGE,
  );
}

export type DriftIo = CommandIo;

/** Runs the check and returns the exit code. Never throws. */
export async function runDrift(argv: readonly string[], io: DriftIo): Promise<number> {
  const command = argumentsOrExit(() => parseDriftArgs(argv), DRIFT_USAGE, io);
  if ("exit" in command) return command.exit;
  const { args } = command;

  const events: DriftEngineEvent[] = [];
  // Progress on stderr only: stdout is the report, which tools parse.
  const progress = new DriftProgress({ report: io.err });
  let report: DriftReport;
  try {
    const stack = await LocalWorkspace.selectStack(
      { stackName: args.stack, workDir: resolve(args.cwd) },
      // Drift is what differs: a released number or a new override is drift (exit 2) here, not
      // the refusal a preview reports for `up` (see `phoneWebhooks:previewChecks`).
      { envVars: { [PACKAGE_SETTINGS.previewChecks.env]: "false" } },
    );
    // The total, read beside the preview (both only read the state); without it, no progress.
    void stack.exportStack().then(
      (exported) => {
        const total = numbersInState(exported);
        if (total) progress.start(total);
      },
      () => undefined,
    );
    await stack.preview({
      refresh: true,
      onEvent: (event) => {
        events.push(event as DriftEngineEvent);
        progress.onEvent(event as ProgressEngineEvent);
      },
    });
    progress.finish();
    report = extractDrift(events, args.stack);
  } catch (error) {
    progress.finish();
    report = {
      stack: args.stack,
      status: "error",
      checkedAt: new Date().toISOString(),
      resources: 0,
      sets: 0,
      setMembers: 0,
      drift: [],
      error: describeFailure(error, events),
    };
  }

  if (args.json) {
    try {
      const file = resolve(args.json);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    } catch (error) {
      io.err(`could not write the report to ${args.json}: ${(error as Error).message}`);
      return EXIT_ERROR;
    }
  }
  if (report.status === "error") {
    io.err(formatReport(report));
    return EXIT_ERROR;
  }
  io.out(formatReport(report));
  return report.status === "drift" ? EXIT_DRIFT : EXIT_CLEAN;
}

/** What a user without the `pulumi` CLI on PATH is told, instead of `spawn pulumi ENOENT`. */
export const NO_CLI =
  "the pulumi CLI is not on PATH: this command runs it (through Pulumi's Automation API). Install it " +
  "(https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`, which puts it " +
  "in ~/.pulumi/bin) and add the directory that holds `pulumi` to PATH";

/**
 * Why the preview failed: the engine's error diagnostics when it sent any, else the CLI's stderr,
 * else the error's first line, passwords masked.
 */
function describeFailure(error: unknown, events: readonly DriftEngineEvent[]): string {
  const diagnostics = errorDiagnostics(events);
  if (diagnostics.length > 0) return diagnostics.join("\n");
  // The Automation API's CommandError keeps the CLI's output in a private `commandResult`, and
  // the error of a CLI that could not be started in its `err`.
  const e = error as {
    commandResult?: { stderr?: unknown; err?: { code?: unknown } };
    message?: unknown;
  };
  if (e.commandResult?.err?.code === "ENOENT") return NO_CLI;
  const raw = e.commandResult?.stderr;
  const stderr = typeof raw === "string" ? stripAnsi(raw).trim() : "";
  if (stderr) return redactAll(stderr);
  const message = typeof e.message === "string" ? e.message : String(error);
  return redactAll(stripAnsi(message.split("\n")[0] ?? message));
}
