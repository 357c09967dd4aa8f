/**
 * A set's progress under the real engine: an `up` and a `destroy` long enough for several lines,
 * read from the engine's event log and the CLI's output. The interval is shortened through the
 * documented environment variable; the sandbox's latency makes the work last.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROGRESS_INTERVAL_ENV } from "../../provider/progress";
import { demoSeedWith } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "progress";
const SET = "progress-fleet";
const MEMBERS = Array.from({ length: 160 }, (_, i) => `+1415556${String(1000 + i)}`);
const VOICE = "https://progress.example.com/voice";
/** Per carrier request: 160 members, 4 at a time, a few requests each: about 8 s of work. */
const LATENCY_MS = 150;
const INTERVAL_MS = 1_000;
/** A refresh reads the members by listing pages: slower pages, a shorter interval, to see it move. */
const DRIFT_LATENCY_MS = 600;
const DRIFT_INTERVAL_MS = 500;

interface ProgressLine {
  done: number;
  total: number;
  ephemeral: boolean;
  severity: string;
}

/** The set's progress lines in an event log, in order. */
function progressLines(eventLog: string, verb: string): ProgressLine[] {
  const pattern = new RegExp(
    `^${SET}: ([\\d,]+) of ([\\d,]+) numbers ${verb}(?:, [\\d,]+ failed)?, [\\d,]+/s$`,
  );
  const lines: ProgressLine[] = [];
  for (const text of eventLog.split("\n").filter(Boolean)) {
    const event = JSON.parse(text) as {
      diagnosticEvent?: { message: string; ephemeral?: boolean; severity: string };
    };
    const match = event.diagnosticEvent && pattern.exec(event.diagnosticEvent.message.trim());
    if (!match) continue;
    const count = (s: string) => Number(s.replaceAll(",", ""));
    lines.push({
      done: count(match[1]!),
      total: count(match[2]!),
      ephemeral: event.diagnosticEvent!.ephemeral === true,
      severity: event.diagnosticEvent!.severity,
    });
  }
  return lines;
}

describe.skipIf(!binDir)("a set's progress under the real engine", () => {
  let f: E2EFixture;

  beforeAll(async () => {
    f = await E2EFixture.start(demoSeedWith({ twilio: MEMBERS }));
    f.project.env[PROGRESS_INTERVAL_ENV] = String(INTERVAL_MS);
    // The CLI (v3.248.0) accepts its hidden `--event-log` flag only with this set.
    f.project.env.PULUMI_DEBUG_COMMANDS = "1";
    await f.initStack(STACK, []);
    await f.declareSets(STACK, [
      { name: SET, provider: "twilio", voiceUrl: VOICE, concurrency: 4, numbers: MEMBERS },
    ]);
    f.sandbox.control.setLatency(LATENCY_MS);
  });
  afterAll(async () => {
    await f?.close();
  });

  /** Runs `pulumi <args>` with an event log; its wall time, output and the log. */
  async function run(args: string[]) {
    const eventLog = join(f.project.dir, `events-${args[0]}.jsonl`);
    const started = Date.now();
    const result = await f.project.run([...args, "--stack", STACK, "--event-log", eventLog]);
    const wallMs = Date.now() - started;
    expectSuccess(result, `pulumi ${args.join(" ")}`);
    return { ...result, wallMs, eventLog: readFileSync(eventLog, "utf8") };
  }

  /** Lines whose counts grow, of the whole set, no more than one per interval. */
  function expectProgress(lines: ProgressLine[], wallMs: number) {
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines)
      expect(line).toMatchObject({ total: MEMBERS.length, ephemeral: true, severity: "info" });
    const counts = lines.map((l) => l.done);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
    // The last line is the final count, so the status the CLI keeps showing is not stale.
    expect(counts.at(-1)).toBe(MEMBERS.length);
    // One line per interval at most, and the final one.
    expect(lines.length).toBeLessThanOrEqual(Math.floor(wallMs / INTERVAL_MS) + 1);
  }

  it("up reports members applied of the total, as ephemeral status lines the CLI prints", async () => {
    const up = await run(["up", "--yes"]);
    expectProgress(progressLines(up.eventLog, "applied"), up.wallMs);
    expect(up.stdout).toMatch(new RegExp(`${SET}: [\\d,]+ of 160 numbers applied, [\\d,]+/s`));
    // Ephemeral: shown while it runs, not repeated among the diagnostics at the end.
    expect(up.stdout).not.toMatch(/Diagnostics:[\s\S]*numbers applied/);
    for (const phone of MEMBERS.slice(0, 3))
      expect(f.sandbox.control.twilioNumber(phone)!.voice_url).toBe(VOICE);
  });

  it("the drift command shows the refresh's progress on stderr, its report on stdout as before", async () => {
    const bin = join(
      f.project.dir,
      "node_modules",
      "pulumi-phone-webhooks",
      "dist",
      "provider",
      "cli",
      "index.js",
    );
    const env = { ...f.project.env, [PROGRESS_INTERVAL_ENV]: String(DRIFT_INTERVAL_MS) };
    f.sandbox.control.setLatency(DRIFT_LATENCY_MS);
    const started = Date.now();
    const drift = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        [bin, "drift", "--stack", STACK, "--cwd", f.project.dir],
        { env, timeout: 300_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") return reject(error);
          resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
        },
      ),
    );
    const wallMs = Date.now() - started;
    f.sandbox.control.setLatency(LATENCY_MS);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.stdout).toBe(
      `No drift in stack ${STACK}: 0 phone number resource(s) and 1 set(s) of 160 member(s) match the carriers.\n`,
    );
    const lines = [...drift.stderr.matchAll(/^drift: ([\d,]+) of ([\d,]+) numbers read, [\d,]+\/s$/gm)].map(
      (m) => ({
        done: Number(m[1]!.replaceAll(",", "")),
        total: Number(m[2]!.replaceAll(",", "")),
      }),
    );
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.total).toBe(MEMBERS.length);
    // Counts never go back; they may stand still while the carrier's listing pages are read.
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.done).toBeGreaterThanOrEqual(lines[i - 1]!.done);
    expect(lines.at(-1)!.done).toBe(MEMBERS.length);
    expect(lines.length).toBeLessThanOrEqual(Math.floor(wallMs / DRIFT_INTERVAL_MS) + 1);
  });

  it("destroy reports members restored", async () => {
    const destroy = await run(["destroy", "--yes"]);
    expectProgress(progressLines(destroy.eventLog, "restored"), destroy.wallMs);
  });
});
