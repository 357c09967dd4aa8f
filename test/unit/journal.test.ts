/**
 * The takeover journal: a number's original webhooks, kept on disk from before the first write
 * until the state holds them, so that a create cut short by a crash still knows them.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TakeoverJournal } from "../../provider/journal";

type Carrier = Parameters<TakeoverJournal["remember"]>[0];
type Webhooks = Parameters<TakeoverJournal["remember"]>[2];

const webhooks = (voiceUrl: string | null, smsUrl: string | null = null): Webhooks => ({
  voiceUrl,
  voiceMethod: voiceUrl ? "POST" : null,
  voiceFallbackUrl: null,
  smsUrl,
  smsMethod: smsUrl ? "POST" : null,
  smsFallbackUrl: null,
  statusCallbackUrl: null,
});

const ORIGINAL = webhooks("https://legacy.example.com/voice", "https://user:pw@legacy.example.com/sms");
const HALF_WRITTEN = webhooks("https://staging.example.com/voice", "https://user:pw@legacy.example.com/sms");
const NUMBER = "+1 (415) 555-0100";
const TWILIO: Carrier = "twilio";
const TELNYX: Carrier = "telnyx";

let root: string;
let dir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "journal-test-"));
  dir = join(root, "state", "journal"); // does not exist yet
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The journal's files (an entry per number and carrier; nothing else should be left behind). */
const files = () => readdirSync(dir);

