/**
 * After each test file: what it validated against each OpenAPI document, written for the global
 * setup (openapi-global-setup.ts) to add up at the end of the run.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import { validationTally } from "../../sandbox/openapi";

afterAll(() => {
  const dir = process.env["SANDBOX_VALIDATION_TALLY_DIR"];
  const tally = validationTally();
  if (!dir || Object.keys(tally).length === 0) return;
  const name = `tally-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.json`;
  writeFileSync(join(dir, name), JSON.stringify(tally));
});
