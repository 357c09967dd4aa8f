/**
 * `npm run report:reliability` (tsx scripts/report-reliability.ts): runs issue 5's fault matrix
 * (`npx vitest run test/faults/matrix.test.ts`: the same cases and rules as the tests, for they are
 * the tests) against local sandboxes and writes docs/reliability.md: per target, step, fault and
 * variant, the cases tried, passed, and what happened in each failure. Prints a summary; exits 1 if
 * any case failed.
 *
 * The matrix reaches this script through Vitest's JSON report: each test of matrix.test.ts leaves
 * the case it judged and its result in its `meta` (ReportedCase), the first one the matrix itself
 * (ReportedMatrix).
 */
// One way: test/ imports scripts/ (the e2e tests use its CLI provisioning), never the reverse.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

/** The fault matrix as matrix.test.ts records it on its first test. */
export interface ReportedMatrix {
  /** A set target (`set`) tries only `faults`, and is judged by the rules for sets. */
  targets: Array<{ key: string; description: string; set?: boolean; faults?: string[] }>;
  /** Each fault's label, in the matrix's order. */
  faults: string[];
  variants: string[];
  faultEnv: { PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS: string; PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: string };
  stepBoundMs: number;
  maxAttempts: number;
  stallLimitMs: number;
  /** Each step's calls, from its clean dry run. */
  plans: Array<{
    target: string;
    step: string;
    calls: Array<{ index: number; label: string; occurrence: number; phase: string; name: string }>;
  }>;
  /** How long running every case took. */
  ms: number;
  /** The event loop's worst stall during the whole run. */
  worstStallMs: number;
}

/** One case and how it went, as matrix.test.ts records it on the case's test. */
export interface ReportedCase {
  id: string;
  title: string;
  target: string;
  step: string;
  fault: { key: string; label: string };
  variant: string;
  call: { key: string; index: number; name: string; phase: string };
  /** Undefined when the case did not run. */
  result?: CaseResult;
}

/** How one case went (matrix.ts extends it with what only the test run needs). */
export interface CaseResult {
  ok: boolean;
  /** Every rule the case broke, in words (empty when ok). */
  problems: string[];
  /** What the step did: "succeeded", "rejected: <message>", "resolved {} (…)", "did not settle …". */
  outcome: string;
  /** Where the carrier ended up. */
  carrier: string;
  ms: number;
  faulted: number;
  /** Runs of the case: more than one when a failing run looked environmental (see runMatrix). */
  attempts: number;
  /** Why each earlier run was discarded: an event-loop stall. */
  reruns: string[];
}
type StepPlan = ReportedMatrix["plans"][number];

const ROOT = join(__dirname, "..");
const OUTPUT = join(ROOT, "docs", "reliability.md");
const COMMAND = "npm run report:reliability";
const MATRIX_TEST = "test/faults/matrix.test.ts";

interface Row {
  key: string;
  cases: Array<{ c: ReportedCase; r: CaseResult }>;
}

const VARIANT_MEANING: Record<string, string> = {
  transient:
    "the call fails once. The step must succeed, end where a clean run ends, and return what a clean run returns (previousWebhooks included).",
  persistent:
    "that call and every later call to the same endpoint fail. The step must reject with a message naming the call (HTTP status, or `no answer from <carrier>`), without credentials, and leave the carrier and the takeover journal as before the step; or, only where the message says so (`run \\`pulumi up\\` again to converge`), in a state from which the same step, run again without faults, converges (verified by running it: same final carrier state, same result, previousWebhooks the originals).",
  outage:
    "from that call on, every request to the carrier fails, the undo of earlier writes included. Generated for the calls after a step's first write (before it, it is the persistent case). Judged like persistent.",
};

