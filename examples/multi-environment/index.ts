/**
 * One program, one stack per environment. Each stack's config names its base URL and the numbers
 * it owns; `pulumi up` points every number's webhooks at that environment.
 *
 *   pulumi stack select staging && pulumi up
 *   pulumi stack select production && pulumi up
 *
 * On Telnyx, staging's +13125550201 and production's +13125550200 start on one Call Control
 * application and one messaging profile (with other numbers of the account). `onShared: "isolate"`
 * gives each its own copies, so each stack points its number at its own URLs without moving the
 * other's; destroy moves them back and deletes the copies.
 */
import * as pulumi from "@pulumi/pulumi";
import { PhoneNumberWebhooks } from "pulumi-phone-webhooks";
import { z } from "zod";

const numberSchema = z.object({
  phoneNumber: z.string(),
  provider: z.enum(["twilio", "telnyx"]).optional(),
  voice: z.boolean().default(true),
  sms: z.boolean().default(true),
  allowSharedUpdate: z.boolean().optional(),
  /**
   * Telnyx: a number on an application or profile other numbers share. "isolate" gives it copies
   * of its own (the others keep theirs, untouched); "update" changes the shared one for all.
   */
  onShared: z.enum(["refuse", "update", "isolate"]).optional(),
});
const stackSchema = z.object({
  baseUrl: z.url({ protocol: /^https$/ }),
  numbers: z.array(numberSchema).min(1),
});

const config = new pulumi.Config();
const parsed = stackSchema.safeParse({
  baseUrl: config.get("baseUrl"),
  numbers: config.getObject("numbers"),
});
if (!parsed.success) {
  const issue = parsed.error.issues[0];
  throw new Error(`Stack config ${issue?.path.join(".") ?? ""}: ${issue?.message}`);
}
const { baseUrl, numbers } = parsed.data;

const resources = numbers.map(
  (n) =>
    new PhoneNumberWebhooks(`webhooks-${n.phoneNumber.replace("+", "")}`, {
      phoneNumber: n.phoneNumber,
      provider: n.provider,
      voiceUrl: n.voice ? `${baseUrl}/webhooks/voice` : undefined,
      smsUrl: n.sms ? `${baseUrl}/webhooks/sms` : undefined,
      allowSharedUpdate: n.allowSharedUpdate,
      onShared: n.onShared,
    }),
);

export const messages = resources.map((r) => r.message);
export const updatedWebhooks = Object.fromEntries(
  numbers.map((n, i) => [n.phoneNumber, resources[i]!.updatedWebhooks]),
);
/** The objects made for isolated numbers, and the shared ones they came from. */
export const isolated = Object.fromEntries(numbers.map((n, i) => [n.phoneNumber, resources[i]!.isolated]));
