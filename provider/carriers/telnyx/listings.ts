/**
 * The objects that hold webhooks and that this package can copy (Call Control and TeXML
 * applications, messaging profiles), read from their kind's listing instead of one by one: a set
 * refreshing hundreds of numbers on hundreds of objects pays for the listing's pages, not for a
 * call per object. A handful of objects are still fetched one by one, when that is fewer calls:
 * the first page's meta says how many pages the whole listing costs.
 */
import { z } from "zod";
import { CarrierError } from "../../errors";
import { ReadCache } from "../../directory";
import { parse, type TelnyxClient } from "./client";
import { checkWebhookFields, type ObjectKind, type TelnyxObject } from "./kinds";

/** A kind's objects by id, as one listing read them, and when that listing started. */
export interface Listing {
  at: number;
  byId: Map<string, TelnyxObject>;
  /**
   * The marked objects by role and original (`"copy 123"`), built by the first question and dropped
   * when `byId` changes: each member of a set asks, and the listing may hold thousands.
   */
  marked?: Map<string, string[]>;
}

/**
 * What the listings say of one object: found (as of `at`); `absent` from a whole listing (made since,
 * by someone else, or of another kind); or `unlisted`: cheaper to fetch on its own.
 */
export type Listed = { object: TelnyxObject; at: number } | "absent" | "unlisted";

/** The first page of a kind's listing: what the rest of it would cost. */
interface FirstPage extends Listing {
  pages: number;
  complete: boolean;
  /** When its answer came. */
  readAt: number;
}

interface Pending {
  id: string;
  /** When it was asked for (before it waited for a first page in flight). */
  since: number;
  resolve: (listed: Listed) => void;
  reject: (error: unknown) => void;
}

export interface ListingOptions {
  ttlMs: number;
  /**
   * How long to gather lookups before deciding how to serve them. Lookups of many numbers arrive
   * together (the number directory answers a batch at once), so one tick is enough.
   */
  batchWindowMs: number;
}

const listedObjectSchema = z
  .object({ id: z.string(), record_type: z.string().optional() })
  .catchall(z.unknown());

export class ObjectListings {
  /** Whole listings of each kind (by path), kept current on this process's creates and deletes. */
  private readonly whole: ReadCache<Listing>;
  private readonly firstPages: ReadCache<FirstPage>;
  /** Objects of each kind fetched one by one in this process: they count toward the listing's cost. */
  private readonly singles = new Map<string, Set<string>>();
  /**
   * How many distinct objects of each kind the operation will ask for (`expect`): a set knows its
   * members before the first of them asks, so the listing is read at once instead of after a
   * few objects were fetched one by one.
   */
  private readonly expected = new Map<string, number>();
  private readonly pending = new Map<string, Pending[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly client: Pick<TelnyxClient, "listPage" | "listFrom" | "listAll">,
    private readonly options: ListingOptions,
  ) {
    this.whole = new ReadCache(options.ttlMs);
    this.firstPages = new ReadCache(options.ttlMs);
  }

  /** Every object of a kind (all pages), listed once while it is fresh. */
  all(kind: ObjectKind): Promise<Listing> {
    return this.listing(kind, () => this.listWhole(kind));
  }

  /**
   * One object from its kind's listing, when a listing is fresh or worth reading: from two distinct
   * objects of a kind its first page is read, and the rest of the listing once the objects not on
   * that page (with those fetched one by one so far) are at least as many as its remaining pages.
   */
  async lookup(kind: ObjectKind, id: string): Promise<Listed> {
    const since = Date.now();
    const whole = this.whole.peek(kind.path);
    if (whole) return answer(await whole, id, true);
    const first = this.firstPages.peek(kind.path);
    if (first) {
      const page = await first;
      if (page.byId.has(id) || page.complete) return answer(page, id, page.complete);
    }
    // Decided before: fetched on its own again (after the TTL), costing nothing to decide.
    if (this.singlesOf(kind).has(id)) return "unlisted";
    return new Promise((resolve, reject) => {
      const pending = this.pending.get(kind.path) ?? [];
      pending.push({ id, since, resolve, reject });
      this.pending.set(kind.path, pending);
      if (!this.timers.has(kind.path))
        this.timers.set(
          kind.path,
          setTimeout(() => void this.flush(kind), this.options.batchWindowMs),
        );
    });
  }

  /** The operation will look up `count` distinct objects of `kind` (an upper bound). */
  expect(kind: ObjectKind, count: number): void {
    this.expected.set(kind.path, Math.max(count, this.expected.get(kind.path) ?? 0));
  }

  /** An object this process made: listed from now on, so that its marked name is seen. */
  added(kind: ObjectKind, object: TelnyxObject & { id: string }): void {
    void this.whole.peek(kind.path)?.then(
      (l) => {
        l.byId.set(object.id, object);
        l.marked = undefined;
      },
      () => undefined,
    );
  }

  /** An object this process deleted: gone from the listings too. */
  deleted(kind: ObjectKind, id: string): void {
    for (const cache of [this.whole, this.firstPages])
      void cache.peek(kind.path)?.then(
        (l) => {
          l.byId.delete(id);
          l.marked = undefined;
        },
        () => undefined,
      );
  }

  /** Forgets a kind's listings: the carrier knows of objects they do not. */
  forget(kind: ObjectKind): void {
    this.whole.delete(kind.path);
    this.firstPages.delete(kind.path);
  }

