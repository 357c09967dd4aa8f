/**
 * pulumi-phone-webhooks: point Twilio and Telnyx phone numbers' voice and SMS webhooks at your
 * URLs, see console drift in previews, and give numbers their previous webhooks back on destroy.
 *
 * Requiring this loads no carrier SDK: they load in the provider process, on first carrier use.
 */
export {
  PhoneNumberWebhooks,
  type PhoneNumberWebhooksArgs,
  type PhoneNumberWebhooksOutputs,
} from "./resource";
export { PhoneNumberWebhooksSet, type PhoneNumberWebhooksSetArgs } from "./resource";
export type { SetOutputs as PhoneNumberWebhooksSetOutputs, MemberState } from "./set-schema";
export { PhoneNumberWebhooksProvider, type ProviderOptions } from "./lifecycle";
export { PhoneNumberWebhooksSetProvider } from "./set-lifecycle";
export { PHONE_NUMBER_WEBHOOKS_SET_TYPE, PHONE_NUMBER_WEBHOOKS_TYPE } from "./type-token";
export { CarrierError, WebhookError, type WebhookErrorKind } from "./errors";
export type { CarrierName } from "./carriers";
export type { OnDelete } from "./schema";
export type { WebhookSettings } from "./webhooks";
export {
  NUMBER_ENTRY_SCHEMA,
  NUMBERS_FILE_SCHEMA,
  numberArgs,
  numbersFileJsonSchema,
  parseNumberEntries,
  readNumbersFile,
  setMembers,
  type NumberArgs,
  type NumberDefaults,
  type NumberEntry,
  type SetDeclares,
  type SetMember,
} from "./numbers-file";
