/**
 * Issue 5's fault matrix: every call of every lifecycle step, for both carriers, under 429 (with and
 * without Retry-After), 500, 503, a dropped connection and a response that never comes; transient,
 * persistent, and (after a step's first write) a whole-carrier outage. The rules each case is held
 * to are in matrix.ts.
 *
 * The dry runs that discover each step's calls happen while the tests are collected; the cases all
 * run in `beforeAll`, concurrently by group (one sandbox per group, reset between its cases), and
 * each test then reports its case's verdict.
 *
 * Each test also leaves what it judged in its `meta` (the matrix itself on the first test, a case
 * and its result on the others): `npm run report:reliability` runs this file with Vitest's JSON
 * reporter and writes docs/reliability.md from those, without importing anything from test/.
 */
import { beforeAll, describe, expect, it, type TestContext } from "vitest";
// test/ may import scripts/, never the reverse: the report is a tool that reads this run's results.
import type { ReportedCase, ReportedMatrix } from "../../scripts/report-reliability";
import {
  casesOf,
  ALL_TARGETS,
  FAULT_ENV,
  FAULTS,
  faultsOf,
  MAX_ATTEMPTS,
  planTarget,
  runMatrix,
  STALL_LIMIT_MS,
  STEP_BOUND_MS,
  VARIANTS,
  type CaseResult,
  type FaultCase,
  type MatrixRun,
  type StepPlan,
} from "./matrix";

/** The matrix as the report shows it: its dimensions, bounds and each step's calls. */
const reportedMatrix = (plans: StepPlan[], run: MatrixRun): ReportedMatrix => ({
  targets: ALL_TARGETS.map((t) => ({
    key: t.key,
    description: t.description,
    ...(t.set ? { set: true, faults: faultsOf(t).map((f) => f.label) } : {}),
  })),
  faults: FAULTS.map((f) => f.label),
  variants: [...VARIANTS],
  faultEnv: { ...FAULT_ENV },
  stepBoundMs: STEP_BOUND_MS,
  maxAttempts: MAX_ATTEMPTS,
  stallLimitMs: STALL_LIMIT_MS,
  plans: plans.map((p) => ({
    target: p.target.key,
    step: p.step,
    calls: p.calls.map(({ index, label, occurrence, phase, name }) => ({
      index,
      label,
      occurrence,
      phase,
      name,
    })),
  })),
  ms: run.ms,
  worstStallMs: run.worstStallMs,
});

const reportedCase = (c: FaultCase, result: CaseResult | undefined): ReportedCase => ({
  id: c.id,
  title: c.title,
  target: c.plan.target.key,
  step: c.plan.step,
  fault: { key: c.fault.key, label: c.fault.label },
  variant: c.variant,
  call: { key: c.call.key, index: c.call.index, name: c.call.name, phase: c.call.phase },
  result,
});

// FAULT_MATRIX_TARGETS=telnyx-isolate,twilio runs those targets only (while working on one).
const only = process.env.FAULT_MATRIX_TARGETS?.split(",");
const targets = only ? ALL_TARGETS.filter((t) => only.includes(t.key)) : ALL_TARGETS;

describe("fault matrix", async () => {
  const plans = (await Promise.all(targets.map(planTarget))).flat();
  const cases = plans.flatMap(casesOf);
  let run: MatrixRun;
  const results = new Map<string, CaseResult>();

  beforeAll(async () => {
    run = await runMatrix(cases);
    for (const r of run.results) results.set(r.id, r);
  }, 600_000);

  it("has a case for every call × fault × variant of every step, and ran them all", ({ task }) => {
    Object.assign(task.meta, { reliabilityMatrix: reportedMatrix(plans, run) });
    for (const plan of plans) {
      expect(plan.calls.length, `${plan.target.key} ${plan.step}`).toBeGreaterThan(0);
      const firstWrite = plan.calls.findIndex((c) => c.method === "POST" || c.method === "PATCH");
      const afterWrite = firstWrite < 0 ? 0 : plan.calls.length - firstWrite - 1;
      const mine = cases.filter((c) => c.plan === plan);
      expect(mine).toHaveLength(
        faultsOf(plan.target).length * (plan.calls.length * (VARIANTS.length - 1) + afterWrite),
      );
    }
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(run.results).toHaveLength(cases.length);
  });

  it("starts from dry runs that round-trip: a clean create then delete leaves every number as it was", () => {
    for (const target of targets) {
      const step = (name: string) => plans.find((p) => p.target === target && p.step === name)!;
      expect(step("delete").clean.carrier, target.key).toEqual(step("create").startCarrier);
      // The originals are the seed's webhooks, not the ones the resource sets.
      expect(step("create").originals.voiceUrl, target.key).toMatch(/^https:\/\/legacy\.example\.com\//);
      for (const member of target.set?.members ?? [])
        expect(step("create").memberOriginals![member]!.voiceUrl, member).toMatch(
          /^https:\/\/legacy\.example\.com\//,
        );
    }
  });

  const verdict =
    (c: FaultCase) =>
    ({ task }: TestContext) => {
      const r = results.get(c.id);
      Object.assign(task.meta, { reliabilityCase: reportedCase(c, r) });
      expect(r, "the case did not run").toBeDefined();
      expect(r!.problems, `${r!.outcome} | carrier ${r!.carrier} | ${r!.ms} ms`).toEqual([]);
    };

  for (const target of targets)
    describe(target.description, () => {
      for (const plan of plans.filter((p) => p.target === target))
        describe(plan.step, () => {
          for (const c of cases.filter((x) => x.plan === plan)) it(c.title, verdict(c));
        });
    });
});
