/**
 * pulumi-phone-webhooks: point Twilio and Telnyx phone numbers' voice and SMS webhooks at your
 * URLs, see console drift in previews, and give numbers their previous webhooks back on destroy.
 */
import { PhoneNumberWebhooksProvider } from "./lifecycle";

export { PhoneNumberWebhooks, type PhoneNumberWebhooksArgs } from "./resource";
export {
  PhoneNumberWebhooksProvider,
  type PhoneNumberWebhooksOutputs,
  type ProviderOptions,
} from "./lifecycle";
export { BaseUrlRequestClient } from "./carriers/twilio-request-client";
export type { Carrier, CarrierNumber, WriteStep } from "./carriers/carrier";
export { WebhookError, CarrierError } from "./errors";
export { checkArgs } from "./validation";
export type { WebhookSettings, ProviderName } from "./webhooks";

let shared: PhoneNumberWebhooksProvider | undefined;

/**
 * The provider instance of this process. The serialized shim of every resource calls into it, so
 * resources share one set of carrier clients (and their locks) per `pulumi` operation.
 */
export function sharedProvider(): PhoneNumberWebhooksProvider {
  shared ??= new PhoneNumberWebhooksProvider();
  return shared;
}
