/**
 * One program, one stack per environment. Each stack's config names its base URL and the data file
 * listing the numbers it owns (numbers.<stack>.yaml, see ./numbers.ts; a small stack may list them
 * in its config instead); `pulumi up` points every number's webhooks at that environment.
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
import { NUMBERS_FILE_KEY, NUMBERS_KEY, stackNumbers } from "./numbers";

const config = new pulumi.Config();
const baseUrl = z.url({ protocol: /^https$/ }).safeParse(config.get("baseUrl"));
if (!baseUrl.success) throw new Error(`Stack config baseUrl: ${baseUrl.error.issues[0]?.message}`);
// A relative numbersFile is read from this program's folder, which holds the Pulumi.<stack>.yaml files.
const numbers = stackNumbers({
  numbers: config.getObject(NUMBERS_KEY),
  numbersFile: config.get(NUMBERS_FILE_KEY),
  baseDir: __dirname,
});

const resources = numbers.map(
  (n) =>
    new PhoneNumberWebhooks(`webhooks-${n.phoneNumber.replace("+", "")}`, {
      phoneNumber: n.phoneNumber,
      provider: n.provider,
      voiceUrl: n.voice ? `${baseUrl.data}/webhooks/voice` : undefined,
      smsUrl: n.sms ? `${baseUrl.data}/webhooks/sms` : undefined,
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
