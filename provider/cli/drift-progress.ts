/**
 * The drift command's progress on stderr: numbers the refresh has read, of the numbers in the
 * state (`drift: 1,200 of 10,000 numbers read, 410/s`), through the shared meter. The engine's
 * events say what was read: a `PhoneNumberWebhooks` is one number when its refresh ends, a set
 * counts what its own progress lines (relayed by the engine as ephemeral diagnostics) say, then
 * all its members when its refresh ends.
 */
import { z } from "zod";
import { parseProgressLine, ProgressMeter, type ProgressOptions } from "../progress";
import { PHONE_NUMBER_WEBHOOKS_SET_TYPE, PHONE_NUMBER_WEBHOOKS_TYPE } from "../type-token";

const stateSchema = z.object({
  deployment: z.object({
    resources: z
      .array(z.object({ type: z.string(), outputs: z.record(z.string(), z.unknown()).optional() }))
      .nullish(),
  }),
});

/** The numbers a refresh of this exported state reads: per-number resources and sets' members. */
export function numbersInState(exported: unknown): number | undefined {
  const parsed = stateSchema.safeParse(exported);
  if (!parsed.success) return undefined;
  let total = 0;
  for (const resource of parsed.data.deployment.resources ?? []) {
    if (resource.type === PHONE_NUMBER_WEBHOOKS_TYPE) total++;
    const members = resource.outputs?.memberCount;
    if (resource.type === PHONE_NUMBER_WEBHOOKS_SET_TYPE && typeof members === "number") total += members;
  }
  return total;
}

interface StepMetadata {
  op: string;
  type: string;
  old?: { outputs?: Record<string, unknown> } | null;
  new?: { outputs?: Record<string, unknown> } | null;
}

/** The parts of the engine's events progress reads. */
export interface ProgressEngineEvent {
  resOutputsEvent?: { metadata: StepMetadata };
  resOpFailedEvent?: { metadata: StepMetadata };
  diagnosticEvent?: { message: string; ephemeral?: boolean };
}

export class DriftProgress {
  private numbersRead = 0;
  private numbersFailed = 0;
  /** Each set's counts, by label. */
  private readonly sets = new Map<string, { finished: number; failures: number }>();
  private meter: ProgressMeter | undefined;
  private finished = false;

  constructor(private readonly options: Pick<ProgressOptions, "report" | "now" | "intervalMs">) {}

  /** The total is known (the state was read): lines from here on. Nothing once finished. */
  start(total: number): void {
    if (this.finished || this.meter) return;
    this.meter = new ProgressMeter({ ...this.options, total, verb: "read", label: "drift" }).start();
    this.advance();
  }

  onEvent(event: ProgressEngineEvent): void {
    const done = event.resOutputsEvent?.metadata;
    const failed = event.resOpFailedEvent?.metadata;
    if (done?.op === "refresh" && done.type === PHONE_NUMBER_WEBHOOKS_TYPE) this.numbersRead++;
    if (failed?.op === "refresh" && failed.type === PHONE_NUMBER_WEBHOOKS_TYPE) this.numbersFailed++;
    if (done?.op === "refresh" && done.type === PHONE_NUMBER_WEBHOOKS_SET_TYPE) {
      const outputs = done.new?.outputs ?? done.old?.outputs ?? {};
      const { label, memberCount } = outputs;
      if (typeof label === "string" && typeof memberCount === "number")
        this.sets.set(label, { finished: memberCount, failures: 0 });
    }
    const line = event.diagnosticEvent?.ephemeral
      ? parseProgressLine(event.diagnosticEvent.message)
      : undefined;
    if (line?.verb === "read") {
      const before = this.sets.get(line.label);
      // A set's end (its refresh's outputs) may come before its last line: counts only grow.
      if (!before || before.finished < line.finished) this.sets.set(line.label, line);
    }
    this.advance();
  }

  /** The preview ended: the last counts, if any line was shown. */
  finish(): void {
    this.finished = true;
    this.meter?.finish();
  }

  private advance(): void {
    let finished = this.numbersRead + this.numbersFailed;
    let failures = this.numbersFailed;
    for (const set of this.sets.values()) {
      finished += set.finished;
      failures += set.failures;
    }
    this.meter?.advanceTo(finished, failures);
  }
}
