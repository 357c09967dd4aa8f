/**
 * Issue 5's fault matrix: every call of every lifecycle step, for both carriers, under 429 (with and
 * without Retry-After), 500, 503, a dropped connection and a response that never comes; transient,
 * persistent, and (after a step's first write) a whole-carrier outage. The rules each case is held
 * to are in matrix.ts, shared with `npm run report:reliability` (docs/reliability.md).
 *
 * The dry runs that discover each step's calls happen while the tests are collected; the cases all
 * run in `beforeAll`, concurrently by group (one sandbox per group, reset between its cases), and
 * each test then reports its case's verdict.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  casesOf,
  FAULTS,
  planTarget,
  runMatrix,
  TARGETS,
  VARIANTS,
  type CaseResult,
  type FaultCase,
  type MatrixRun,
} from "./matrix";

describe("fault matrix", async () => {
  const plans = (await Promise.all(TARGETS.map(planTarget))).flat();
  const cases = plans.flatMap(casesOf);
  let run: MatrixRun;
  const results = new Map<string, CaseResult>();

  beforeAll(async () => {
    run = await runMatrix(cases);
    for (const r of run.results) results.set(r.id, r);
  }, 600_000);

  it("has a case for every call × fault × variant of every step, and ran them all", () => {
    for (const plan of plans) {
      expect(plan.calls.length, `${plan.target.key} ${plan.step}`).toBeGreaterThan(0);
      const firstWrite = plan.calls.findIndex((c) => c.method === "POST" || c.method === "PATCH");
      const afterWrite = firstWrite < 0 ? 0 : plan.calls.length - firstWrite - 1;
      const mine = cases.filter((c) => c.plan === plan);
      expect(mine).toHaveLength(FAULTS.length * (plan.calls.length * (VARIANTS.length - 1) + afterWrite));
    }
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(run.results).toHaveLength(cases.length);
  });

  it("starts from dry runs that round-trip: a clean create then delete leaves every number as it was", () => {
    for (const target of TARGETS) {
      const step = (name: string) => plans.find((p) => p.target === target && p.step === name)!;
      expect(step("delete").clean.carrier, target.key).toEqual(step("create").startCarrier);
      // The originals are the seed's webhooks, not the ones the resource sets.
      expect(step("create").originals.voiceUrl, target.key).toMatch(/^https:\/\/legacy\.example\.com\//);
    }
  });

  const verdict = (c: FaultCase) => () => {
    const r = results.get(c.id);
    expect(r, "the case did not run").toBeDefined();
    expect(r!.problems, `${r!.outcome} | carrier ${r!.carrier} | ${r!.ms} ms`).toEqual([]);
  };

  for (const target of TARGETS)
    describe(target.description, () => {
      for (const plan of plans.filter((p) => p.target === target))
        describe(plan.step, () => {
          for (const c of cases.filter((x) => x.plan === plan)) it(c.title, verdict(c));
        });
    });
});
