/**
 * The numbers a stack owns, from one of two places:
 *
 * - `phone-webhooks:numbersFile`: a YAML (or JSON) data file holding the list, beside the stack's
 *   config. For stacks of any size.
 * - `phone-webhooks:numbers`: the list itself, in stack config. Only for small stacks: the engine
 *   hands the program all of its config as one environment variable, and Linux refuses to start a
 *   process with a variable over 128 KiB (`argument list too long`): about 3,700 entries of
 *   `phoneNumber` alone, fewer with more fields (the README's "Each stack's numbers in a file"
 *   has the measurements).
 *
 * Setting both is an error, not a precedence: one of the two lists would be ignored in silence.
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { load } from "js-yaml";
import { z } from "zod";

/** The key names, as written in Pulumi.<stack>.yaml (the project's namespace, `phone-webhooks:`). */
export const NUMBERS_KEY = "numbers";
export const NUMBERS_FILE_KEY = "numbersFile";

// Strict: in a file of a thousand entries a misspelt key (`onshared`) would otherwise be dropped
// without a word, and the number deployed without it.
const numberSchema = z.strictObject({
  // E.164 only: the resource names come from it, and duplicates are found by comparing it.
  phoneNumber: z.string().regex(/^\+[1-9]\d{1,14}$/, "must be E.164, like +14155550100"),
  provider: z.enum(["twilio", "telnyx"]).optional(),
  voice: z.boolean().default(true),
  sms: z.boolean().default(true),
  allowSharedUpdate: z.boolean().optional(),
  /**
   * Telnyx: a number on an application or profile other numbers share. "isolate" gives it copies
   * of its own (the others keep theirs, untouched); "update" changes the shared one for all.
   */
  onShared: z.enum(["refuse", "update", "isolate"]).optional(),
});
export type NumberEntry = z.infer<typeof numberSchema>;

const numberListSchema = z.array(numberSchema).min(1, "must list at least one number");

/**
 * Two entries for one number would be two resources fighting over its webhooks, which the engine
 * only notices partway through an update (a duplicate URN). Checked on the raw entries, so that
 * the duplicates are reported with the other problems, not after they are fixed.
 */
function duplicateIssues(input: unknown): string[] {
  if (!Array.isArray(input)) return [];
  const first = new Map<string, number>();
  const issues: string[] = [];
  input.forEach((entry: unknown, index) => {
    const phone = phoneNumberOf(entry);
    if (phone === undefined) return;
    const earlier = first.get(phone);
    if (earlier === undefined) first.set(phone, index);
    else issues.push(`entry ${index} (${phone}), phoneNumber: ${phone} is already entry ${earlier}`);
  });
  return issues;
}

function phoneNumberOf(entry: unknown): string | undefined {
  return entry && typeof entry === "object" && "phoneNumber" in entry && typeof entry.phoneNumber === "string"
    ? entry.phoneNumber
    : undefined;
}

/**
 * "entry 3 (+13125550200), onShared: Invalid option…" for a zod issue in a list of entries, so a
 * mistake can be found in a long file. Entries count from 0.
 */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const [index, ...field] = issue.path;
  if (typeof index !== "number") return issue.message;
  const phoneNumber = Array.isArray(input) ? phoneNumberOf(input[index]) : undefined;
  const phone = phoneNumber === undefined ? "" : ` (${phoneNumber})`;
  const where = field.length ? `, ${field.join(".")}` : "";
  return `entry ${index}${phone}${where}: ${issue.message}`;
}

function parseList(input: unknown, source: string): NumberEntry[] {
  const parsed = numberListSchema.safeParse(input);
  const issues = [
    ...(parsed.error?.issues.map((issue) => describeIssue(issue, input)) ?? []),
    ...duplicateIssues(input),
  ];
  if (parsed.success && issues.length === 0) return parsed.data;
  throw new Error(`${source}: ${issues.length} problem(s):\n${issues.map((i) => `  ${i}`).join("\n")}`);
}

/** Reads and checks a numbers file: a YAML list of entries (JSON being YAML, a .json file works too). */
export function readNumbersFile(path: string): NumberEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${NUMBERS_FILE_KEY} ${path}: cannot read it (${(error as Error).message})`);
  }
  let data: unknown;
  try {
    data = load(text, { filename: basename(path) });
  } catch (error) {
    // js-yaml's message names the file (given as filename), the line and the column.
    throw new Error(`${NUMBERS_FILE_KEY} ${path}: not valid YAML: ${(error as Error).message}`);
  }
  if (!Array.isArray(data))
    throw new Error(
      `${NUMBERS_FILE_KEY} ${path}: must be a list of entries ("- phoneNumber: ..."), ` +
        `not ${data == null ? "empty" : typeof data}`,
    );
  return parseList(data, `${NUMBERS_FILE_KEY} ${path}`);
}

export interface StackNumbersConfig {
  /** `phone-webhooks:numbers`, as `config.getObject` gives it. */
  numbers: unknown;
  /** `phone-webhooks:numbersFile`. */
  numbersFile: string | undefined;
  /** Where a relative `numbersFile` is resolved from. */
  baseDir: string;
}

/** The stack's numbers, from its data file or its config list (exactly one of the two). */
export function stackNumbers({ numbers, numbersFile, baseDir }: StackNumbersConfig): NumberEntry[] {
  if (numbersFile !== undefined && numbers !== undefined)
    throw new Error(
      `Stack config sets both ${NUMBERS_KEY} and ${NUMBERS_FILE_KEY}: keep one. ` +
        `${NUMBERS_FILE_KEY} names a file holding the list, for stacks too big for config.`,
    );
  if (numbersFile !== undefined) return readNumbersFile(resolve(baseDir, numbersFile));
  if (numbers === undefined)
    throw new Error(`Stack config sets neither ${NUMBERS_KEY} (a list) nor ${NUMBERS_FILE_KEY} (a file)`);
  return parseList(numbers, `Stack config ${NUMBERS_KEY}`);
}
