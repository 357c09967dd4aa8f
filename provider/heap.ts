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
 * members, 0.66–1.7 GB → 0.41–1.1 GB at 100,000, for 14–29% more provider CPU. See README, "Memory".
 */
import { setFlagsFromString } from "node:v8";

/** From this many members in one set, the process keeps its heap compact. */
export const COMPACT_HEAP_FROM_MEMBERS = 2_000;
/** The old generation grows to at most this percent above its live size before a full collection. */
export const HEAP_GROWING_PERCENT = 25;

let compact = false;

/** Keeps the heap compact from now on, when `members` (one set's) are many. */
export function compactHeapFor(members: number): void {
  if (compact || members < COMPACT_HEAP_FROM_MEMBERS) return;
  compact = true;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
