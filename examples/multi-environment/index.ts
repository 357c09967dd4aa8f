/**
 * One program, one stack per environment. Each stack's config names its base URL and the data file
 * listing the numbers it owns (numbers.<stack>.yaml, read by the package's `readNumbersFile`; a small
 * stack may list them in its config instead); `pulumi up` points every number's webhooks at that
 * environment, except where an entry gives URLs of its own or turns a side off (`voice: false`).
 * `npx pulumi-phone-webhooks adopt` writes such a file from a live account.
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
import { resolve } from "node:path";
import { numberArgs, parseNumberEntries, PhoneNumberWebhooks, readNumbersFile } from "pulumi-phone-webhooks";
import { z } from "zod";

const config = new pulumi.Config();
const baseUrl = z.url({ protocol: /^https$/ }).safeParse(config.get("baseUrl"));
if (!baseUrl.success) throw new Error(`Stack config baseUrl: ${baseUrl.error.issues[0]?.message}`);

/**
 * The stack's numbers: `numbersFile` names a data file beside the Pulumi.<stack>.yaml files (read
 * from this program's folder); a small stack may list them in its config (`numbers`) instead. The
 * engine hands a program its whole config in one environment variable, which Linux caps at 128 KiB:
 * keep lists of more than a few hundred in a file. Both set is an error, not a precedence: one of
 * the two lists would be ignored in silence.
 */
function stackNumbers() {
  const file = config.get("numbersFile");
  const list = config.getObject("numbers");
  if (file !== undefined && list !== undefined)
    throw new Error(
      "Stack config sets both numbers and numbersFile: keep one. numbersFile names a file holding the list, for stacks too big for config.",
    );
  if (file !== undefined) return readNumbersFile(resolve(__dirname, file));
  if (list === undefined)
    throw new Error("Stack config sets neither numbers (a list) nor numbersFile (a file)");
  return parseNumberEntries(list, "Stack config numbers");
}
const numbers = stackNumbers();

// Every number's URLs come from the stack's base URL, unless its entry gives its own.
const defaults = { voiceUrl: `${baseUrl.data}/webhooks/voice`, smsUrl: `${baseUrl.data}/webhooks/sms` };
const resources = numbers.map(
  (n) => new PhoneNumberWebhooks(`webhooks-${n.phoneNumber.replace("+", "")}`, numberArgs(n, defaults)),
);

export const messages = resources.map((r) => r.message);
export const updatedWebhooks = Object.fromEntries(
  numbers.map((n, i) => [n.phoneNumber, resources[i]!.updatedWebhooks]),
);
/** The objects made for isolated numbers, and the shared ones they came from. */
export const isolated = Object.fromEntries(numbers.map((n, i) => [n.phoneNumber, resources[i]!.isolated]));
