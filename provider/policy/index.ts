/**
 * `pulumi-phone-webhooks/policy`: a CrossGuard policy pack for PhoneNumberWebhooks and
 * PhoneNumberWebhooksSet resources.
 *
 * A policy pack directory (PulumiPolicy.yaml with `runtime: nodejs`) needs only:
 *
 *   const { phoneWebhooksPolicyPack } = require("pulumi-phone-webhooks/policy");
 *   phoneWebhooksPolicyPack();
 *
 * and each stack chooses its settings with `pulumi preview --policy-pack <dir>
 * --policy-pack-config <file.json>`. Resources are found by their type tokens,
 * PHONE_NUMBER_WEBHOOKS_TYPE and PHONE_NUMBER_WEBHOOKS_SET_TYPE, so the pack needs no program code.
 * Every policy applies to sets too: to the set's settings, to each member's own settings in
 * `numbers`, and, for numbers per stack, to every member, listed or selected.
 *
 * Needs `@pulumi/policy` (an optional peer dependency: only policy packs load this module).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  PolicyPack,
  type PolicyPackArgs,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
} from "@pulumi/policy";
import { z } from "zod";
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE, PHONE_NUMBER_WEBHOOKS_TYPE } from "../type-token";
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
  type StacksConfig,
} from "./rules";

export { PHONE_NUMBER_WEBHOOKS_SET_TYPE, PHONE_NUMBER_WEBHOOKS_TYPE };

/** The resources the policies look at. */
const TYPES: ReadonlySet<string> = new Set([PHONE_NUMBER_WEBHOOKS_TYPE, PHONE_NUMBER_WEBHOOKS_SET_TYPE]);
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

/** Where the policies learn the stack's name (the engine's, by default). */
export interface PolicyOptions {
  stack?: () => string;
}

interface PolicySpec<C> {
  name: string;
  description: string;
  configSchema?: ResourceValidationPolicy["configSchema"];
  schema: z.ZodType<C>;
  /** Whether this configuration makes the rule depend on the stack's name. */
  needsStack?: (config: C) => boolean;
  rule: (props: Record<string, unknown>, stack: string, config: C) => string[];
}

/**
 * One policy: `rule` returns the violations of one resource. A configuration that does not parse
 * is itself reported, and so is a per-stack setting when the engine did not say which stack this
 * is, so that neither a typo nor a missing stack name can switch a policy off silently.
 */
function policy<C>(spec: PolicySpec<C>, options: PolicyOptions): ResourceValidationPolicy {
  const stackOf = options.stack ?? (() => pulumi.getStack());
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: "mandatory",
    configSchema: spec.configSchema,
    validateResource: (args: ResourceValidationArgs, reportViolation) => {
      if (!TYPES.has(args.type)) return;
      let config: C;
      try {
        config = parseConfig(spec.name, spec.schema, args.getConfig<object>());
      } catch (error) {
        reportViolation((error as Error).message);
        return;
      }
      const stack = stackOf();
      if (stack === "" && spec.needsStack?.(config)) {
        reportViolation(
          `policy ${spec.name} is configured per stack, but the engine did not tell the policy pack ` +
            `which stack this is (PULUMI_NODEJS_STACK is unset)`,
        );
        return;
      }
      for (const message of spec.rule(args.props as Record<string, unknown>, stack, config))
        reportViolation(message);
    },
  };
}

/** A policy that applies to the stacks its configuration lists (`stacks`, `"*"` for all). */
function onChosenStacks(
  name: string,
  description: string,
  rule: PolicySpec<StacksConfig>["rule"],
): PolicySpec<StacksConfig> {
  return {
    name,
    description,
    configSchema: { properties: STACKS_SCHEMA },
    schema: stacksConfig,
    needsStack: (config) => config.stacks.length > 0,
    rule,
  };
}

/** The policies, each configurable per stack through `--policy-pack-config`; all mandatory. */
export function phoneWebhooksPolicies(options: PolicyOptions = {}): ResourceValidationPolicy[] {
  return [
    policy(
      {
        name: POLICY_NAMES.allowedHosts,
        description: "Webhook URLs point only at allowed hosts (exact names or *.example.com).",
        configSchema: {
          properties: {
            hosts: {
              type: "array",
              items: { type: "string" },
              description:
                "Allowed hosts; *.example.com matches every name under example.com. Empty: any host.",
            },
          },
        },
        schema: allowedHostsConfig,
        rule: (props, _stack, config) => checkAllowedHosts(props, config),
      },
      options,
    ),
    policy(
      {
        name: POLICY_NAMES.httpsOnly,
        description: "Webhook URLs use https.",
        schema: z.object({}),
        rule: (props) => checkHttpsOnly(props),
      },
      options,
    ),
    policy(
      onChosenStacks(
        POLICY_NAMES.noSharedUpdate,
        'On the chosen stacks, no allowSharedUpdate: true and no onShared: "update".',
        checkNoSharedUpdate,
      ),
      options,
    ),
    policy(
      onChosenStacks(
        POLICY_NAMES.restoreOnDelete,
        'On the chosen stacks, onDelete is "restore" (the default).',
        checkRestoreOnDelete,
      ),
      options,
    ),
    policy(
      {
        name: POLICY_NAMES.numberPerStack,
        description: "Given each stack's numbers, a number is managed by its own stack only.",
        configSchema: {
          properties: {
            numbers: {
              type: "object",
              additionalProperties: { type: "array", items: { type: "string" } },
              description:
                'Stack name to its E.164 numbers, e.g. { "production": ["+14155550100"] }. Empty: no check.',
            },
          },
        },
        schema: numbersByStackConfig,
        needsStack: (config) => Object.keys(config.numbers).length > 0,
        rule: checkNumberPerStack,
      },
      options,
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
      "Guards for PhoneNumberWebhooks and PhoneNumberWebhooksSet: allowed hosts, https, shared objects, destroy, numbers per stack.",
    ...args,
    policies: [...phoneWebhooksPolicies(), ...(args.policies ?? [])],
  });
}
