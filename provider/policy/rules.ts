/**
 * The rules of the policy pack, as pure functions of one resource's declared arguments, the stack
 * and the policy's configuration: no engine here, so they are tested directly. `index.ts` wraps
 * them as `@pulumi/policy` policies. Every message masks URL passwords.
 */
import { z } from "zod";
import { redactUrl, URL_FIELDS } from "../webhooks";

/** What a policy sees of a PhoneNumberWebhooks resource: its declared arguments. */
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

/** The declared webhook URLs that are known (not outputs still unknown in a preview). */
function declaredUrls(args: DeclaredArgs): Array<[string, string]> {
  return URL_FIELDS.flatMap((field) => {
    const value = args[field];
    return typeof value === "string" && value !== "" ? [[field, value] as [string, string]] : [];
  });
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
      `Telnyx connection or messaging profile`,
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

/** Given each stack's numbers, a number belongs to one stack only, and a stack manages only its own. */
export function checkNumberPerStack(
  args: DeclaredArgs,
  stack: string,
  config: NumbersByStackConfig,
): string[] {
  const stacks = Object.entries(config.numbers);
  const number = args.phoneNumber;
  if (stacks.length === 0 || typeof number !== "string") return [];
  const owners = stacks.filter(([, numbers]) => numbers.includes(number)).map(([name]) => name);
  if (owners.length > 1)
    return [
      `${number} is listed for more than one stack (${owners.join(", ")}): a number belongs to one stack`,
    ];
  const owner = owners[0];
  if (owner !== undefined && owner !== stack)
    return [`${number} belongs to stack ${owner}, not to stack ${stack}`];
  if (owner === undefined && config.numbers[stack] !== undefined)
    return [
      `${number} is not among the numbers of stack ${stack} (${config.numbers[stack]!.join(", ") || "none"})`,
    ];
  return [];
}

/** Parses a policy's configuration; a message naming the policy and the key when it is wrong. */
export function parseConfig<T>(policy: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`policy ${policy}: configuration ${issue.path.join(".") || "(root)"}: ${issue.message}`);
}
