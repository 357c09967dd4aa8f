/**
 * NumberDirectory (batched lookups of one carrier account's numbers) and ReadCache, against a fake
 * source and Vitest's fake clock: what is asked of the carrier, and what each lookup answers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NumberDirectory, ReadCache, type DirectorySource } from "../../provider/directory";

interface Entry {
  phoneNumber: string;
  voiceUrl: string;
}

const entry = (phoneNumber: string, voiceUrl = `https://example.com/${phoneNumber.slice(1)}`): Entry => ({
  phoneNumber,
  voiceUrl,
});

const ACCOUNT = ["+14155550100", "+14155550101", "+14155550102", "+14155550103", "+14155550104"].map((n) =>
  entry(n),
);

const OPTIONS = { ttlMs: 1_000, batchWindowMs: 10, listAllFrom: 4 };

/** A source over `numbers`; listAll and listOne are spies whose answers a test may replace. */
function fakeSource(numbers: Entry[] = ACCOUNT) {
  return {
    listAll: vi.fn(async () => numbers.map((e) => ({ ...e }))),
    listOne: vi.fn(async (n: string) =>
      numbers.filter((e) => e.phoneNumber.includes(n)).map((e) => ({ ...e })),
    ),
    phoneNumberOf: (e: Entry) => e.phoneNumber,
  } satisfies DirectorySource<Entry>;
}

