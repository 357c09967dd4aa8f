/**
 * ObjectListings (provider/carriers/telnyx/listings.ts), against a fake paged list: when a kind's
 * listing answers object reads, and when fetching a few objects alone is fewer calls.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { CarrierError } from "../../provider/errors";
import { MESSAGING_PROFILE } from "../../provider/carriers/telnyx/kinds";
import { ObjectListings, type Listed } from "../../provider/carriers/telnyx/listings";

const PAGE = 250;
const TTL = 30_000;

/** A list of `count` profiles served in pages of 250, counting the pages asked for. */
function fakeClient(count: number, item: (i: number) => Record<string, unknown> = profile, pageMs = 0) {
  const items = Array.from({ length: count }, (_, i) => item(i));
  const pages: number[] = [];
  const listPage = async (_call: string, _path: string, _query: Record<string, string>, page: number) => {
    pages.push(page);
    await new Promise((resolve) => setTimeout(resolve, pageMs));
    const data = items.slice((page - 1) * PAGE, page * PAGE);
    const totalPages = Math.ceil(items.length / PAGE);
    return { items: data, last: page >= totalPages || data.length === 0, totalPages };
  };
  const listFrom = async (call: string, path: string, query: Record<string, string>, from: number) => {
    const out: unknown[] = [];
    for (let page = from; ; page++) {
      const body = await listPage(call, path, query, page);
      out.push(...body.items);
      if (body.last) return out;
    }
  };
  const client = {
    listPage,
    listFrom,
    listAll: (call: string, path: string, query: Record<string, string>) => listFrom(call, path, query, 1),
  };
  return { client, pages };
}

function profile(i: number): Record<string, unknown> {
  return {
    id: `p${i}`,
    record_type: "messaging_profile",
    name: `profile ${i}`,
    webhook_url: `https://h/${i}`,
  };
}

function listings(client: ReturnType<typeof fakeClient>["client"]) {
  return new ObjectListings(client, { ttlMs: TTL, batchWindowMs: 1 });
}

const id = (listed: Listed) => (typeof listed === "object" ? listed.object.id : listed);

afterEach(() => vi.restoreAllMocks());

