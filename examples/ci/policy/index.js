// The policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stack>.json`.
const { phoneWebhooksPolicyPack } = require("pulumi-phone-webhooks/policy");

phoneWebhooksPolicyPack("phone-webhooks");
