/**
 * How compact a large set keeps the provider's heap (provider/heap.ts): the growing percent a
 * set's size calls for. The flag itself is V8's; the bench measures what it does to peak RSS.
 */
import { describe, expect, it } from "vitest";
import { growingPercentFor, HEAP_GROWTH_BY_SET_SIZE } from "../../provider/heap";

describe("growingPercentFor", () => {
  it("leaves V8's own growth to sets below the first tier", () => {
    expect(growingPercentFor(0)).toBeUndefined();
    expect(growingPercentFor(1_999)).toBeUndefined();
  });

  it("narrows the growth as a set gets larger, from each tier's first member", () => {
    expect(growingPercentFor(2_000)).toBe(25);
    expect(growingPercentFor(19_999)).toBe(25);
    expect(growingPercentFor(20_000)).toBe(10);
    expect(growingPercentFor(100_000)).toBe(10);
  });

  it("has tiers in order of size, each tighter than the one before", () => {
    for (let i = 1; i < HEAP_GROWTH_BY_SET_SIZE.length; i++) {
      expect(HEAP_GROWTH_BY_SET_SIZE[i]!.from).toBeGreaterThan(HEAP_GROWTH_BY_SET_SIZE[i - 1]!.from);
      expect(HEAP_GROWTH_BY_SET_SIZE[i]!.percent).toBeLessThan(HEAP_GROWTH_BY_SET_SIZE[i - 1]!.percent);
    }
  });
});
