import { describe, expect, it } from "vitest";
import { checkSetArgs } from "../../provider/set-schema";
import { didYouMean, editDistance, nearest } from "../../provider/spelling";
import { checkArgs } from "../../provider/validation";

const valid = { phoneNumber: "+14155550100", voiceUrl: "https://example.com/voice" };

describe("nearest known name", () => {
  it("counts edits with case ignored, a swap of two letters as one", () => {
    expect(editDistance("voiceURL", "voiceUrl")).toBe(0);
    expect(editDistance("allowPrivateHost", "allowPrivateHosts")).toBe(1);
    expect(editDistance("smsUlr", "smsUrl")).toBe(1);
    expect(editDistance("acountSid", "accountSid")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests the nearest name, and nothing when none is near", () => {
    const names = ["voiceUrl", "voiceMethod", "smsUrl"];
    expect(nearest("voiceURL", names)).toBe("voiceUrl");
    expect(nearest("voiceMethd", names)).toBe("voiceMethod");
    expect(nearest("region", names)).toBeUndefined();
    expect(didYouMean("smsURL", names)).toBe('; did you mean "smsUrl"?');
    expect(didYouMean("colour", names)).toBe("");
  });
});

describe("an unknown property names the nearest known one", () => {
  it("on PhoneNumberWebhooks", () => {
    const { failures } = checkArgs({ ...valid, voiceURL: "https://example.com/v" });
    expect(failures).toEqual([
      {
        property: "voiceURL",
        reason: '"voiceURL" is not a property of PhoneNumberWebhooks; did you mean "voiceUrl"?',
      },
    ]);
    const far = checkArgs({ ...valid, colour: "blue" }).failures;
    expect(far).toEqual([
      { property: "colour", reason: '"colour" is not a property of PhoneNumberWebhooks' },
    ]);
  });

  it("on PhoneNumberWebhooksSet: its properties, a member's settings and selector keys", () => {
    const { failures } = checkSetArgs({
      ...valid,
      phoneNumber: undefined,
      concurency: 4,
      numbers: [{ phoneNumber: "+14155550100", smsURL: "https://example.com/sms" }],
      select: { friendlyNamePrefx: "Sales" },
      provider: "twilio",
    });
    const reasons = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
    expect(reasons.concurency).toBe(
      '"concurency" is not a property of PhoneNumberWebhooksSet; did you mean "concurrency"?',
    );
    expect(reasons["numbers[0].smsURL"]).toMatch(
      /^numbers\[0\]: "smsURL" is not a setting a member can declare; did you mean "smsUrl"\? \(voiceUrl, /,
    );
    expect(reasons["select.friendlyNamePrefx"]).toMatch(
      /^select\.friendlyNamePrefx is not a selector key; did you mean "friendlyNamePrefix"\? \(twilio: /,
    );
  });
});