describe("TakeoverJournal", () => {
  it("records the current webhooks the first time, and reads them back", async () => {
    const journal = new TakeoverJournal(dir);
    expect(await journal.read(TWILIO, NUMBER)).toBeUndefined();
    expect(await journal.remember(TWILIO, NUMBER, ORIGINAL)).toEqual({
      webhooks: ORIGINAL,
      recovered: false,
      isolated: [],
    });
    expect(await journal.read(TWILIO, NUMBER)).toEqual(ORIGINAL);
    expect(files()).toHaveLength(1);
    expect(files()[0]).toMatch(/\.json$/); // written then renamed: no temporary file left
  });

  it("after a crash, returns the originals an earlier run recorded, not the half-written webhooks", async () => {
    await new TakeoverJournal(dir).remember(TELNYX, NUMBER, ORIGINAL);
    // A new process: the same directory, a fresh journal object.
    const afterCrash = new TakeoverJournal(dir);
    expect(await afterCrash.remember(TELNYX, NUMBER, HALF_WRITTEN)).toEqual({
      webhooks: ORIGINAL,
      recovered: true,
      isolated: [],
    });
    expect(await afterCrash.read(TELNYX, NUMBER)).toEqual(ORIGINAL);
  });

  it("keeps a carrier's own previous values beside the webhooks, and recovers them after a crash", async () => {
    const HANDLER = { call_handler: "relay_application", call_relay_application: "front-desk" };
    await new TakeoverJournal(dir).remember("signalwire", NUMBER, ORIGINAL, {}, undefined, HANDLER);
    const afterCrash = new TakeoverJournal(dir);
    // The half-written number now answers laml_webhooks: the recorded handler wins.
    const switched = { call_handler: "laml_webhooks", call_relay_application: null };
    expect(await afterCrash.remember("signalwire", NUMBER, HALF_WRITTEN, {}, undefined, switched)).toEqual({
      webhooks: ORIGINAL,
      recovered: true,
      isolated: [],
      carrierFields: HANDLER,
    });
    expect((await afterCrash.entry("signalwire", NUMBER))?.carrierFields).toEqual(HANDLER);
    // A carrier that keeps none writes no such key: its entries look as they always did.
    await afterCrash.remember(TWILIO, NUMBER, ORIGINAL);
    expect(Object.keys((await afterCrash.entry(TWILIO, NUMBER))!)).not.toContain("carrierFields");
  });

  it("forget drops the entry: the next remember records afresh", async () => {
    const journal = new TakeoverJournal(dir);
    await journal.remember(TWILIO, NUMBER, ORIGINAL);
    await journal.forget(TWILIO, NUMBER);
    expect(await journal.read(TWILIO, NUMBER)).toBeUndefined();
    expect(files()).toEqual([]);
    expect(await journal.remember(TWILIO, NUMBER, HALF_WRITTEN)).toEqual({
      webhooks: HALF_WRITTEN,
      recovered: false,
      isolated: [],
    });
  });

  it("makes its directory again when it is removed between two writes", async () => {
    const journal = new TakeoverJournal(dir);
    await journal.remember(TWILIO, NUMBER, ORIGINAL);
    rmSync(dir, { recursive: true });
    await journal.remember(TELNYX, NUMBER, ORIGINAL);
    expect(files()).toHaveLength(1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(await journal.read(TELNYX, NUMBER)).toEqual(ORIGINAL);
  });

  it("forgetting a number it never recorded is harmless", async () => {
    const journal = new TakeoverJournal(dir);
    await expect(journal.forget(TWILIO, NUMBER)).resolves.toBeUndefined();
    await journal.remember(TWILIO, "+14155550101", ORIGINAL);
    await journal.forget(TWILIO, NUMBER);
    expect(await journal.read(TWILIO, "+14155550101")).toEqual(ORIGINAL);
  });

  it("records which set took the number, and a later takeover by another resource makes the entry its own", async () => {
    const journal = new TakeoverJournal(dir);
    await journal.remember(TELNYX, NUMBER, ORIGINAL, {}, "fleet");
    expect((await journal.entry(TELNYX, NUMBER))?.takenBy).toBe("fleet");
    // The set's own retry keeps it; a PhoneNumberWebhooks taking the number recovers the originals
    // and the entry is no longer the set's.
    expect((await journal.remember(TELNYX, NUMBER, HALF_WRITTEN, {}, "fleet")).webhooks).toEqual(ORIGINAL);
    expect((await journal.entry(TELNYX, NUMBER))?.takenBy).toBe("fleet");
    expect((await journal.remember(TELNYX, NUMBER, HALF_WRITTEN)).webhooks).toEqual(ORIGINAL);
    const entry = await journal.entry(TELNYX, NUMBER);
    expect(entry?.takenBy).toBeUndefined();
    expect(entry?.webhooks).toEqual(ORIGINAL);
  });

  it("keeps numbers and carriers apart", async () => {
    const journal = new TakeoverJournal(dir);
    await journal.remember(TWILIO, NUMBER, ORIGINAL);
    expect(await journal.read(TELNYX, NUMBER)).toBeUndefined();
    expect(await journal.read(TWILIO, "+14155550101")).toBeUndefined();
    expect(await journal.remember(TELNYX, NUMBER, HALF_WRITTEN)).toEqual({
      webhooks: HALF_WRITTEN,
      recovered: false,
      isolated: [],
    });
    expect(await journal.read(TWILIO, NUMBER)).toEqual(ORIGINAL);
    expect(files()).toHaveLength(2);
  });

  it("knows a number however it is written (only its digits name the entry)", async () => {
    const journal = new TakeoverJournal(dir);
    await journal.remember(TWILIO, "+14155550100", ORIGINAL);
    expect(await journal.read(TWILIO, NUMBER)).toEqual(ORIGINAL);
  });

  it.skipIf(process.platform === "win32")(
    "writes entries readable by their owner only (0600), in a directory only its owner can enter (0700)",
    async () => {
      await new TakeoverJournal(dir).remember(TWILIO, NUMBER, ORIGINAL);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, files()[0]!)).mode & 0o777).toBe(0o600);
    },
  );

  it("with no directory, is off: remember hands back the current webhooks and nothing is kept", async () => {
    const journal = new TakeoverJournal(undefined);
    expect(await journal.remember(TWILIO, NUMBER, ORIGINAL)).toEqual({
      webhooks: ORIGINAL,
      recovered: false,
      isolated: [],
    });
    expect(await journal.remember(TWILIO, NUMBER, HALF_WRITTEN)).toEqual({
      webhooks: HALF_WRITTEN,
      recovered: false,
      isolated: [],
    });
    expect(await journal.read(TWILIO, NUMBER)).toBeUndefined();
    await expect(journal.forget(TWILIO, NUMBER)).resolves.toBeUndefined();
    expect(readdirSync(root)).toEqual([]);
  });

  describe("an entry it cannot use counts as none: the current webhooks are recorded in its place", () => {
    const cases: Record<string, string> = {
      "cut short": '{"phoneNumber": "+14155550100", "provi',
      empty: "",
      "not an entry": JSON.stringify({ phoneNumber: "+14155550100", provider: "twilio" }),
      "webhooks of the wrong kind": JSON.stringify({
        phoneNumber: "+14155550100",
        provider: "twilio",
        recordedAt: "2026-01-01T00:00:00.000Z",
        webhooks: { ...ORIGINAL, voiceUrl: 42 },
      }),
    };
    for (const [what, text] of Object.entries(cases))
      it(what, async () => {
        const journal = new TakeoverJournal(dir);
        await journal.remember(TWILIO, NUMBER, ORIGINAL);
        const [entry] = files();
        writeFileSync(join(dir, entry!), text);
        expect(await journal.read(TWILIO, NUMBER)).toBeUndefined();
        expect(await journal.remember(TWILIO, NUMBER, HALF_WRITTEN)).toEqual({
          webhooks: HALF_WRITTEN,
          recovered: false,
          isolated: [],
        });
        expect(await journal.read(TWILIO, NUMBER)).toEqual(HALF_WRITTEN);
        expect(files()).toEqual([entry]);
      });
  });
});
