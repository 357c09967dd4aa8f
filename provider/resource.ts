/**
 * The program side: the `PhoneNumberWebhooks` resource. Its provider object is a thin shim that
 * `require`s this package in the provider process, so the state holds a few hundred bytes of
 * `__provider` (no SDKs, no credentials), and refresh and destroy run the installed code.
 */
import * as pulumi from "@pulumi/pulumi";
import { forwardTo } from "./forward";
import hostedProvider from "./hosted";
import type { PhoneNumberWebhooksOutputs, PhoneNumberWebhooksProvider } from "./lifecycle";
import type { OnDelete } from "./validation";
import { hasUserinfo, URL_FIELDS, type ProviderName, type WebhookSettings } from "./webhooks";

export interface PhoneNumberWebhooksArgs {
  /** The number, in E.164 format (`+14155551234`). The account must already own it. */
  phoneNumber: pulumi.Input<string>;
  /** `"twilio"` or `"telnyx"`; detected from the accounts that have credentials when absent. */
  provider?: pulumi.Input<ProviderName>;
  voiceUrl?: pulumi.Input<string>;
  voiceMethod?: pulumi.Input<"GET" | "POST">;
  voiceFallbackUrl?: pulumi.Input<string>;
  smsUrl?: pulumi.Input<string>;
  /** Twilio only: Telnyx messaging webhooks are always POST. */
  smsMethod?: pulumi.Input<"GET" | "POST">;
  smsFallbackUrl?: pulumi.Input<string>;
  statusCallbackUrl?: pulumi.Input<string>;
  /** What `pulumi destroy` does: `"restore"` (default) the previous webhooks, `"clear"` them, or `"retain"`. */
  onDelete?: pulumi.Input<OnDelete>;
  /** Telnyx: allow changing a connection or messaging profile that other numbers share. */
  allowSharedUpdate?: pulumi.Input<boolean>;
}

const PACKAGE_NAME = "pulumi-phone-webhooks";

/**
 * The provider process's instance. Called there, where `require` is that process's own and
 * resolves the installed package from the program's directory.
 */
const installed = (): PhoneNumberWebhooksProvider => require(PACKAGE_NAME).sharedProvider();

/**
 * For a package that is not under `node_modules` (a linked checkout), the serializer would copy
 * the provider's code by value: this shim forwards every method to the installed package instead
 * (about 2.4 KB of state per copy).
 */
const providerShim = forwardTo(installed);

/** Installed under node_modules, the provider is stored as `require("pulumi-phone-webhooks/hosted")`. */
const INSTALLED = __dirname.split(/[\\/]/).includes("node_modules");
const providerForState = INSTALLED ? hostedProvider : providerShim;

/** Outputs that may hold webhook URLs the carrier already had, which can embed passwords. */
const ALWAYS_SECRET_OUTPUTS = ["webhooks", "previousWebhooks"];

export class PhoneNumberWebhooks extends pulumi.dynamic.Resource {
  declare readonly phoneNumber: pulumi.Output<string>;
  declare readonly provider: pulumi.Output<ProviderName>;
  declare readonly voiceUrl: pulumi.Output<string | undefined>;
  declare readonly smsUrl: pulumi.Output<string | undefined>;
  declare readonly updatedWebhooks: pulumi.Output<{ voice?: string; sms?: string }>;
  declare readonly message: pulumi.Output<string>;
  declare readonly webhooks: pulumi.Output<WebhookSettings>;
  declare readonly previousWebhooks: pulumi.Output<WebhookSettings>;
  declare readonly sharedWith: pulumi.Output<string[]>;
  declare readonly accountSid: pulumi.Output<string | undefined>;
  declare readonly phoneNumberSid: pulumi.Output<string | undefined>;
  declare readonly phoneNumberId: pulumi.Output<string | undefined>;
  declare readonly connectionId: pulumi.Output<string | undefined>;
  declare readonly connectionType: pulumi.Output<string | undefined>;
  declare readonly messagingProfileId: pulumi.Output<string | undefined>;

  constructor(name: string, args: PhoneNumberWebhooksArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: Record<string, unknown> = { ...args };
    // A URL with a password is a secret input, so it is encrypted in the state and its output is secret.
    for (const field of URL_FIELDS)
      if (args[field] !== undefined) inputs[field] = secretIfCredentialed(args[field]);
    const outputs: Record<keyof Omit<PhoneNumberWebhooksOutputs, "phoneNumber" | "provider">, undefined> = {
      voiceUrl: undefined,
      voiceMethod: undefined,
      voiceFallbackUrl: undefined,
      smsUrl: undefined,
      smsMethod: undefined,
      smsFallbackUrl: undefined,
      statusCallbackUrl: undefined,
      onDelete: undefined,
      allowSharedUpdate: undefined,
      providerDetected: undefined,
      updatedWebhooks: undefined,
      message: undefined,
      webhooks: undefined,
      previousWebhooks: undefined,
      sharedWith: undefined,
      accountSid: undefined,
      phoneNumberSid: undefined,
      voiceApplicationSid: undefined,
      smsApplicationSid: undefined,
      trunkSid: undefined,
      phoneNumberId: undefined,
      connectionId: undefined,
      connectionType: undefined,
      messagingProfileId: undefined,
    };
    const secretOutputs = [...ALWAYS_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])];
    super(
      providerForState,
      name,
      { ...outputs, ...inputs },
      { ...opts, additionalSecretOutputs: secretOutputs },
      "phone-webhooks",
      "PhoneNumberWebhooks",
    );
  }
}

function secretIfCredentialed(url: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined {
  if (typeof url === "string") return hasUserinfo(url) ? pulumi.secret(url) : url;
  return pulumi
    .output(url)
    .apply((u) => (typeof u === "string" && hasUserinfo(u) ? pulumi.secret(u) : u)) as pulumi.Output<string>;
}
