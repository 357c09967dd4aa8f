/**
 * The type token of `PhoneNumberWebhooks` in a stack's state, in preview events and in policy
 * packs. Pulumi composes a dynamic resource's token as `pulumi-nodejs:dynamic/<provider>:<type>`
 * from the two names the resource passes to `dynamic.Resource`; they are stated here once, and
 * must never change: the state, drift reports and policies find the resources by this token.
 */
export const DYNAMIC_PROVIDER_NAME = "phone-webhooks";
export const RESOURCE_TYPE_NAME = "PhoneNumberWebhooks";
export const PHONE_NUMBER_WEBHOOKS_TYPE =
  `pulumi-nodejs:dynamic/${DYNAMIC_PROVIDER_NAME}:${RESOURCE_TYPE_NAME}` as const;

/** The type token of `PhoneNumberWebhooksSet`: many numbers in one resource. Never to change either. */
export const SET_RESOURCE_TYPE_NAME = "PhoneNumberWebhooksSet";
export const PHONE_NUMBER_WEBHOOKS_SET_TYPE =
  `pulumi-nodejs:dynamic/${DYNAMIC_PROVIDER_NAME}:${SET_RESOURCE_TYPE_NAME}` as const;
