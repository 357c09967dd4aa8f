/**
 * How much the provider process's heap may grow past what it holds. V8 lets the old generation
 * reach about two and a half times its live size before a full collection; a set of many members
 * allocates fast (a journal entry, carrier answers and outputs per member) and its garbage goes
 * to the old generation, so at 10,000 members a provider holding about 100 MB live peaked at
 * 450 MB. The engine runs one provider process per operation, and this package's resources are
 * most of what it does, so a large set sets V8's heap growing factor for the rest of it (a
 * runtime flag: the host starts `node` itself, with no flags of ours).
 *
 * Measured with the bench (three sets, one run each): peak RSS 435–484 → 249–295 MB at 10,000
 * members (25%); 0.66–1.7 GB → 0.41–1.1 GB at 100,000 with 25%, 0.41–0.93 GB with 10%, for
 * about 20% more provider CPU than 25% in the up. See README, "Memory".
 */
import { setFlagsFromString } from "node:v8";

/**
 * The old generation grows to at most `percent` above its live size before a full collection,
 * once one set has `from` members. A larger heap gets a smaller percent: the slack is absolute
 * memory, and a set of 100,000 holds some 600 MB live in an update.
 */
export const HEAP_GROWTH_BY_SET_SIZE = [
  { from: 2_000, percent: 25 },
  { from: 20_000, percent: 10 },
] as const;

let growingPercent: number | undefined;

/** The growing percent a set of `members` calls for; `undefined`: V8's own. */
export function growingPercentFor(members: number): number | undefined {
  return HEAP_GROWTH_BY_SET_SIZE.filter((t) => members >= t.from).at(-1)?.percent;
}

/** Keeps the heap compact from now on, as far as `members` (one set's) call for: never looser. */
export function compactHeapFor(members: number): void {
  const percent = growingPercentFor(members);
  if (percent === undefined || (growingPercent !== undefined && growingPercent <= percent)) return;
  growingPercent = percent;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