/** A promise and the functions that settle it, for a source call a test holds open. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the batch window pass and every promise that follows settle. */
const passWindow = () => vi.advanceTimersByTimeAsync(OPTIONS.batchWindowMs);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("NumberDirectory", () => {
  it("waits for the batch window before asking the carrier anything", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const found = directory.find("+14155550100");
    await vi.advanceTimersByTimeAsync(OPTIONS.batchWindowMs - 1);
    expect(source.listOne).not.toHaveBeenCalled();
    expect(source.listAll).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(found).resolves.toEqual(ACCOUNT[0]);
  });

  it("answers a number found one by one again without a call until ttlMs has passed, with what a write answered", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const first = directory.find("+14155550100");
    await passWindow();
    await expect(first).resolves.toEqual(ACCOUNT[0]);
    await expect(directory.find("+14155550100")).resolves.toEqual(ACCOUNT[0]);
    const written = { ...ACCOUNT[0]!, voiceUrl: "https://written.example.com" };
    directory.update(written);
    await expect(directory.find("+14155550100")).resolves.toEqual(written);
    expect(source.listOne).toHaveBeenCalledTimes(1);
    // A number not found is asked again.
    for (const _ of [1, 2]) {
      const missing = directory.find("+19995550000");
      await passWindow();
      await expect(missing).resolves.toBeUndefined();
    }
    expect(source.listOne).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(OPTIONS.ttlMs);
    const stale = directory.find("+14155550100");
    await passWindow();
    await stale;
    // Stale: asked again (the fourth lookup of the process, so the account is listed).
    expect(source.listOne).toHaveBeenCalledTimes(3);
    expect(source.listAll).toHaveBeenCalledTimes(1);
  });

  it("looks a few numbers up one by one, in a single batch", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const found = Promise.all([directory.find("+14155550100"), directory.find("+14155550102")]);
    await passWindow();
    expect(await found).toEqual([ACCOUNT[0], ACCOUNT[2]]);
    expect(source.listOne.mock.calls).toEqual([["+14155550100"], ["+14155550102"]]);
    expect(source.listAll).not.toHaveBeenCalled();
  });

  it("lists the whole account once when a batch holds listAllFrom lookups", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const numbers = ["+14155550100", "+14155550101", "+14155550103", "+19995550000"];
    const found = Promise.all(numbers.map((n) => directory.find(n)));
    await passWindow();
    expect(await found).toEqual([ACCOUNT[0], ACCOUNT[1], ACCOUNT[3], undefined]);
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect(source.listOne).not.toHaveBeenCalled();
  });

  it("counts the numbers looked up one by one so far towards listAllFrom", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const first = Promise.all([directory.find("+14155550100"), directory.find("+14155550101")]);
    await passWindow();
    await first;
    expect(source.listOne).toHaveBeenCalledTimes(2);
    // Two so far and two now: four, so the account is listed.
    const second = Promise.all([directory.find("+14155550102"), directory.find("+14155550103")]);
    await passWindow();
    expect(await second).toEqual([ACCOUNT[2], ACCOUNT[3]]);
    expect(source.listOne).toHaveBeenCalledTimes(2);
    expect(source.listAll).toHaveBeenCalledTimes(1);
  });

  it("takes only an exact match from a filtered list that also matches other numbers", async () => {
    const longer = entry("+141555501001");
    const source = fakeSource([longer, ...ACCOUNT]);
    const directory = new NumberDirectory(source, OPTIONS);
    const exact = directory.find("+14155550100");
    await passWindow();
    await expect(exact).resolves.toEqual(ACCOUNT[0]);

    // A filter that matches only partially answers "not found", not the partial match.
    source.listOne.mockResolvedValueOnce([longer]);
    const partial = new NumberDirectory(source, OPTIONS).find("+14155550100");
    await passWindow();
    await expect(partial).resolves.toBeUndefined();
  });

  it("answers from a fresh listing without a call or a wait, until ttlMs has passed", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    expect(directory.freshListing()).toBeUndefined();
    const batch = Promise.all(ACCOUNT.slice(0, 4).map((e) => directory.find(e.phoneNumber)));
    await passWindow();
    await batch;
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect([...directory.freshListing()!.keys()]).toEqual(ACCOUNT.map((e) => e.phoneNumber));

    // No timer needs to fire: the listing answers at once.
    await expect(directory.find("+14155550104")).resolves.toEqual(ACCOUNT[4]);
    await expect(directory.find("+19995550000")).resolves.toBeUndefined();

    // The listing dates from when it arrived, at the end of the batch window.
    await vi.advanceTimersByTimeAsync(OPTIONS.ttlMs - 1);
    expect(directory.freshListing()).toBeDefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(directory.freshListing()).toBeUndefined();

    // Stale: the next lookups wait for a batch and ask the carrier again.
    const again = Promise.all(ACCOUNT.slice(0, 4).map((e) => directory.find(e.phoneNumber)));
    await passWindow();
    expect(await again).toEqual(ACCOUNT.slice(0, 4));
    expect(source.listAll).toHaveBeenCalledTimes(2);
  });

  it("shares a listing still in flight with a later batch, however small", async () => {
    const source = fakeSource();
    const listing = deferred<Entry[]>();
    source.listAll.mockReturnValueOnce(listing.promise);
    const directory = new NumberDirectory(source, OPTIONS);
    const first = Promise.all(ACCOUNT.slice(0, 4).map((e) => directory.find(e.phoneNumber)));
    await passWindow();
    expect(source.listAll).toHaveBeenCalledTimes(1);

    const later = directory.find("+14155550104");
    await passWindow();
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect(source.listOne).not.toHaveBeenCalled();

    listing.resolve(ACCOUNT);
    expect(await first).toEqual(ACCOUNT.slice(0, 4));
    await expect(later).resolves.toEqual(ACCOUNT[4]);
  });

  it("rejects every lookup of a batch when the listing fails, and asks again on the next lookup", async () => {
    const source = fakeSource();
    const failure = new Error("list IncomingPhoneNumbers failed (HTTP 500)");
    source.listAll.mockRejectedValueOnce(failure);
    const directory = new NumberDirectory(source, OPTIONS);
    const found = ACCOUNT.slice(0, 4).map((e) => directory.find(e.phoneNumber));
    const settled = Promise.allSettled(found);
    await passWindow();
    expect(await settled).toEqual(found.map(() => ({ status: "rejected", reason: failure })));
    expect(directory.freshListing()).toBeUndefined();

    // The failure is not remembered (nor does it count as lookups made one by one).
    const retry = directory.find("+14155550100");
    await passWindow();
    await expect(retry).resolves.toEqual(ACCOUNT[0]);
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect(source.listOne).toHaveBeenCalledTimes(1);
  });

  it("rejects only the lookup whose own call failed when looking numbers up one by one", async () => {
    const source = fakeSource();
    const failure = new Error("no answer from Telnyx");
    source.listOne.mockImplementation(async (n) => {
      if (n === "+14155550101") throw failure;
      return ACCOUNT.filter((e) => e.phoneNumber === n);
    });
    const directory = new NumberDirectory(source, OPTIONS);
    const settled = Promise.allSettled([directory.find("+14155550100"), directory.find("+14155550101")]);
    await passWindow();
    expect(await settled).toEqual([
      { status: "fulfilled", value: ACCOUNT[0] },
      { status: "rejected", reason: failure },
    ]);
  });

  it("update: a write's answer replaces the listed entry, so later lookups see it", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const batch = Promise.all(ACCOUNT.slice(0, 4).map((e) => directory.find(e.phoneNumber)));
    await passWindow();
    await batch;

    const written = entry("+14155550101", "https://staging.example.com/voice");
    directory.update(written);
    await expect(directory.find("+14155550101")).resolves.toEqual(written);
    expect(directory.freshListing()!.get("+14155550101")).toEqual(written);
    expect(source.listAll).toHaveBeenCalledTimes(1);
  });

  it("update without a listing changes nothing: the next lookup asks the carrier", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    directory.update(entry("+14155550101", "https://staging.example.com/voice"));
    expect(directory.freshListing()).toBeUndefined();
    const found = directory.find("+14155550101");
    await passWindow();
    await expect(found).resolves.toEqual(ACCOUNT[1]);
    expect(source.listOne).toHaveBeenCalledTimes(1);
  });
});

