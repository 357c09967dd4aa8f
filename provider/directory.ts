/**
 * A short-lived, per-process view of the numbers of one carrier account. The engine reads and
 * updates resources in parallel; looking each number up separately would cost one call per
 * number. Lookups that arrive together are batched: a few are looked up one by one, more than a
 * few trigger one paged listing of the whole account, which then answers every lookup until it
 * goes stale. Writes update the cached entry, so a later lookup sees what was written.
 */

export interface DirectorySource<T> {
  /** Every number of the account (all pages). */
  listAll(): Promise<T[]>;
  /** The entries for one number (a filtered list call); may hold partial matches. */
  listOne(phoneNumber: string): Promise<T[]>;
  phoneNumberOf(entry: T): string;
}

export interface DirectoryOptions {
  /** How long a full listing answers lookups. */
  ttlMs: number;
  /** How long to wait for more lookups before deciding how to serve a batch. */
  batchWindowMs: number;
  /**
   * From this many lookups (in one batch, or in this process so far), one full listing is cheaper
   * than separate calls: the engine creates and deletes resources a few at a time, not all at once.
   */
  listAllFrom: number;
}

export const DEFAULT_DIRECTORY_OPTIONS: DirectoryOptions = {
  ttlMs: 30_000,
  batchWindowMs: 15,
  listAllFrom: 4,
};

interface Pending<T> {
  phoneNumber: string;
  resolve: (entry: T | undefined) => void;
  reject: (error: unknown) => void;
}

/** A listing's numbers by a key of their entries (see `freshListingBy`). */
interface Grouping<T> {
  keyOf: (entry: T) => string | null;
  byKey: Map<string, string[]>;
}

function addTo<T>(grouping: Grouping<T>, phoneNumber: string, entry: T): void {
  const key = grouping.keyOf(entry);
  if (key === null) return;
  const numbers = grouping.byKey.get(key);
  if (numbers) numbers.push(phoneNumber);
  else grouping.byKey.set(key, [phoneNumber]);
}

function removeFrom<T>(grouping: Grouping<T>, phoneNumber: string, entry: T): void {
  const key = grouping.keyOf(entry);
  const numbers = key === null ? undefined : grouping.byKey.get(key);
  const at = numbers?.indexOf(phoneNumber) ?? -1;
  if (at < 0) return;
  numbers!.splice(at, 1);
  if (numbers!.length === 0) grouping.byKey.delete(key!);
}

