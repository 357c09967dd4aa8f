/**
 * The program side: the `PhoneNumberWebhooks` resource. Its provider object is a thin shim that
 * `require`s this package in the provider process, so the state holds a few hundred bytes of
 * `__provider` (no SDKs, no credentials), and refresh and destroy run the installed code.
 * Its arguments and outputs are derived from the schemas in `schema.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { forwardTo, type ForwardingProvider } from "./forward";
import hostedProvider from "./hosted";
import hostedSetProvider from "./hosted-set";
import { OUTPUT_NAMES, type CheckedArgs, type OutputName, type PhoneNumberWebhooksOutputs } from "./schema";
import { decodeMemberRecords, SET_OUTPUT_NAMES, type CheckedSetArgs, type SetOutputs } from "./set-schema";
import { DYNAMIC_PROVIDER_NAME, RESOURCE_TYPE_NAME, SET_RESOURCE_TYPE_NAME } from "./type-token";
import { hasUserinfo, URL_FIELDS, type WebhookField } from "./webhooks";

export type { PhoneNumberWebhooksOutputs };

/** The arguments: each may be an output of another resource. Only `phoneNumber` is required. */
export type PhoneNumberWebhooksArgs = {
  [K in keyof CheckedArgs]:
    pulumi.Input<NonNullable<CheckedArgs[K]>> | (undefined extends CheckedArgs[K] ? undefined : never);
};

const PACKAGE_NAME = "pulumi-phone-webhooks";

/**
 * For a package that is not under `node_modules` (a linked checkout), the serializer would copy
 * the provider's code by value: this shim forwards every method to the installed package's hosted
 * provider instead, resolved by the provider process's own `require` (about 2.4 KB of state).
 */
const providerShim = forwardTo((): ForwardingProvider => require(`${PACKAGE_NAME}/hosted`));
const setProviderShim = forwardTo((): ForwardingProvider => require(`${PACKAGE_NAME}/hosted-set`));

/** Installed under node_modules, the provider is stored as `require("pulumi-phone-webhooks/hosted")`. */
const INSTALLED = __dirname.split(/[\\/]/).includes("node_modules");
const providerForState = INSTALLED ? hostedProvider : providerShim;
const setProviderForState = INSTALLED ? hostedSetProvider : setProviderShim;

/** Outputs that may hold webhook URLs the carrier already had, which can embed passwords. */
const ALWAYS_SECRET_OUTPUTS: OutputName[] = ["webhooks", "previousWebhooks", "previousCarrierFields"];

/** Every output as a property of the resource, typed from the output schema. */
type OutputProperties = {
  readonly [K in OutputName]-?: pulumi.Output<PhoneNumberWebhooksOutputs[K]>;
};

// The class's output properties come from the schema, by declaration merging: listing them by hand
// is how they drifted from the outputs before.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface PhoneNumberWebhooks extends OutputProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PhoneNumberWebhooks extends pulumi.dynamic.Resource {
  constructor(name: string, args: PhoneNumberWebhooksArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: Record<string, unknown> = { ...args };
    // A URL with a password is a secret input, so it is encrypted in the state and its output is secret.
    for (const field of URL_FIELDS)
      if (args[field] !== undefined) inputs[field] = secretIfCredentialed(args[field]);
    // Every output is registered, unknown until the provider answers.
    const outputs = Object.fromEntries(OUTPUT_NAMES.map((output) => [output, undefined]));
    const secretOutputs = [...ALWAYS_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])];
    super(
      providerForState,
      name,
      { ...outputs, ...inputs },
      { ...opts, additionalSecretOutputs: secretOutputs },
      DYNAMIC_PROVIDER_NAME,
      RESOURCE_TYPE_NAME,
    );
  }
}

function secretIfCredentialed(url: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined {
  if (typeof url === "string") return hasUserinfo(url) ? pulumi.secret(url) : url;
  return pulumi
    .output(url)
    .apply((u) => (typeof u === "string" && hasUserinfo(u) ? pulumi.secret(u) : u)) as pulumi.Output<string>;
}

/** The arguments of a set: the per-number ones it shares with all members, and its members. */
export type PhoneNumberWebhooksSetArgs = {
  [K in Exclude<keyof CheckedSetArgs, "members" | "numbers">]?: pulumi.Input<NonNullable<CheckedSetArgs[K]>>;
} & {
  /**
   * The members listed: E.164 numbers, each optionally with settings of its own over the set's
   * (`{ phoneNumber: "+1…", voiceUrl: "https://…" }`).
   */
  numbers?: pulumi.Input<
    pulumi.Input<string | ({ phoneNumber: string } & { [F in WebhookField]?: string })>[]
  >;
  /**
   * Members found in the account at every preview and up, by carrier-specific keys that must all
   * match: Twilio `friendlyNamePrefix`, `friendlyNameRegex`, `messagingServiceSid`; Telnyx `tag`,
   * `connectionId`, `messagingProfileId`.
   */
  select?: pulumi.Input<Record<string, pulumi.Input<string>>>;
};

type SetOutputProperties = {
  readonly [K in (typeof SET_OUTPUT_NAMES)[number]]-?: pulumi.Output<SetOutputs[K]>;
};

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface PhoneNumberWebhooksSet extends SetOutputProperties {}

/**
 * Many numbers' webhooks in one resource: the same settings for every member (each may declare
 * its own over them), members listed or selected in the account, and one state entry for all.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PhoneNumberWebhooksSet extends pulumi.dynamic.Resource {
  constructor(name: string, args: PhoneNumberWebhooksSetArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: Record<string, unknown> = { ...args, label: args.label ?? name };
    for (const field of URL_FIELDS)
      if (args[field] !== undefined) inputs[field] = secretIfCredentialed(args[field]);
    // A member's own URL with a password makes the whole list secret: it is one property.
    if (args.numbers !== undefined)
      inputs.numbers = pulumi.output(args.numbers).apply((numbers) => {
        const credentialed = (numbers ?? []).some(
          (entry) =>
            typeof entry === "object" &&
            URL_FIELDS.some((field) => typeof entry[field] === "string" && hasUserinfo(entry[field])),
        );
        return credentialed ? pulumi.secret(numbers) : numbers;
      });
    const outputs = Object.fromEntries(SET_OUTPUT_NAMES.map((output) => [output, undefined]));
    // Each member's record holds its live and previous URLs, which may carry passwords.
    const secretOutputs = ["members", ...(opts?.additionalSecretOutputs ?? [])];
    super(
      setProviderForState,
      name,
      { ...outputs, ...inputs },
      { ...opts, additionalSecretOutputs: secretOutputs },
      DYNAMIC_PROVIDER_NAME,
      SET_RESOURCE_TYPE_NAME,
    );
    // The state carries the member records encoded (see `encodeMemberRecords`): programs read them as records.
    const stored = (this as unknown as { members: pulumi.Output<unknown> }).members;
    Object.defineProperty(this, "members", { value: stored.apply(decodeMemberRecords), enumerable: true });
  }
}
