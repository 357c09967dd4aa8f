/** What the subcommands share: where they write, and how their command line is read. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { z } from "zod";

/** Where a subcommand writes: its report (stdout) and its progress and errors (stderr). */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Parses a subcommand's command line with `options`, then `schema`; `"help"` for `--help`.
 * Throws an Error whose message ends with `usage` on bad input.
 */
export function parseCommandLine<Schema extends z.ZodType>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  schema: Schema,
  usage: string,
): z.output<Schema> | "help" {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${usage}`);
  }
  if (values.help) return "help";
  delete values.help;
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new Error(`${parsed.error.issues[0]!.message}\n\n${usage}`);
  return parsed.data;
}

/**
 * A subcommand's arguments from `parse`, or the exit code when there is nothing to run: 0 after
 * printing `usage` for `--help`, 1 after printing what is wrong.
 */
export function argumentsOrExit<Args>(
  parse: () => Args | "help",
  usage: string,
  io: CommandIo,
): { args: Args } | { exit: number } {
  try {
    const parsed = parse();
    if (parsed !== "help") return { args: parsed };
    io.out(usage);
    return { exit: 0 };
  } catch (error) {
    io.err((error as Error).message);
    return { exit: 1 };
  }
}
