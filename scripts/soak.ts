/**
 * `npm run soak -- --runs N [--seed S] [--commands C]`: the model-based test of stacks on shared
 * Telnyx objects (test/property/stacks.model.test.ts) for longer than `npm test` runs it, with a
 * random seed unless one is given. Prints the seed first, so a failure can be replayed, and the
 * sequences and commands run last. Exits non-zero on a violation (with the shrunk sequence).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    seed: { type: "string" },
    commands: { type: "string", default: "25" },
  },
});
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
console.log(`soak: seed ${seed}, ${values.runs} sequences of up to ${values.commands} commands`);
const run = spawnSync(
  "npx",
  ["vitest", "run", "test/property/stacks.model.test.ts", "--reporter", "verbose"],
  {
    stdio: "inherit",
    env: { ...process.env, MODEL_RUNS: values.runs, MODEL_SEED: seed, MODEL_COMMANDS: values.commands },
  },
);
process.exit(run.status ?? 1);