  private async flush(kind: ObjectKind): Promise<void> {
    const batch = this.pending.get(kind.path) ?? [];
    this.pending.delete(kind.path);
    this.timers.delete(kind.path);
    try {
      const answers = await this.decide(
        kind,
        [...new Set(batch.map((p) => p.id))].filter((id) => !this.singlesOf(kind).has(id)),
        Math.min(...batch.map((p) => p.since)),
      );
      for (const p of batch) p.resolve(answers.get(p.id) ?? "unlisted");
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  /** `askedSince`: when the batch's first lookup was asked. */
  private async decide(kind: ObjectKind, ids: string[], askedSince: number): Promise<Map<string, Listed>> {
    const answers = new Map<string, Listed>();
    const whole = this.whole.peek(kind.path);
    if (whole) {
      const listing = await whole;
      for (const id of ids) answers.set(id, answer(listing, id, true));
      return answers;
    }
    const singles = this.singlesOf(kind);
    const expected = this.expected.get(kind.path) ?? 0;
    let first = this.firstPages.peek(kind.path);
    if (!first) {
      // One object is one call either way.
      if (Math.max(singles.size + ids.length, expected) < 2) return this.fetchAlone(kind, ids, answers);
      first = this.firstPages.get(kind.path, () => this.readFirstPage(kind));
    }
    const page = await first;
    const rest: string[] = [];
    for (const id of ids) {
      if (page.byId.has(id) || page.complete) answers.set(id, answer(page, id, page.complete));
      else rest.push(id);
    }
    // Expected to need about as many objects as the listing has pages: the rest of it now, while
    // this batch's first page is fresh (read later, the listing would start again from page 1).
    const wholeExpected = !page.complete && expected >= page.pages - 1;
    if (!rest.length && !wholeExpected) return answers;
    if (!wholeExpected && singles.size + rest.length < page.pages - 1)
      return this.fetchAlone(kind, rest, answers);
    // The rest of the listing goes on from a first page that answered while this batch waited (as
    // fresh as one read for it); one read earlier is read again, since objects made or deleted
    // since shift the pages (one could be skipped).
    const justRead = page.readAt >= askedSince;
    const listing = await this.listing(kind, () =>
      justRead ? this.listWhole(kind, page) : this.listWhole(kind),
    );
    for (const id of rest) answers.set(id, answer(listing, id, true));
    return answers;
  }

  private fetchAlone(kind: ObjectKind, ids: string[], answers: Map<string, Listed>): Map<string, Listed> {
    const singles = this.singlesOf(kind);
    for (const id of ids) {
      singles.add(id);
      answers.set(id, "unlisted");
    }
    return answers;
  }

  /** The whole listing, cached as of when it started (its first page). */
  private listing(kind: ObjectKind, read: () => Promise<Listing>): Promise<Listing> {
    return this.whole.getAsOf(kind.path, async () => {
      const listing = await read();
      return { value: listing, at: listing.at };
    });
  }

  private async readFirstPage(kind: ObjectKind): Promise<FirstPage> {
    const at = Date.now();
    const call = `list ${kind.path}`;
    const page = await this.client.listPage(call, `/${kind.path}`, {}, 1);
    const first: FirstPage = {
      at,
      byId: parseListed(kind, page.items, call),
      // Without a count, a full page says only that there is at least one more.
      pages: page.last ? 1 : Math.max(page.totalPages ?? 2, 2),
      complete: page.last,
      readAt: Date.now(),
    };
    if (first.complete) this.whole.set(kind.path, { at, byId: new Map(first.byId) }, at);
    return first;
  }

  private async listWhole(kind: ObjectKind, first?: FirstPage): Promise<Listing> {
    const at = first?.at ?? Date.now();
    const call = `list ${kind.path}`;
    if (!first)
      return { at, byId: parseListed(kind, await this.client.listAll(call, `/${kind.path}`, {}), call) };
    const rest = parseListed(kind, await this.client.listFrom(call, `/${kind.path}`, {}, 2), call);
    return { at, byId: new Map([...first.byId, ...rest]) };
  }

  private singlesOf(kind: ObjectKind): Set<string> {
    let singles = this.singles.get(kind.path);
    if (!singles) this.singles.set(kind.path, (singles = new Set()));
    return singles;
  }
}

function answer(listing: Listing, id: string, whole: boolean): Listed {
  const object = listing.byId.get(id);
  if (object) return { object, at: listing.at };
  return whole ? "absent" : "unlisted";
}

/**
 * A listing's items, checked as a read of each would be: an id, webhook fields that are strings,
 * and the kind's record type where the item says one (the listing an object is in is what makes
 * a connection a Call Control or a TeXML application).
 */
function parseListed(kind: ObjectKind, items: unknown[], call: string): Map<string, TelnyxObject> {
  const byId = new Map<string, TelnyxObject>();
  for (const item of items) {
    const object = parse(listedObjectSchema, item, call);
    const recordType = kind.copy?.record_type;
    if (object.record_type !== undefined && recordType !== undefined && object.record_type !== recordType)
      throw new CarrierError(
        "telnyx",
        call,
        undefined,
        `unexpected response: an item of record_type ${object.record_type} in the list of ${kind.label}s`,
      );
    byId.set(object.id, checkWebhookFields(kind, object, call));
  }
  return byId;
}
