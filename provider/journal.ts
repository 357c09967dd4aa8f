/**
 * The takeover journal: a number's webhooks as they were before this package first wrote to it,
 * kept on the machine that runs Pulumi while a create is under way (the state holds them after).
 *
 * Why: on Telnyx a create writes two objects (connection, then messaging profile). If the process
 * dies between them, the state never hears of the resource, and the next `pulumi up` would read
 * the half-written configuration and record it as "previous". With the journal, the next create
 * finds the originals here instead, so a later destroy still restores them. The file holds
 * webhook URLs (which may carry passwords): it is written with mode 0600 in a 0700 directory.
 */
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import type { CarrierFields, Isolation } from "./carriers/carrier";
import { WEBHOOK_FIELDS, type WebhookField, type WebhookSettings } from "./webhooks";

/**
 * The callback forms, promisified, without a `FileHandle` per call: a set reads, writes and removes
 * one entry per member. At 100,000 members the journal is about a tenth of the provider's CPU in
 * an up (CPU profiles, README "100,000 numbers"), most of it the system calls themselves.
 */
const readText = promisify(readFile);
const writeText = promisify(writeFile);
const renameFile = promisify(rename);
const removeFile = promisify(unlink);
const makeDir = promisify(mkdir);

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === "ENOENT";

export const DEFAULT_JOURNAL_DIR = join(homedir(), ".pulumi-phone-webhooks", "journal");

const entrySchema = z.object({
  phoneNumber: z.string(),
  provider: z.string(),
  recordedAt: z.string(),
  webhooks: z.object(Object.fromEntries(WEBHOOK_FIELDS.map((f) => [f, z.string().nullable()]))),
  /** The carrier's own previous values of the number (`CarrierFields`), for a carrier that keeps some. */
  carrierFields: z.record(z.string(), z.string().nullable()).optional(),
  /**
   * `onShared: "isolate"`: each copy made for the number, recorded once it exists and before the
   * number moves onto it, with the object the number was on. A run that dies after that leaves
   * the next one what it needs to move the number back and delete the copy.
   */
  isolated: z
    .array(
      z.object({
        holds: z.enum(["voice", "sms"]),
        objectType: z.string(),
        originalId: z.string(),
        copyId: z.string(),
      }),
    )
    .optional(),
  /**
   * Which object held each setting (the carrier's `holders`): a set's member that joins an object
   * this number shares learns the originals from here, when the state does not have them.
   */
  holders: z.record(z.string(), z.string()).optional(),
  /**
   * The set whose member's takeover wrote the entry (its label); none for a `PhoneNumberWebhooks`.
   * A set gives a member whose join failed back what the entry holds only while the entry is still
   * its own: another resource that took the number over since has made it its own.
   */
  takenBy: z.string().optional(),
});
type Entry = z.output<typeof entrySchema>;

/** What the journal holds for a number. */
export interface JournalEntry {
  webhooks: WebhookSettings;
  carrierFields?: CarrierFields;
  isolated: Isolation[];
  holders: Partial<Record<WebhookField, string>>;
  takenBy?: string;
}

export class TakeoverJournal {
  /** `dir` undefined: no journal (documented: a crash mid-create then loses the originals). */
  constructor(private readonly dir: string | undefined) {}

  /**
   * Returns the originals of a number: the journal's, if an earlier run recorded them and never
   * finished, else `current`, which is recorded first. Must run before the first write. `takenBy`
   * names the set taking the number over (none for one number): the entry is its own from here.
   * `carrierFields`: the carrier's own values of the number, kept and recovered beside the webhooks.
   */
  async remember(
    carrier: string,
    phoneNumber: string,
    current: WebhookSettings,
    holders: Partial<Record<WebhookField, string>> = {},
    takenBy?: string,
    carrierFields?: CarrierFields,
  ): Promise<{
    webhooks: WebhookSettings;
    recovered: boolean;
    isolated: Isolation[];
    carrierFields?: CarrierFields;
  }> {
    const fields = carrierFields && { carrierFields };
    if (!this.dir) return { webhooks: current, recovered: false, isolated: [], ...fields };
    const existing = await this.entry(carrier, phoneNumber);
    if (existing) {
      if (existing.takenBy !== takenBy) await this.write(carrier, phoneNumber, { ...existing, takenBy });
      const kept = existing.carrierFields && { carrierFields: existing.carrierFields };
      return { webhooks: existing.webhooks, isolated: existing.isolated, recovered: true, ...kept };
    }
    await this.write(carrier, phoneNumber, {
      webhooks: current,
      isolated: [],
      holders,
      takenBy,
      carrierFields,
    });
    return { webhooks: current, recovered: false, isolated: [], ...fields };
  }

