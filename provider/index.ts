/**
 * pulumi-phone-webhooks: point Twilio and Telnyx phone numbers' voice and SMS webhooks at your
 * URLs, see console drift in previews, and give numbers their previous webhooks back on destroy.
 */
export { PhoneNumberWebhooks, type PhoneNumberWebhooksArgs } from "./resource";
export {
  PhoneNumberWebhooksProvider,
  sharedProvider,
  type PhoneNumberWebhooksOutputs,
  type ProviderOptions,
} from "./lifecycle";
export { BaseUrlRequestClient } from "./carriers/twilio-request-client";
export type { Carrier, CarrierNumber, WriteStep } from "./carriers/carrier";
export { WebhookError, CarrierError } from "./errors";
export { checkArgs } from "./validation";
export type { WebhookSettings, ProviderName } from "./webhooks";