export class NumberDirectory<T> {
  private listing?: { at: number; byNumber: Map<string, T>; groups: Map<string, Grouping<T>> };
  private inFlightListing?: Promise<Map<string, T>>;
  private batch: Pending<T>[] = [];
  /**
   * Numbers found one by one, until they go stale as a listing does: `check` finds a number (the
   * engine checks resources one at a time), then the create or update of the same operation
   * finds it again.
   */
  private readonly singles = new Map<string, { at: number; entry: T }>();
  /** Numbers looked up one by one so far in this process. */
  private singleLookups = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly source: DirectorySource<T>,
    private readonly options: DirectoryOptions = DEFAULT_DIRECTORY_OPTIONS,
  ) {}

  find(phoneNumber: string): Promise<T | undefined> {
    const fresh = this.freshListing();
    if (fresh) return Promise.resolve(fresh.get(phoneNumber));
    const single = this.singles.get(phoneNumber);
    if (single && Date.now() - single.at < this.options.ttlMs) return Promise.resolve(single.entry);
    return new Promise((resolve, reject) => {
      this.batch.push({ phoneNumber, resolve, reject });
      this.timer ??= setTimeout(() => void this.flush(), this.options.batchWindowMs);
    });
  }

  /** The full listing when one is fresh: lets callers answer "who else is on this object" locally. */
  freshListing(): Map<string, T> | undefined {
    return this.listing && Date.now() - this.listing.at < this.options.ttlMs
      ? this.listing.byNumber
      : undefined;
  }

  /**
   * Every number of the account: the fresh listing, else one listing (shared with one already in
   * flight, and then answering `find` until it goes stale). A selection reads the whole account
   * anyway, so the lookups of its members that follow cost nothing more.
   */
  all(): Promise<ReadonlyMap<string, T>> {
    return Promise.resolve(this.freshListing() ?? this.loadListing());
  }

  /**
   * The fresh listing's numbers grouped by `keyOf` (say, the object they are on), built once per
   * listing and kept true by `update`: "who else is on this object" for each of N members would
   * otherwise scan the whole listing N times. `name` tells groupings apart.
   */
  freshListingBy(
    name: string,
    keyOf: (entry: T) => string | null,
  ): ReadonlyMap<string, readonly string[]> | undefined {
    const listing = this.freshListing() && this.listing;
    if (!listing) return undefined;
    let grouping = listing.groups.get(name);
    if (!grouping) {
      grouping = { keyOf, byKey: new Map() };
      for (const [phoneNumber, entry] of listing.byNumber) addTo(grouping, phoneNumber, entry);
      listing.groups.set(name, grouping);
    }
    return grouping.byKey;
  }

  /** Records what a write answered, so the cached view stays true. */
  update(entry: T): void {
    const phoneNumber = this.source.phoneNumberOf(entry);
    if (this.listing) {
      const before = this.listing.byNumber.get(phoneNumber);
      for (const grouping of this.listing.groups.values()) {
        if (before !== undefined) removeFrom(grouping, phoneNumber, before);
        addTo(grouping, phoneNumber, entry);
      }
      this.listing.byNumber.set(phoneNumber, entry);
    }
    const single = this.singles.get(phoneNumber);
    if (single) single.entry = entry;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.timer = undefined;
    // A listing that arrived during the batch window (an `all`) answers the batch.
    const fresh = this.freshListing();
    if (fresh) {
      for (const p of batch) p.resolve(fresh.get(p.phoneNumber));
      return;
    }
    const listAll =
      this.singleLookups + batch.length >= this.options.listAllFrom || this.inFlightListing !== undefined;
    if (listAll) {
      try {
        const byNumber = await this.loadListing();
        for (const p of batch) p.resolve(byNumber.get(p.phoneNumber));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
      return;
    }
    this.singleLookups += batch.length;
    await Promise.all(
      batch.map(async (p) => {
        try {
          // Filters can match partially: only an exact match counts.
          const entries = await this.source.listOne(p.phoneNumber);
          const found = entries.find((e) => this.source.phoneNumberOf(e) === p.phoneNumber);
          // A number not found is asked again: it may be bought before the next lookup.
          if (found) this.singles.set(p.phoneNumber, { at: Date.now(), entry: found });
          p.resolve(found);
        } catch (error) {
          p.reject(error);
        }
      }),
    );
  }

  private loadListing(): Promise<Map<string, T>> {
    this.inFlightListing ??= this.source
      .listAll()
      .then((entries) => {
        const byNumber = new Map(entries.map((e) => [this.source.phoneNumberOf(e), e] as const));
        this.listing = { at: Date.now(), byNumber, groups: new Map() };
        return byNumber;
      })
      .finally(() => {
        this.inFlightListing = undefined;
      });
    return this.inFlightListing;
  }
}

/** Caches one read per key for a while, sharing an in-flight read between concurrent callers. */
export class ReadCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: Date.now(), value });
    // A failed read forgets itself, not an entry set since.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /**
   * Like `get`, for a value that may be older than its load (taken from a listing read earlier):
   * the entry ages from when the value was true, so it never answers past the TTL of its source.
   */
  getAsOf(key: string, load: () => Promise<{ value: T; at?: number }>): Promise<T> {
    let loaded: Promise<{ value: T; at?: number }> | undefined;
    const value = this.get(key, () => {
      loaded = load();
      return loaded.then((l) => l.value);
    });
    void loaded?.then(
      ({ at }) => {
        const entry = this.entries.get(key);
        if (at !== undefined && entry?.value === value) entry.at = Math.min(entry.at, at);
      },
      () => undefined,
    );
    return value;
  }

  /** `at`: when the value was true (default now). */
  set(key: string, value: T, at: number = Date.now()): void {
    this.entries.set(key, { at, value: Promise.resolve(value) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** The entry for `key` while it is fresh, without loading it. */
  peek(key: string): Promise<T> | undefined {
    const hit = this.entries.get(key);
    return hit && Date.now() - hit.at < this.ttlMs ? hit.value : undefined;
  }
}