  /**
   * Records a copy made for the number (before the number moves onto it), replacing an earlier one
   * that held the same webhooks. `webhooks` are the originals if the journal has none yet.
   */
  async rememberIsolation(
    carrier: string,
    phoneNumber: string,
    webhooks: WebhookSettings,
    isolation: Isolation,
  ): Promise<void> {
    if (!this.dir) return;
    const existing = await this.entry(carrier, phoneNumber);
    const isolated = (existing?.isolated ?? []).filter((i) => i.copyId !== isolation.copyId);
    // Voice first, then SMS: the same entry whichever order the copies were made in.
    const byHolder = [...isolated, isolation].sort(
      (a, b) => Number(a.holds === "sms") - Number(b.holds === "sms"),
    );
    await this.write(carrier, phoneNumber, {
      ...existing,
      webhooks: existing?.webhooks ?? webhooks,
      isolated: byHolder,
    });
  }

  /** The whole entry of a number: its original webhooks and the copies made for it. */
  async entry(carrier: string, phoneNumber: string): Promise<JournalEntry | undefined> {
    const parsed = await this.parsed(carrier, phoneNumber);
    return parsed
      ? {
          webhooks: parsed.webhooks as WebhookSettings,
          ...(parsed.carrierFields !== undefined && { carrierFields: parsed.carrierFields }),
          isolated: parsed.isolated ?? [],
          holders: parsed.holders ?? {},
          ...(parsed.takenBy !== undefined && { takenBy: parsed.takenBy }),
        }
      : undefined;
  }

  private async write(
    carrier: string,
    phoneNumber: string,
    {
      webhooks,
      isolated,
      holders = {},
      takenBy,
      carrierFields,
    }: Omit<JournalEntry, "holders"> & Partial<Pick<JournalEntry, "holders">>,
  ): Promise<void> {
    const path = this.path(carrier, phoneNumber);
    const entry: Entry = { phoneNumber, provider: carrier, recordedAt: new Date().toISOString(), webhooks };
    if (carrierFields !== undefined) entry.carrierFields = carrierFields;
    if (isolated.length) entry.isolated = isolated;
    if (Object.keys(holders).length) entry.holders = holders;
    if (takenBy !== undefined) entry.takenBy = takenBy;
    // Write-then-rename, so a crash never leaves half an entry (a unique name per writer).
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const text = JSON.stringify(entry, null, 2);
    try {
      await writeText(temporary, text, { mode: 0o600 });
    } catch (error) {
      // The directory is made on the first write that needs it, not before every write.
      if (!isMissing(error)) throw error;
      await makeDir(this.dir!, { recursive: true, mode: 0o700 });
      await writeText(temporary, text, { mode: 0o600 });
    }
    await renameFile(temporary, path);
  }

  /** Called once the number has its previous webhooks back (or was left to the user on purpose). */
  async forget(carrier: string, phoneNumber: string): Promise<void> {
    if (!this.dir) return;
    try {
      await removeFile(this.path(carrier, phoneNumber));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async read(carrier: string, phoneNumber: string): Promise<WebhookSettings | undefined> {
    return (await this.entry(carrier, phoneNumber))?.webhooks;
  }

  private async parsed(carrier: string, phoneNumber: string): Promise<Entry | undefined> {
    if (!this.dir) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(await readText(this.path(carrier, phoneNumber), "utf8"));
    } catch {
      return undefined; // no entry, or one cut short: nothing to recover
    }
    const parsed = entrySchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }

  private path(carrier: string, phoneNumber: string): string {
    return join(this.dir!, `${carrier}-${phoneNumber.replace(/\D/g, "")}.json`);
  }
}
