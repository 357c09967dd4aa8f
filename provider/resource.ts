/**
 * The program side: the `PhoneNumberWebhooks` resource. Its provider object is a thin shim that
 * `require`s this package in the provider process, so the state holds a few hundred bytes of
 * `__provider` (no SDKs, no credentials), and refresh and destroy run the installed code.
 * Its arguments and outputs are derived from the schemas in `schema.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { forwardTo, type ForwardingProvider } from "./forward";
import hostedProvider from "./hosted";
import { OUTPUT_NAMES, type CheckedArgs, type OutputName, type PhoneNumberWebhooksOutputs } from "./schema";
import { DYNAMIC_PROVIDER_NAME, RESOURCE_TYPE_NAME } from "./type-token";
import { hasUserinfo, URL_FIELDS } from "./webhooks";

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

/** Installed under node_modules, the provider is stored as `require("pulumi-phone-webhooks/hosted")`. */
const INSTALLED = __dirname.split(/[\\/]/).includes("node_modules");
const providerForState = INSTALLED ? hostedProvider : providerShim;

/** Outputs that may hold webhook URLs the carrier already had, which can embed passwords. */
const ALWAYS_SECRET_OUTPUTS: OutputName[] = ["webhooks", "previousWebhooks"];

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