/** How a set target's cases are judged (the rules for sets in test/faults/matrix.ts). */
const SET_RULES = [
  "*transient*: the step succeeds and ends where a clean run ends (carrier, journal, outputs, every member's previous values included).",
  "*persistent* and *outage*, create and update: the step succeeds (ending where a clean run ends) or rejects with `<n> of <m> number(s) failed to apply: …`, naming every member that failed and the failed call, without credentials, carrying the set's `id` and `properties` (the partial state the host records). " +
    'Every member recorded there matches the carrier and keeps the seed\'s previous values; every member not recorded is as before the step, unless the message says "run `pulumi up` again to converge" or the member shares the object holding a field with a member the step wrote and recorded (a Telnyx application or profile: it then holds that value); numbers outside the set never change; the takeover journal gains entries only for members the create recorded or tried (a failed member keeps its entry, so that its next attempt records the originals) or that are partially applied. ' +
    "Then the engine's next step, with the faults gone (an update from `properties`), must end where a clean run ends.",
  "*persistent* and *outage*, read: rejects naming the failed members and call, and changes nothing at the carrier.",
  "*persistent* and *outage*, delete: succeeds or rejects naming the failed members and call; the members it does not name have the seed's values back; a second delete with the faults gone restores every member and deletes every copy the set made.",
];

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const clip = (s: string, n = 220) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "rejected; carrier as before the step" without the specifics, to count alike outcomes. */
function outcomeKind(r: CaseResult): string {
  const outcome = r.outcome.startsWith("rejected: ") ? "rejected" : r.outcome;
  const carrier = r.carrier.replace(/ \(.*?\)(?=;|$)/g, "");
  return `${outcome}; carrier ${carrier}`;
}

function summarizeOutcomes(rows: Array<{ r: CaseResult }>): string {
  const counts = new Map<string, number>();
  for (const { r } of rows) counts.set(outcomeKind(r), (counts.get(outcomeKind(r)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n}× ${k}`).join("<br>");
}

function callsSection(matrix: ReportedMatrix): string[] {
  const out = ["## The calls each step makes", ""];
  out.push(
    "From each step's clean dry run, in the order the sandbox received them (reads made in parallel may come in another order on another run). " +
      "*lookup*: finding the number, what read does; *write*: planning, confirming and writing. Each call is named as the provider's errors name it.",
    "",
  );
  for (const target of matrix.targets) {
    out.push(`### ${target.description}`, "");
    for (const plan of matrix.plans.filter((p) => p.target === target.key)) {
      out.push(`**${plan.step}** (${plural(plan.calls.length, "call")})`, "");
      for (const call of plan.calls)
        out.push(
          `${call.index}. \`${call.label}\`${call.occurrence > 1 ? ` (call ${call.occurrence} to it)` : ""} — ${call.phase}: \`${call.name}\``,
        );
      out.push("");
    }
  }
  return out;
}

/** The set targets' bullet: which they are, what they try, and the rules they are held to. */
function setLines(matrix: ReportedMatrix): string[] {
  const sets = matrix.targets.filter((t) => t.set);
  if (!sets.length) return [];
  return [
    `- **Sets** (\`PhoneNumberWebhooksSet\`: ${sets.map((t) => `\`${t.key}\``).join(", ")}): members run one at a time (\`concurrency: 1\`, so a fault hits the same member's call on every run), from the inputs \`check\` made before the step; ` +
      `faults tried: ${[...new Set(sets.flatMap((t) => t.faults ?? []))].join(", ")}; a step may take the bound below once per member. The rules above are replaced by these:`,
    ...SET_RULES.map((rule) => `  - ${rule}`),
  ];
}

interface VitestJsonReport {
  testResults: Array<{
    message: string;
    assertionResults: Array<{
      failureMessages: string[] | null;
      meta?: { reliabilityMatrix?: ReportedMatrix; reliabilityCase?: ReportedCase };
    }>;
  }>;
}