describe("NumberDirectory.all", () => {
  it("lists the account at once (no batch window), and the listing then answers find", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const all = await directory.all();
    expect([...all.keys()]).toEqual(ACCOUNT.map((e) => e.phoneNumber));
    expect(all.get("+14155550102")).toEqual(ACCOUNT[2]);
    expect(source.listAll).toHaveBeenCalledTimes(1);

    // The members a selection found are then looked up without a call or a wait.
    await expect(directory.find("+14155550103")).resolves.toEqual(ACCOUNT[3]);
    expect(directory.freshListing()).toBe(all);
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect(source.listOne).not.toHaveBeenCalled();
  });

  it("answers from a fresh listing, and lists again once it is stale", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const first = await directory.all();
    await vi.advanceTimersByTimeAsync(OPTIONS.ttlMs - 1);
    await expect(directory.all()).resolves.toBe(first);
    expect(source.listAll).toHaveBeenCalledTimes(1);

    // A number bought since the first listing appears in the next one.
    source.listAll.mockResolvedValueOnce([...ACCOUNT, entry("+14155550199")]);
    await vi.advanceTimersByTimeAsync(1);
    const second = await directory.all();
    expect(source.listAll).toHaveBeenCalledTimes(2);
    expect(second.has("+14155550199")).toBe(true);
  });

  it("shares a listing in flight, whether a batch of finds or another all started it", async () => {
    const source = fakeSource();
    const listing = deferred<Entry[]>();
    source.listAll.mockReturnValueOnce(listing.promise);
    const directory = new NumberDirectory(source, OPTIONS);
    const batch = Promise.all(ACCOUNT.slice(0, 4).map((e) => directory.find(e.phoneNumber)));
    await passWindow();
    const [a, b] = [directory.all(), directory.all()];
    // A lookup that arrives while the listing is in flight waits for it too.
    const later = directory.find("+14155550104");
    await passWindow();
    listing.resolve(ACCOUNT);
    expect(await batch).toEqual(ACCOUNT.slice(0, 4));
    expect(await a).toBe(await b);
    await expect(later).resolves.toEqual(ACCOUNT[4]);
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect(source.listOne).not.toHaveBeenCalled();
  });

  it("a lookup batch waiting when all starts is answered by its listing", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const waiting = directory.find("+14155550101");
    const all = directory.all();
    await passWindow();
    await expect(waiting).resolves.toEqual(ACCOUNT[1]);
    await all;
    expect(source.listAll).toHaveBeenCalledTimes(1);
    expect(source.listOne).not.toHaveBeenCalled();
  });

  it("rejects when the listing fails, remembers nothing, and lists again on the next call", async () => {
    const source = fakeSource();
    const failure = new Error("list phone_numbers failed (HTTP 500)");
    source.listAll.mockRejectedValueOnce(failure);
    const directory = new NumberDirectory(source, OPTIONS);
    await expect(directory.all()).rejects.toBe(failure);
    expect(directory.freshListing()).toBeUndefined();
    await expect(directory.all()).resolves.toHaveProperty("size", ACCOUNT.length);
    expect(source.listAll).toHaveBeenCalledTimes(2);
  });

  it("reflects writes recorded with update", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    await directory.all();
    const written = entry("+14155550101", "https://staging.example.com/voice");
    directory.update(written);
    expect((await directory.all()).get("+14155550101")).toEqual(written);
    expect(source.listAll).toHaveBeenCalledTimes(1);
  });
});

