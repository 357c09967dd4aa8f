/**
 * The rules of the policy pack, as pure functions of one resource's declared arguments, the stack
 * and the policy's configuration: no engine here, so they are tested directly. `index.ts` wraps
 * them as `@pulumi/policy` policies. Every message masks URL passwords.
 *
 * Each rule takes the arguments of a `PhoneNumberWebhooks` or of a `PhoneNumberWebhooksSet`: a
 * set's own settings are checked as a number's are, and so is every member's own setting in
 * `numbers` (the message names the member: `numbers[2] (+14155550100) voiceUrl …`). The numbers
 * a set manages are the listed ones and the ones its `members` (computed by the provider's check
 * from `numbers` and `select`) names.
 */
import { z } from "zod";
import { CARRIERS } from "../carriers";
import { redactUrl, URL_FIELDS } from "../webhooks";

/** The objects numbers share, as the carriers that have them name them. */
const SHARED_OBJECTS = CARRIERS.flatMap((c) => (c.sharedObjects ? [c.sharedObjects.what] : [])).join(" or ");

/** What a policy sees of a PhoneNumberWebhooks or PhoneNumberWebhooksSet resource: its checked arguments. */
export type DeclaredArgs = Record<string, unknown>;

/** `"*"` in a list of stacks means every stack. */
const stacksSchema = z.array(z.string().min(1, "a stack name must not be empty")).default([]);

export const allowedHostsConfig = z.object({
  /** Host names a webhook URL may point at: exact (`hooks.example.com`) or `*.example.com`. */
  hosts: z
    .array(
      z
        .string()
        .regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i, "a host is a DNS name, optionally starting with *."),
    )
    .default([]),
});
export const stacksConfig = z.object({ stacks: stacksSchema });
export const numbersByStackConfig = z.object({
  /** Stack name to the E.164 numbers that stack may manage. */
  numbers: z
    .record(z.string().min(1), z.array(z.string().regex(/^\+[1-9]\d{1,14}$/, "numbers are E.164")))
    .default({}),
});

export type AllowedHostsConfig = z.infer<typeof allowedHostsConfig>;
export type StacksConfig = z.infer<typeof stacksConfig>;
export type NumbersByStackConfig = z.infer<typeof numbersByStackConfig>;

/** The known webhook URLs of one set of settings (not outputs still unknown in a preview). */
function urlsOf(settings: Record<string, unknown>, prefix: string): Array<[string, string]> {
  return URL_FIELDS.flatMap((field) => {
    const value = settings[field];
    return typeof value === "string" && value !== ""
      ? [[`${prefix}${field}`, value] as [string, string]]
      : [];
  });
}

/** How a message names a set's member given in `numbers`: its index and its number. */
function memberLabel(index: number, phoneNumber: unknown): string {
  return typeof phoneNumber === "string" ? `numbers[${index}] (${phoneNumber})` : `numbers[${index}]`;
}

/**
 * The declared webhook URLs that are known, each with the name a message gives it: the
 * resource's own (`voiceUrl`), and for a set each member's own setting in `numbers`
 * (`numbers[2] (+14155550100) voiceUrl`).
 */
function declaredUrls(args: DeclaredArgs): Array<[string, string]> {
  const urls = urlsOf(args, "");
  if (!Array.isArray(args.numbers)) return urls;
  for (const [index, entry] of (args.numbers as unknown[]).entries())
    if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
      const own = entry as Record<string, unknown>;
      urls.push(...urlsOf(own, `${memberLabel(index, own.phoneNumber)} `));
    }
  return urls;
}

/**
 * The numbers a resource manages, each with how a message names it: a PhoneNumberWebhooks' own
 * number; a set's listed numbers (`numbers[1] (+1…)`) and the members its check selected
 * (`+1… (selected)`). Numbers not known yet (a preview's unknowns) are left out.
 */
