/**
 * A fleet of numbers under one resource per carrier: `PhoneNumberWebhooksSet`. The Twilio set holds
 * the numbers listed in numbers.<stack>.json (beside this program) plus every number whose friendly
 * name starts with the stack's prefix; the Telnyx set holds every number with the stack's tag,
 * moved together onto one copy of the application and profile they share with other numbers.
 *
 *   pulumi stack select dev && pulumi up
 *
 * Numbers bought later that match join at the next preview and up; the preview lists each number
 * that joins, leaves or drifted under `members`.
 */
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PhoneNumberWebhooksSet, readNumbersFile, setMembers, type SetDeclares } from "pulumi-phone-webhooks";
import { z } from "zod";

const config = new pulumi.Config();
const baseUrl = z.url({ protocol: /^https$/ }).safeParse(config.get("baseUrl"));
if (!baseUrl.success) throw new Error(`Stack config baseUrl: ${baseUrl.error.issues[0]?.message}`);
const base = baseUrl.data.replace(/\/+$/, "");

// A list in a file, not in stack config: thousands of numbers would overflow the environment
// string the engine hands this program. Each entry: "+1…", or { phoneNumber, voiceUrl?, … } (the
// package's numbers file; one that does not parse, or breaks a rule, fails naming itself).
const file = join(__dirname, `numbers.${pulumi.getStack()}.json`);
const entries = existsSync(file) ? readNumbersFile(file) : [];

const prefix = config.get("twilioFriendlyNamePrefix");
const twilioSet: SetDeclares = {
  provider: "twilio",
  voiceUrl: `${base}/webhooks/voice`,
  smsUrl: `${base}/webhooks/sms`,
};
export const twilio = new PhoneNumberWebhooksSet("twilio-fleet", {
  ...twilioSet,
  // The file's Twilio entries, each with its own settings over the set's.
  numbers: setMembers(entries, twilioSet, `numbers file ${file}`),
  select: prefix ? { friendlyNamePrefix: prefix } : undefined,
}).memberCount;

const tag = config.get("telnyxTag");
export const telnyx = tag
  ? new PhoneNumberWebhooksSet("telnyx-fleet", {
      voiceUrl: `${base}/webhooks/telnyx-voice`,
      smsUrl: `${base}/webhooks/telnyx-sms`,
      select: { tag },
      onShared: "isolate",
    }).memberCount
  : 0;
