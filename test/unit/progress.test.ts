/**
 * The progress meter on an injected clock: when a line is due, what it says, the rate's window,
 * the final line, and the interval's override.
 */
import { describe, expect, it } from "vitest";
import {
  PROGRESS_INTERVAL_ENV,
  PROGRESS_INTERVAL_MS,
  ProgressMeter,
  progressIntervalMs,
} from "../../provider/progress";

function meter(total: number, intervalMs = 5_000) {
  let now = 1_000_000;
  const lines: string[] = [];
  const progress = new ProgressMeter({
    total,
    verb: "applied",
    label: "fleet",
    report: (line) => lines.push(line),
    now: () => now,
    intervalMs,
  });
  return {
    progress,
    lines,
    /** Advances the clock, then records `n` outcomes. */
    after(ms: number, n = 0, outcome: "succeeded" | "failed" = "succeeded") {
      now += ms;
      for (let i = 0; i < n; i++) progress.record(outcome);
    },
  };
}

describe("ProgressMeter", () => {
  it("stays quiet for work shorter than one interval, to the end", () => {
    const m = meter(100);
    m.after(4_999, 100);
    m.progress.finish();
    expect(m.lines).toEqual([]);
  });

  it("reports at most one line per interval, with done of total, failures and the recent rate", () => {
    const m = meter(100_000);
    m.after(4_000, 1_600);
    expect(m.lines).toEqual([]);
    // The 5th second: the next outcome makes the line due; the rate is over the 5 s since the start.
    m.after(1_000, 400);
    expect(m.lines).toEqual(["fleet: 1,601 of 100,000 numbers applied, 320/s"]);
    m.after(1_000, 10_000, "failed");
    expect(m.lines).toHaveLength(1);
    // The rate is over the last interval only: 10,400 outcomes in its 5 s.
    m.after(4_000, 1);
    expect(m.lines[1]).toBe("fleet: 12,001 of 100,000 numbers applied, 10,000 failed, 2,080/s");
  });

  it("shows a stall on a poll with no outcome, at 0/s", () => {
    const m = meter(100);
    m.after(4_000, 50);
    m.after(1_000);
    m.progress.poll();
    m.after(5_000);
    m.progress.poll();
    expect(m.lines).toEqual([
      "fleet: 50 of 100 numbers applied, 10/s",
      "fleet: 50 of 100 numbers applied, 0/s",
    ]);
  });

  it("ends work that reported with the final counts, and polls nothing once everything is done", () => {
    const m = meter(10);
    m.after(4_000, 5);
    m.after(1_000);
    m.progress.poll();
    m.after(1_000, 5, "failed");
    m.after(5_000);
    m.progress.poll();
    expect(m.lines).toEqual(["fleet: 5 of 10 numbers applied, 1/s"]);
    m.progress.finish();
    expect(m.lines).toEqual([
      "fleet: 5 of 10 numbers applied, 1/s",
      "fleet: 10 of 10 numbers applied, 5 failed, 1/s",
    ]);
  });
});

describe("progressIntervalMs", () => {
  it("is the constant unless the environment sets a whole number of at least 100 ms", () => {
    expect(progressIntervalMs({})).toBe(PROGRESS_INTERVAL_MS);
    expect(progressIntervalMs({ [PROGRESS_INTERVAL_ENV]: "250" })).toBe(250);
    for (const bad of ["", "fast", "50", "1.5", "-1000"])
      expect(progressIntervalMs({ [PROGRESS_INTERVAL_ENV]: bad })).toBe(PROGRESS_INTERVAL_MS);
  });
});