describe("ObjectListings", () => {
  it("leaves a single object to be fetched alone: one call either way", async () => {
    const { client, pages } = fakeClient(600);
    const l = listings(client);
    expect(await l.lookup(MESSAGING_PROFILE, "p3")).toBe("unlisted");
    expect(pages).toEqual([]);
  });

  it("answers objects read together from a listing of one page, and says which are not in it", async () => {
    const { client, pages } = fakeClient(40);
    const l = listings(client);
    const found = await Promise.all(
      ["p1", "p7", "p39", "p1", "gone"].map((x) => l.lookup(MESSAGING_PROFILE, x)),
    );
    expect(found.map(id)).toEqual(["p1", "p7", "p39", "p1", "absent"]);
    expect(pages).toEqual([1]);
    // The whole listing now answers, with no call; marks are read from it too.
    expect(id(await l.lookup(MESSAGING_PROFILE, "p20"))).toBe("p20");
    expect((await l.all(MESSAGING_PROFILE)).byId.size).toBe(40);
    expect(pages).toEqual([1]);
  });

  it("reads the rest of the listing when the objects not on its first page cost at least its other pages", async () => {
    const { client, pages } = fakeClient(600); // 3 pages
    const l = listings(client);
    const found = await Promise.all(["p300", "p560"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
    expect(found.map(id)).toEqual(["p300", "p560"]);
    expect(pages).toEqual([1, 2, 3]);
  });

  it("goes on from a first page that answered while a later batch waited", async () => {
    const { client, pages } = fakeClient(400, profile, 20); // 2 pages, each taking 20 ms
    const l = listings(client);
    const onFirst = Promise.all(["p1", "p2"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const onSecond = Promise.all(["p300", "p301"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
    expect((await onFirst).map(id)).toEqual(["p1", "p2"]);
    expect((await onSecond).map(id)).toEqual(["p300", "p301"]);
    expect(pages).toEqual([1, 2]);
  });

  it("fetches a few objects alone when the listing has more pages, and lists once they add up", async () => {
    const { client, pages } = fakeClient(1200); // 5 pages
    const l = listings(client);
    // Two objects: the first page is read (it says 5 pages); neither is on it, 2 < 4 pages left.
    const two = await Promise.all(["p300", "p900"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
    expect(two).toEqual(["unlisted", "unlisted"]);
    // One on the first page is answered from it.
    expect(id(await l.lookup(MESSAGING_PROFILE, "p10"))).toBe("p10");
    // Asked again (its cache entry expired), an object fetched alone is fetched alone again.
    expect(await l.lookup(MESSAGING_PROFILE, "p300")).toBe("unlisted");
    expect(await l.lookup(MESSAGING_PROFILE, "p1000")).toBe("unlisted");
    expect(pages).toEqual([1]);
    // The fourth object alone would make 4 calls, as many as the pages left: the whole listing.
    expect(id(await l.lookup(MESSAGING_PROFILE, "p1100"))).toBe("p1100");
    // The first page was read in an earlier batch: the listing starts again from page 1.
    expect(pages).toEqual([1, 1, 2, 3, 4, 5]);
    expect(id(await l.lookup(MESSAGING_PROFILE, "p300"))).toBe("p300");
  });

  it("reads the whole listing at the first lookup when the operation expects as many objects as its pages", async () => {
    const { client, pages } = fakeClient(1200); // 5 pages
    const l = listings(client);
    l.expect(MESSAGING_PROFILE, 40);
    // One object, asked first: the listing's floor, each page once, nothing fetched alone.
    expect(id(await l.lookup(MESSAGING_PROFILE, "p900"))).toBe("p900");
    expect(pages).toEqual([1, 2, 3, 4, 5]);
    expect(id(await l.lookup(MESSAGING_PROFILE, "p300"))).toBe("p300");
    expect(pages).toEqual([1, 2, 3, 4, 5]);
  });

  it("still fetches a few objects alone when the operation expects fewer than the listing's pages", async () => {
    const { client, pages } = fakeClient(1200); // 5 pages
    const l = listings(client);
    l.expect(MESSAGING_PROFILE, 2);
    const two = await Promise.all(["p300", "p900"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
    expect(two).toEqual(["unlisted", "unlisted"]);
    expect(pages).toEqual([1]);
  });

  it("goes stale with its TTL, and keeps this process's creates and deletes", async () => {
    const { client, pages } = fakeClient(3);
    const l = listings(client);
    await Promise.all(["p0", "p1"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
    l.added(MESSAGING_PROFILE, { id: "copy", name: "profile 0 [copy of p0]" });
    l.deleted(MESSAGING_PROFILE, "p2");
    expect(id(await l.lookup(MESSAGING_PROFILE, "copy"))).toBe("copy");
    expect(await l.lookup(MESSAGING_PROFILE, "p2")).toBe("absent");
    expect(pages).toEqual([1]);
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + TTL + 1);
    expect((await l.all(MESSAGING_PROFILE)).byId.has("p2")).toBe(true);
    expect(pages).toEqual([1, 1]);
  });

  it("refuses a listing whose items are malformed or of another kind", async () => {
    for (const bad of [
      (i: number) => ({ ...profile(i), id: i }),
      (i: number) => ({ ...profile(i), webhook_url: 42 }),
      (i: number) => ({ ...profile(i), record_type: "call_control_application" }),
    ]) {
      const { client } = fakeClient(3, bad);
      const l = listings(client);
      const read = Promise.all(["p0", "p1"].map((x) => l.lookup(MESSAGING_PROFILE, x)));
      await expect(read).rejects.toThrow(CarrierError);
      await expect(read).rejects.toThrow(/list messaging_profiles/);
    }
  });
});
