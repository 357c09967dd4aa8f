/**
 * Progress of long work, as one short line at most every `intervalMs`:
 * `fleet: 12,000 of 100,000 numbers applied, 3 failed, 410/s`. Shared by the set's lifecycle (to
 * the engine) and the `drift` and `adopt` commands (to stderr).
 *
 * "Done" counts what finished either way; "failed" is how many of those failed. The rate is over
 * the time since the previous line (the first: since the start), so it shows a stall or a
 * slowdown instead of averaging it away. Nothing is reported before one interval has passed: work
 * shorter than that stays quiet. Work that reported ends with one more line, of the final counts.
 */
import { z } from "zod";

/**
 * Five seconds: often enough that a run of minutes visibly moves, rare enough that a 100,000-member
 * `up` (about 4 minutes at 400/s) writes about 50 lines to a CI log, not thousands.
 */
export const PROGRESS_INTERVAL_MS = 5_000;

/**
 * Overrides the interval (milliseconds, at least 100), for tests that cannot wait a whole interval
 * per line; read by the provider process and by the commands. Anything else is ignored.
 */
export const PROGRESS_INTERVAL_ENV = "PHONE_WEBHOOKS_PROGRESS_INTERVAL_MS";

const intervalSchema = z.coerce.number().int().min(100);

/** The interval: `PROGRESS_INTERVAL_MS`, unless the environment sets a valid one. */
export function progressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PROGRESS_INTERVAL_ENV];
  if (raw === undefined || raw.trim() === "") return PROGRESS_INTERVAL_MS;
  const parsed = intervalSchema.safeParse(raw);
  return parsed.success ? parsed.data : PROGRESS_INTERVAL_MS;
}

export interface ProgressOptions {
  /** How many items the work has. */
  total: number;
  /** What finishing one means, in the line: "applied", "read", "restored". */
  verb: string;
  /** Before the counts, to say whose progress it is: a set's label, a carrier's name. */
  label: string;
  /** Where a line goes. */
  report: (line: string) => void;
  /** What an item is (default "numbers"). */
  unit?: string;
  /** Milliseconds now (default `Date.now`): tests inject a clock. */
  now?: () => number;
  /** Default `progressIntervalMs()`. */
  intervalMs?: number;
}

export class ProgressMeter {
  private finished = 0;
  private failures = 0;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private lastLineAt: number;
  private finishedAtLastLine = 0;
  private linesReported = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? progressIntervalMs();
    this.lastLineAt = this.now();
  }

  /** One item finished; `failed` when it did not succeed. Reports if a line is due. */
  record(outcome: "succeeded" | "failed"): void {
    this.finished++;
    if (outcome === "failed") this.failures++;
    this.poll();
  }

  /**
   * The counts so far, when the work counts them itself (the drift command adds up the engine's
   * events); counts never go back. Reports if a line is due.
   */
  advanceTo(finished: number, failures: number): void {
    this.finished = Math.max(this.finished, finished);
    this.failures = Math.max(this.failures, failures);
    this.poll();
  }

  /** Reports a line if one interval has passed since the last (or the start). */
  poll(): void {
    if (this.finished >= this.options.total) return;
    if (this.now() - this.lastLineAt >= this.intervalMs) this.report();
  }

  /**
   * The work ended: stops the timer and, if any line was reported, reports the last counts, so
   * that a status the CLI keeps showing is not left at a stale count. Quiet work stays quiet.
   */
  finish(): void {
    this.stop();
    if (this.linesReported > 0) this.report();
  }

  private report(): void {
    const now = this.now();
    const seconds = Math.max(now - this.lastLineAt, 1) / 1000;
    const rate = Math.round((this.finished - this.finishedAtLastLine) / seconds);
    this.lastLineAt = now;
    this.finishedAtLastLine = this.finished;
    this.linesReported++;
    this.options.report(this.line(rate));
  }

  /**
   * Also polls on a timer, so that a stall (every worker waiting on retries) still shows, at 0/s.
   * The timer does not keep the process alive. `stop()` ends it.
   */
  start(): this {
    this.timer ??= setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private line(rate: number): string {
    return progressLine({ ...this.options, finished: this.finished, failures: this.failures, rate });
  }
}

export interface ProgressCounts {
  label: string;
  finished: number;
  total: number;
  failures: number;
  verb: string;
  unit?: string;
  rate: number;
}

/** `fleet: 12,000 of 100,000 numbers applied, 3 failed, 410/s`; no failures: no "failed". */
export function progressLine(counts: ProgressCounts): string {
  const { label, finished, total, failures, verb, unit = "numbers", rate } = counts;
  const count = (n: number) => n.toLocaleString("en-US");
  const failed = failures ? `, ${count(failures)} failed` : "";
  return `${label}: ${count(finished)} of ${count(total)} ${unit} ${verb}${failed}, ${count(rate)}/s`;
}

const LINE = /^(.+): ([\d,]+) of ([\d,]+) (\S+) (\S+)(?:, ([\d,]+) failed)?, ([\d,]+)\/s$/;

/** A line `progressLine` wrote, read back (the drift command reads the sets' lines), or undefined. */
export function parseProgressLine(line: string): ProgressCounts | undefined {
  const match = LINE.exec(line.trim());
  if (!match) return undefined;
  const count = (s: string | undefined) => Number((s ?? "0").replaceAll(",", ""));
  return {
    label: match[1]!,
    finished: count(match[2]),
    total: count(match[3]),
    unit: match[4]!,
    verb: match[5]!,
    failures: count(match[6]),
    rate: count(match[7]),
  };
}