/** Runs matrix.test.ts under Vitest (its output on stderr) and reads what its tests recorded. */
async function runMatrixTests(): Promise<{ matrix: ReportedMatrix; cases: ReportedCase[] }> {
  const dir = mkdtempSync(join(tmpdir(), "phone-webhooks-reliability-"));
  const output = join(dir, "vitest.json");
  try {
    const vitest = join(dirname(require.resolve("vitest/package.json")), "vitest.mjs");
    const args = [vitest, "run", MATRIX_TEST, "--reporter=default", "--reporter=json"];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [...args, `--outputFile.json=${output}`], {
        cwd: ROOT,
        stdio: ["ignore", 2, 2], // Vitest's progress goes to stderr; stdout is the summary's
      });
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (!existsSync(output)) throw new Error(`vitest run ${MATRIX_TEST} wrote no report (exit ${code})`);
    const report = JSON.parse(readFileSync(output, "utf8")) as VitestJsonReport;
    const tests = report.testResults.flatMap((file) => file.assertionResults);
    const matrix = tests.find((t) => t.meta?.reliabilityMatrix)?.meta?.reliabilityMatrix;
    const cases = tests.flatMap((t) => (t.meta?.reliabilityCase ? [t.meta.reliabilityCase] : []));
    if (!matrix || !cases.length || cases.some((c) => !c.result)) {
      const why = [
        ...report.testResults.map((file) => file.message),
        ...tests.flatMap((t) => t.failureMessages ?? []),
      ].find(Boolean);
      throw new Error(`the fault matrix did not run (vitest exit ${code})${why ? `: ${why}` : ""}`);
    }
    return { matrix, cases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = new Date();
  process.stderr.write(`Running the fault matrix: vitest run ${MATRIX_TEST}...\n`);
  const { matrix, cases } = await runMatrixTests();
  const all = cases.map((c) => ({ c, r: c.result! }));
  const failed = all.filter(({ r }) => !r.ok);
  const rerun = all.filter(({ r }) => r.attempts > 1);
  const casesOf = (plan: StepPlan) => all.filter(({ c }) => c.target === plan.target && c.step === plan.step);
  const plansOf = (target: ReportedMatrix["targets"][number]) =>
    matrix.plans.filter((p) => p.target === target.key);

  // Categories: target × step × fault × variant, in the matrix's order.
  const rows: Row[] = [];
  for (const { c, r } of all) {
    const key = `${c.target}|${c.step}|${c.fault.key}|${c.variant}`;
    let row = rows.find((x) => x.key === key);
    if (!row) rows.push((row = { key, cases: [] }));
    row.cases.push({ c, r });
  }

  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty = (git(["status", "--porcelain", "--", "provider", "sandbox"]) ?? "") !== "";
  const seconds = (matrix.ms / 1000).toFixed(1);
  const md: string[] = [];
  md.push("# Reliability: the fault matrix (issue 5)", "");
  md.push(
    `Generated ${started.toISOString()} by \`${COMMAND}\` (\`tsx scripts/report-reliability.ts\`), ` +
      `Node ${process.version}${commit ? `, commit ${commit}${dirty ? " with uncommitted changes to provider/ or sandbox/" : ""}` : ""}. ` +
      "The same cases and rules run as tests: `npx vitest run test/faults`.",
    "",
  );
  md.push(
    `**${cases.length} cases: ${cases.length - failed.length} passed, ${failed.length} failed**, in ${seconds} s. ` +
      `${plural(rerun.length, "case")} ran more than once after an event-loop stall (see Re-runs).`,
    "",
  );

  md.push("## What is tried", "");
  md.push(
    "- **Targets**: " + matrix.targets.map((t) => t.description).join("; ") + ".",
    "- **Steps**: create (voiceUrl and smsUrl), read, update (voiceUrl changed), delete (restore the previous webhooks); a create or update of one number begins with its `check`, which asks the carrier what the step would refuse, as under the engine. " +
      "Each runs on a fresh provider (a new process, as far as caches go) from the state clean runs leave: the seed for create, " +
      "the state after a clean create (carrier and takeover journal) for the others.",
    "- **Calls**: each step's calls are found by a clean dry run (listed at the end). Every call is a case: the fault is aimed at " +
      "exactly that call (same method and path; the sandbox's `skip` lets earlier calls to the same endpoint through).",
    "- **Faults**: " + matrix.faults.join(", ") + ".",
    ...matrix.variants.map((v) => `- **${v}**: ${VARIANT_MEANING[v]}`),
    ...setLines(matrix),
    `- **Bounds**: faulted steps run with \`PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS=${matrix.faultEnv.PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS}\` and ` +
      `\`PHONE_WEBHOOKS_RETRY_TIMEOUT_MS=${matrix.faultEnv.PHONE_WEBHOOKS_RETRY_TIMEOUT_MS}\` (the bound a user sets on a response that never comes); ` +
      `every step must settle within ${matrix.stepBoundMs} ms. No case may release a number or send Twilio a request its OpenAPI description refuses.`,
    `- **Re-runs**: a failing run is run again (${matrix.maxAttempts} runs at most) when the event loop stalled ${matrix.stallLimitMs} ms or more ` +
      "during it (the sandbox shares the process: a stall makes a healthy request time out). Every re-run is listed " +
      "below; a case passes only if a run passes.",
    "",
  );

  md.push("## Results", "");
  md.push("| Target | Step | Tried | Passed |", "|---|---|---:|---:|");
  for (const target of matrix.targets)
    for (const plan of plansOf(target)) {
      const mine = casesOf(plan);
      md.push(`| ${target.key} | ${plan.step} | ${mine.length} | ${mine.filter(({ r }) => r.ok).length} |`);
    }
  md.push("", "By category:", "");
  md.push(
    "| Target | Step | Fault | Variant | Tried | Passed | What happened | Failures |",
    "|---|---|---|---|---:|---:|---|---|",
  );
  for (const row of rows) {
    const first = row.cases[0]!.c;
    const failures = row.cases
      .filter(({ r }) => !r.ok)
      .map(({ c, r }) => `\`${c.call.key}\`: ${clip(r.problems[0] ?? "")}`);
    md.push(
      `| ${first.target} | ${first.step} | ${first.fault.label} | ${first.variant} | ${row.cases.length} | ` +
        `${row.cases.filter(({ r }) => r.ok).length} | ${cell(summarizeOutcomes(row.cases))} | ${cell(failures.join("<br>") || "—")} |`,
    );
  }
  md.push("");

  md.push("## Failures", "");
  if (!failed.length) md.push("None.", "");
  for (const { c, r } of failed) {
    md.push(`### ${c.target} ${c.step}: ${c.title}`, "");
    md.push(`- Case: \`${c.id}\` (call ${c.call.index}, \`${c.call.name}\`, ${c.call.phase} phase)`);
    md.push(
      `- Step: ${r.outcome} (${r.ms} ms, ${plural(r.faulted, "request")} answered by the fault, ${plural(r.attempts, "run")})`,
    );
    md.push(`- Carrier afterwards: ${r.carrier}`);
    for (const p of r.problems) md.push(`- Problem: ${p}`);
    md.push("");
  }

  md.push("## Re-runs", "");
  if (!rerun.length) md.push("None.", "");
  for (const { c, r } of rerun)
    md.push(
      `- \`${c.id}\`: ${r.reruns.map((why, i) => `run ${i + 1}: ${clip(why, 300)}`).join("; ")}; run ${r.attempts}: ${r.ok ? "passed" : "failed"}`,
    );
  md.push("", `The event loop's worst stall during the whole run: ${matrix.worstStallMs} ms.`, "");

  md.push(...callsSection(matrix));

  mkdirSync(join(ROOT, "docs"), { recursive: true });
  writeFileSync(OUTPUT, md.join("\n"));

  // stdout: the summary.
  const lines = [
    `Fault matrix: ${cases.length} cases, ${cases.length - failed.length} passed, ${failed.length} failed (${seconds} s)`,
  ];
  for (const target of matrix.targets)
    for (const plan of plansOf(target)) {
      const mine = casesOf(plan);
      lines.push(
        `  ${target.key.padEnd(14)} ${plan.step.padEnd(7)} ${mine.filter(({ r }) => r.ok).length}/${mine.length}`,
      );
    }
  for (const { c, r } of failed) lines.push(`FAILED ${c.id}: ${r.outcome}\n    ${r.problems.join("\n    ")}`);
  for (const { c, r } of rerun)
    lines.push(`ran again ${c.id}: ${clip(r.reruns.join("; "), 200)}; finally ${r.ok ? "passed" : "failed"}`);
  lines.push(`Wrote ${relative(process.cwd(), OUTPUT)}`);
  process.stdout.write(lines.join("\n") + "\n");
  process.exitCode = failed.length ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
