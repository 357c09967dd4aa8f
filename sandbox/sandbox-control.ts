/**
 * The control surface: what tests and scripts call on `sandbox.control`, and what the HTTP control
 * API (control.ts) drives. Types only, so that control.ts depends on this and not on the store.
 * The carriers add their own methods (`CarrierControls`: `twilioNumber`, `editTelnyx`, ...).
 */
import type {
  CarrierControls,
  Carrier,
  Release,
  SandboxCredentials,
  SandboxSeed,
  SandboxState,
} from "./carriers";
import type { CarrierControlRequest, ControlResponse } from "./carriers/carrier";
import type { FaultSpec } from "./faults";
import type { RequestLogEntry } from "./request-log";

/** What the sandbox itself offers, whatever the carriers. */
export interface SandboxCoreControl {
  /** Replace the whole state with a seed (it becomes what reset() goes back to); clears releases. */
  loadSeed(seed: SandboxSeed): void;
  /** Back to the last loaded seed; clears releases, the request log, counts, faults and latency. */
  reset(): void;
  /** The whole state, a deep copy, in the seed's shape (a valid seed itself). */
  state(): SandboxState;
  /** The number disappears out of band (not recorded as a release). */
  deleteNumber(carrier: Carrier, phoneNumber: string): void;
  /** Numbers given up through the API: DELETEs and transfers to another account. */
  releases(): Release[];
  /** Carrier requests received, oldest first (a copy). */
  requests(): RequestLogEntry[];
  /** Calls per normalised endpoint (control endpoints excluded). */
  counts(): Record<string, number>;
  /** Clear the request log and counts (not the validation errors). */
  clearLog(): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Delay every carrier request by `ms` (concurrently, not serialised). 0 turns it off. */
  setLatency(ms: number): void;
  /** OpenAPI violations seen so far (requests and responses), for the sandbox's lifetime. */
  validationErrors(): string[];
  /** Forget the validation errors seen so far. */
  clearValidationErrors(): void;
}

export type SandboxControl = SandboxCoreControl & CarrierControls;

export type { SandboxCredentials };

/** What the HTTP control API drives: the control surface, and the credentials for its info endpoint. */
export interface ControlTarget extends SandboxCoreControl {
  credentials(): SandboxCredentials;
  /** A control request under `/_sandbox/<carrier>/`; undefined when there is no such endpoint. */
  carrierControl(carrier: Carrier, request: CarrierControlRequest): ControlResponse | undefined;
}