export function managedNumbers(args: DeclaredArgs): Array<{ phoneNumber: string; label: string }> {
  const found = new Map<string, string>();
  if (typeof args.phoneNumber === "string") found.set(args.phoneNumber, args.phoneNumber);
  if (Array.isArray(args.numbers))
    for (const [index, entry] of (args.numbers as unknown[]).entries()) {
      const phoneNumber =
        typeof entry === "string"
          ? entry
          : entry !== null && typeof entry === "object"
            ? (entry as Record<string, unknown>).phoneNumber
            : undefined;
      if (typeof phoneNumber === "string" && !found.has(phoneNumber))
        found.set(phoneNumber, memberLabel(index, phoneNumber));
    }
  const members = args.members;
  if (members !== null && typeof members === "object" && !Array.isArray(members))
    for (const phoneNumber of Object.keys(members))
      if (!found.has(phoneNumber)) found.set(phoneNumber, `${phoneNumber} (selected)`);
  return [...found].map(([phoneNumber, label]) => ({ phoneNumber, label }));
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return null;
  }
}

/** `*.example.com` matches any name under example.com (not example.com itself); others exactly. */
export function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  if (p.startsWith("*.")) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return host === p;
}

export function stackSelected(stack: string, stacks: readonly string[]): boolean {
  return stacks.includes("*") || stacks.includes(stack);
}

/** Webhook URLs must point at one of the allowed hosts (no hosts configured: nothing to check). */
export function checkAllowedHosts(args: DeclaredArgs, config: AllowedHostsConfig): string[] {
  if (config.hosts.length === 0) return [];
  return declaredUrls(args).flatMap(([field, url]) => {
    const host = hostOf(url);
    if (host !== null && config.hosts.some((pattern) => hostMatches(host, pattern))) return [];
    return [
      `${field} ${redactUrl(url)} points at ${host === null ? "no valid host" : `host ${JSON.stringify(host)}`}, ` +
        `which is not among the allowed hosts (${config.hosts.join(", ")})`,
    ];
  });
}

/** Webhook URLs must be https. */
export function checkHttpsOnly(args: DeclaredArgs): string[] {
  return declaredUrls(args).flatMap(([field, url]) =>
    /^https:\/\//i.test(url) ? [] : [`${field} ${redactUrl(url)} is not an https:// URL`],
  );
}

/** On the chosen stacks, no consent to change Telnyx objects other numbers share. */
export function checkNoSharedUpdate(args: DeclaredArgs, stack: string, config: StacksConfig): string[] {
  if (!stackSelected(stack, config.stacks)) return [];
  const found: string[] = [];
  if (args.allowSharedUpdate === true) found.push("allowSharedUpdate: true");
  if (args.onShared === "update") found.push('onShared: "update"');
  return found.map(
    (what) =>
      `${what} is not allowed on stack ${stack}: it lets a change reach every number on a shared ` +
      SHARED_OBJECTS,
  );
}

/** On the chosen stacks, destroy must give numbers back their previous webhooks. */
export function checkRestoreOnDelete(args: DeclaredArgs, stack: string, config: StacksConfig): string[] {
  if (!stackSelected(stack, config.stacks)) return [];
  const onDelete = args.onDelete;
  // Absent means the default, "restore"; a value not yet known is left to the provider's check.
  if (onDelete === undefined || onDelete === null || onDelete === "restore" || typeof onDelete !== "string")
    return [];
  return [`onDelete: ${JSON.stringify(onDelete)} is not allowed on stack ${stack}: it must be "restore"`];
}

/**
 * Given each stack's numbers, a number belongs to one stack only, and a stack manages only its own:
 * every number of a set counts, listed or selected.
 */
export function checkNumberPerStack(
  args: DeclaredArgs,
  stack: string,
  config: NumbersByStackConfig,
): string[] {
  const stacks = Object.entries(config.numbers);
  if (stacks.length === 0) return [];
  return managedNumbers(args).flatMap(({ phoneNumber: number, label }) => {
    const owners = stacks.filter(([, numbers]) => numbers.includes(number)).map(([name]) => name);
    if (owners.length > 1)
      return [
        `${label} is listed for more than one stack (${owners.join(", ")}): a number belongs to one stack`,
      ];
    const owner = owners[0];
    if (owner !== undefined && owner !== stack)
      return [`${label} belongs to stack ${owner}, not to stack ${stack}`];
    if (owner === undefined && config.numbers[stack] !== undefined)
      return [
        `${label} is not among the numbers of stack ${stack} (${config.numbers[stack]!.join(", ") || "none"})`,
      ];
    return [];
  });
}

/** Parses a policy's configuration; a message naming the policy and the key when it is wrong. */
export function parseConfig<T>(policy: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`policy ${policy}: configuration ${issue.path.join(".") || "(root)"}: ${issue.message}`);
}