describe("ReadCache", () => {
  const TTL = 1_000;

  it("shares one read in flight between concurrent callers", async () => {
    const cache = new ReadCache<string>(TTL);
    const read = deferred<string>();
    const load = vi.fn(() => read.promise);
    const a = cache.get("conn-1", load);
    const b = cache.get("conn-1", load);
    expect(load).toHaveBeenCalledTimes(1);
    read.resolve("answer");
    expect(await Promise.all([a, b])).toEqual(["answer", "answer"]);
  });

  it("keeps keys apart", async () => {
    const cache = new ReadCache<string>(TTL);
    await expect(cache.get("a", async () => "A")).resolves.toBe("A");
    await expect(cache.get("b", async () => "B")).resolves.toBe("B");
    await expect(cache.get("a", async () => "not read")).resolves.toBe("A");
  });

  it("reads again once ttlMs has passed", async () => {
    const cache = new ReadCache<number>(TTL);
    let reads = 0;
    const load = vi.fn(async () => ++reads);
    await expect(cache.get("k", load)).resolves.toBe(1);
    await vi.advanceTimersByTimeAsync(TTL - 1);
    await expect(cache.get("k", load)).resolves.toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(cache.get("k", load)).resolves.toBe(2);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("forgets a failed read: the next caller reads again", async () => {
    const cache = new ReadCache<string>(TTL);
    const failure = new Error("HTTP 503");
    await expect(cache.get("k", () => Promise.reject(failure))).rejects.toBe(failure);
    const load = vi.fn(async () => "fresh");
    await expect(cache.get("k", load)).resolves.toBe("fresh");
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("does not forget a value set while a read that then fails was in flight", async () => {
    const cache = new ReadCache<string>(TTL);
    const read = deferred<string>();
    const failing = cache.get("k", () => read.promise);
    cache.set("k", "written");
    read.reject(new Error("HTTP 500"));
    await expect(failing).rejects.toThrow("HTTP 500");
    const load = vi.fn(async () => "read");
    await expect(cache.get("k", load)).resolves.toBe("written");
    expect(load).not.toHaveBeenCalled();
  });

  it("set answers later gets without a read; delete forgets", async () => {
    const cache = new ReadCache<string>(TTL);
    cache.set("k", "written");
    const load = vi.fn(async () => "read");
    await expect(cache.get("k", load)).resolves.toBe("written");
    cache.delete("k");
    await expect(cache.get("k", load)).resolves.toBe("read");
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe("NumberDirectory.freshListingBy", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("groups the fresh listing once, keeps the groups true as writes update entries, and has none without a listing", async () => {
    const source = fakeSource();
    const directory = new NumberDirectory(source, OPTIONS);
    const byUrl = (e: Entry) => e.voiceUrl;
    expect(directory.freshListingBy("url", byUrl)).toBeUndefined();
    await directory.all();
    const groups = directory.freshListingBy("url", byUrl)!;
    expect(groups.get("https://example.com/14155550100")).toEqual(["+14155550100"]);
    // Two numbers moved onto one URL: the groups follow, without another listing.
    directory.update(entry("+14155550101", "https://example.com/shared"));
    directory.update(entry("+14155550102", "https://example.com/shared"));
    expect(directory.freshListingBy("url", byUrl)!.get("https://example.com/shared")).toEqual([
      "+14155550101",
      "+14155550102",
    ]);
    expect(directory.freshListingBy("url", byUrl)!.has("https://example.com/14155550101")).toBe(false);
    expect(source.listAll).toHaveBeenCalledTimes(1);
    // Stale: no groups, as no listing.
    vi.advanceTimersByTime(OPTIONS.ttlMs + 1);
    expect(directory.freshListingBy("url", byUrl)).toBeUndefined();
  });
});
