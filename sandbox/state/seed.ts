/**
 * Seed to state and back, for every carrier: read a seed file, check a seed (one section per
 * carrier, each checked by its carrier's schema), normalise it (each carrier fills in its defaults
 * and resolves names), and dump the state in the seed's shape.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { SeedError, formatZodError } from "../errors";
import { SANDBOX_CARRIERS, type NormalizedState, type SandboxSeed, type SandboxState } from "../carriers";

/** A whole seed: every carrier's section optional, unknown sections and fields rejected. */
const seedSchema = z.strictObject(
  Object.fromEntries(SANDBOX_CARRIERS.map((c) => [c.name, (c.seedSchema as z.ZodType).optional()])),
);

/** Parse and normalise a seed (already-parsed JSON). Throws SeedError with every problem found. */
export function normalizeSeed(input: unknown): NormalizedState {
  const parsed = seedSchema.safeParse(input ?? {});
  if (!parsed.success) throw new SeedError(`invalid seed: ${formatZodError(parsed.error)}`);
  const problems: string[] = [];
  const state = Object.fromEntries(
    SANDBOX_CARRIERS.map((c) => [c.name, c.normalize(parsed.data[c.name] as never, problems)]),
  );
  if (problems.length) throw new SeedError(`invalid seed: ${problems.join("; ")}`);
  return state as NormalizedState;
}

/** The state as a plain JSON object in the seed's shape (deep copy). */
export function dumpState(state: NormalizedState): SandboxState {
  return structuredClone(
    Object.fromEntries(SANDBOX_CARRIERS.map((c) => [c.name, c.dump(state[c.name] as never)])),
  ) as SandboxState;
}

/** Read a seed file (path relative to the current directory). */
export function loadSeedFile(path: string): SandboxSeed {
  const full = resolve(process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (e) {
    throw new SeedError(`cannot read seed file ${full}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as SandboxSeed;
  } catch (e) {
    throw new SeedError(`seed file ${full} is not valid JSON: ${(e as Error).message}`);
  }
}
