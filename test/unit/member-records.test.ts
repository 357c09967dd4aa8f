/** How a set's state carries its member records: one encoded string, and the object older states hold. */
import { describe, expect, it } from "vitest";
import { decodeMemberRecords, encodeMemberRecords, type MemberState } from "../../provider/set-schema";

const RECORDS: Record<string, MemberState> = {
  "+14155550100": {
    ids: { phoneNumberSid: "PN0123456789abcdef0123456789abcdef" },
    webhooks: { voiceUrl: "https://hooks.example.com/voice" },
    previous: { voiceUrl: null },
  },
  "+14155550101": {
    provider: "telnyx",
    ids: { phoneNumberId: "1", connectionId: "2" },
    webhooks: { smsUrl: "https://hooks.example.com/sms" },
    previous: { smsUrl: "https://legacy.example.com/sms" },
    isolated: [{ holds: "sms", objectType: "messaging_profile", originalId: "a", copyId: "b" }],
  },
};

describe("member records in the state", () => {
  it("round-trip through one string, the same string for the same records", () => {
    const encoded = encodeMemberRecords(RECORDS);
    expect(encoded).toMatch(/^gzip-base64:[A-Za-z0-9+/=]+$/);
    expect(decodeMemberRecords(encoded)).toEqual(RECORDS);
    // A refresh that finds nothing changed writes the same state.
    expect(encodeMemberRecords(structuredClone(RECORDS))).toBe(encoded);
  });

  it("are smaller than the records' JSON for a large set (the state keeps them as ciphertext)", () => {
    const many: Record<string, MemberState> = {};
    for (let i = 0; i < 1000; i++)
      many[`+1415555${String(i).padStart(4, "0")}`] = {
        ids: { phoneNumberSid: `PN${String(i).padStart(32, "0")}` },
        webhooks: { voiceUrl: `https://hooks.example.com/voice/${i % 50}` },
        previous: { voiceUrl: `https://legacy.example.com/voice/${i % 50}` },
      };
    expect(encodeMemberRecords(many).length).toBeLessThan(JSON.stringify(many).length / 2);
  });

  it("read a state written before the encoding, which holds them as an object, and nothing as none", () => {
    expect(decodeMemberRecords(RECORDS)).toEqual(RECORDS);
    expect(decodeMemberRecords(undefined)).toEqual({});
  });

  it("refuse a string in another format rather than guess", () => {
    expect(() => decodeMemberRecords("zstd:AAAA")).toThrow(/unknown format \("zstd:AAAA"…\)/);
  });
});
