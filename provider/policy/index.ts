/**
 * `pulumi-phone-webhooks/policy`: a CrossGuard policy pack for PhoneNumberWebhooks resources.
 *
 * A policy pack directory (PulumiPolicy.yaml with `runtime: nodejs`) needs only:
 *
 *   const { phoneWebhooksPolicyPack } = require("pulumi-phone-webhooks/policy");
 *   phoneWebhooksPolicyPack();
 *
 * and each stack chooses its settings with `pulumi preview --policy-pack <dir>
 * --policy-pack-config <file.json>`. Resources are found by their type token,
 * PHONE_NUMBER_WEBHOOKS_TYPE, so the pack needs no program code.
 *
 * Needs `@pulumi/policy` (an optional peer dependency: only policy packs load this module).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  PolicyPack,
  type EnforcementLevel,
  type PolicyPackArgs,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
} from "@pulumi/policy";
import { z } from "zod";
import { PHONE_NUMBER_WEBHOOKS_TYPE } from "../type-token";
import {
  allowedHostsConfig,
  checkAllowedHosts,
  checkHttpsOnly,
  checkNoSharedUpdate,
  checkNumberPerStack,
  checkRestoreOnDelete,
  numbersByStackConfig,
  parseConfig,
  stacksConfig,
} from "./rules";

export { PHONE_NUMBER_WEBHOOKS_TYPE };
export * from "./rules";

/** The policies' names, as `--policy-pack-config` files key them. */
export const POLICY_NAMES = {
  allowedHosts: "phone-webhooks-allowed-hosts",
  httpsOnly: "phone-webhooks-https-only",
  noSharedUpdate: "phone-webhooks-no-shared-update",
  restoreOnDelete: "phone-webhooks-restore-on-delete",
  numberPerStack: "phone-webhooks-number-per-stack",
} as const;

const STACKS_SCHEMA = {
  stacks: {
    type: "array",
    items: { type: "string" },
    description: 'Stacks this policy applies to ("*": every stack). Default: none.',
  },
} as const;

/**
 * One policy: `rule` returns the violations of one resource; a configuration that does not parse
 * is itself reported, so a typo in a config file cannot switch a policy off silently.
 */
function policy<C>(
  name: string,
  description: string,
  enforcementLevel: EnforcementLevel,
  configSchema: ResourceValidationPolicy["configSchema"],
  schema: z.ZodType<C>,
  rule: (props: Record<string, unknown>, stack: string, config: C) => string[],
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    configSchema,
    validateResource: (args: ResourceValidationArgs, reportViolation) => {
      if (args.type !== PHONE_NUMBER_WEBHOOKS_TYPE) return;
      let config: C;
      try {
        config = parseConfig(name, schema, args.getConfig<object>());
      } catch (error) {
        reportViolation((error as Error).message);
        return;
      }
      for (const message of rule(args.props as Record<string, unknown>, pulumi.getStack(), config))
        reportViolation(message);
    },
  };
}

/** The policies, each configurable per stack through `--policy-pack-config`. */
export function phoneWebhooksPolicies(): ResourceValidationPolicy[] {
  return [
    policy(
      POLICY_NAMES.allowedHosts,
      "Webhook URLs point only at allowed hosts (exact names or *.example.com).",
      "mandatory",
      {
        properties: {
          hosts: {
            type: "array",
            items: { type: "string" },
            description:
              "Allowed hosts; *.example.com matches every name under example.com. Empty: any host.",
          },
        },
      },
      allowedHostsConfig,
      (props, _stack, config) => checkAllowedHosts(props, config),
    ),
    policy(POLICY_NAMES.httpsOnly, "Webhook URLs use https.", "mandatory", undefined, z.object({}), (props) =>
      checkHttpsOnly(props),
    ),
    policy(
      POLICY_NAMES.noSharedUpdate,
      'On the chosen stacks, no allowSharedUpdate: true and no onShared: "update".',
      "mandatory",
      { properties: STACKS_SCHEMA },
      stacksConfig,
      checkNoSharedUpdate,
    ),
    policy(
      POLICY_NAMES.restoreOnDelete,
      'On the chosen stacks, onDelete is "restore" (the default).',
      "mandatory",
      { properties: STACKS_SCHEMA },
      stacksConfig,
      checkRestoreOnDelete,
    ),
    policy(
      POLICY_NAMES.numberPerStack,
      "Given each stack's numbers, a number is managed by its own stack only.",
      "mandatory",
      {
        properties: {
          numbers: {
            type: "object",
            additionalProperties: { type: "array", items: { type: "string" } },
            description:
              'Stack name to its E.164 numbers, e.g. { "production": ["+14155550100"] }. Empty: no check.',
          },
        },
      },
      numbersByStackConfig,
      checkNumberPerStack,
    ),
  ];
}

/** Creates the policy pack (a policy pack's program calls this once). */
export function phoneWebhooksPolicyPack(
  name = "phone-webhooks",
  args: Partial<PolicyPackArgs> = {},
): PolicyPack {
  return new PolicyPack(name, {
    description:
      "Guards for PhoneNumberWebhooks: allowed hosts, https, shared objects, destroy, numbers per stack.",
    ...args,
    policies: [...phoneWebhooksPolicies(), ...(args.policies ?? [])],
  });
}
