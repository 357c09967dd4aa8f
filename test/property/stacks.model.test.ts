/**
 * Stacks interleaving on shared Telnyx objects, model-checked: random sequences of up (create,
 * update, replace in both orders, members joining and leaving a set, onShared switched), refresh,
 * destroy, console edits, refused writes and simulated process deaths over three stacks, each with
 * its own state and provider processes, against the sandbox. After every command, invariants 1 to
 * 4 hold from what each number answers. A fixed seed and count here (about half a minute);
 * `npm run soak -- --runs N` runs longer with a random seed (MODEL_RUNS, MODEL_SEED, MODEL_COMMANDS).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { quietWarnings, runModel } from "./stacks-model";

beforeAll(() => quietWarnings());

describe("stacks on shared Telnyx objects (model-based)", () => {
  it("keeps every number answering its own stack, and gives back exactly what it answered", async () => {
    const runs = Number(process.env.MODEL_RUNS ?? 100);
    const seed = Number(process.env.MODEL_SEED ?? 20261206);
    let sequences = 0;
    let commands = 0;
    await runModel({
      seed,
      numRuns: runs,
      maxCommands: Number(process.env.MODEL_COMMANDS ?? 25),
      onSequence: (n) => {
        sequences++;
        commands += n;
      },
    });
    expect(sequences).toBe(runs);
    console.log(`model: seed ${seed}, ${sequences} sequences, ${commands} commands, 0 violations`);
  }, 3_600_000);
});
