/**
 * The drift command's progress from engine events, on an injected clock: the total from the
 * exported state, per-number refreshes, a set's relayed lines and its end, failures.
 */
import { describe, expect, it } from "vitest";
import { DriftProgress, numbersInState, type ProgressEngineEvent } from "../../provider/cli/drift-progress";
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE, PHONE_NUMBER_WEBHOOKS_TYPE } from "../../provider/type-token";

const refreshed = (type: string, outputs?: Record<string, unknown>): ProgressEngineEvent => ({
  resOutputsEvent: { metadata: { op: "refresh", type, new: { outputs } } },
});
const setLine = (message: string): ProgressEngineEvent => ({
  diagnosticEvent: { message: `${message}\n`, ephemeral: true },
});

function driftProgress() {
  let now = 0;
  const lines: string[] = [];
  const progress = new DriftProgress({
    report: (line) => lines.push(line),
    now: () => now,
    intervalMs: 5_000,
  });
  return {
    progress,
    lines,
    after(ms: number, ...events: ProgressEngineEvent[]) {
      now += ms;
      for (const event of events) progress.onEvent(event);
    },
  };
}

describe("numbersInState", () => {
  it("counts per-number resources and each set's members, nothing else", () => {
    const exported = {
      version: 3,
      deployment: {
        resources: [
          { type: "pulumi:pulumi:Stack" },
          { type: PHONE_NUMBER_WEBHOOKS_TYPE, outputs: {} },
          { type: PHONE_NUMBER_WEBHOOKS_TYPE, outputs: {} },
          { type: PHONE_NUMBER_WEBHOOKS_SET_TYPE, outputs: { memberCount: 1_000 } },
        ],
      },
    };
    expect(numbersInState(exported)).toBe(1_002);
    expect(numbersInState({ deployment: {} })).toBe(0);
    expect(numbersInState("not a state")).toBeUndefined();
  });
});

describe("DriftProgress", () => {
  it("adds per-number refreshes, failures and the sets' own lines into one line per interval", () => {
    const d = driftProgress();
    d.progress.start(10_002);
    d.after(
      1_000,
      refreshed(PHONE_NUMBER_WEBHOOKS_TYPE),
      { resOpFailedEvent: { metadata: { op: "refresh", type: PHONE_NUMBER_WEBHOOKS_TYPE } } },
      // Not a refresh, not a number, not a progress line, not a read: none counts.
      { resOutputsEvent: { metadata: { op: "same", type: PHONE_NUMBER_WEBHOOKS_TYPE } } },
      refreshed("pulumi:pulumi:Stack"),
      { diagnosticEvent: { message: "fleet: something else", ephemeral: true } },
      setLine("fleet: 9,000 of 10,000 numbers checked, 900/s"),
    );
    expect(d.lines).toEqual([]);
    d.after(4_000, setLine("fleet: 2,000 of 10,000 numbers read, 3 failed, 400/s"));
    expect(d.lines).toEqual(["drift: 2,002 of 10,002 numbers read, 4 failed, 400/s"]);
  });

  it("counts a set's members at its end, even when it never reported a line", () => {
    const d = driftProgress();
    d.progress.start(1_500);
    d.after(5_000, setLine("big: 400 of 1,000 numbers read, 80/s"));
    d.after(1_000, refreshed(PHONE_NUMBER_WEBHOOKS_SET_TYPE, { label: "small", memberCount: 500 }));
    d.after(1_000, refreshed(PHONE_NUMBER_WEBHOOKS_SET_TYPE, { label: "big", memberCount: 1_000 }));
    // The set's last line, relayed after its end, does not take the count back.
    d.after(1_000, setLine("big: 1,000 of 1,000 numbers read, 200/s"));
    d.progress.finish();
    expect(d.lines).toEqual([
      "drift: 400 of 1,500 numbers read, 80/s",
      "drift: 1,500 of 1,500 numbers read, 367/s",
    ]);
  });

  it("shows nothing without a total, or once the preview has ended", () => {
    const d = driftProgress();
    d.after(60_000, setLine("big: 400 of 1,000 numbers read, 80/s"));
    d.progress.finish();
    d.progress.start(1_000);
    d.after(60_000, setLine("big: 900 of 1,000 numbers read, 80/s"));
    expect(d.lines).toEqual([]);
  });
});
