/**
 * Everything the sandbox holds, and every operation on it that is not HTTP: the carriers' state and
 * the seed it came from, the carriers' APIs over it, releases, the request log, queued faults,
 * latency and validation errors. The server (server.ts) runs requests through it; `sandbox.control`
 * is this object, with the carriers' own control methods added.
 */
import {
  SANDBOX_CARRIERS,
  type Carrier,
  type NormalizedState,
  type Release,
  type SandboxCredentials,
  type SandboxSeed,
  type SandboxState,
} from "./carriers";
import type { CarrierApi, CarrierControlRequest, ControlResponse, SandboxCarrier } from "./carriers/carrier";
import { ControlError } from "./errors";
import { FaultQueue, type FaultSpec } from "./faults";
import { RequestLog, type RequestLogEntry } from "./request-log";
import type { ControlTarget, SandboxControl } from "./sandbox-control";
import { dumpState, normalizeSeed } from "./state/seed";

/** Each carrier's validator, when its validation is on. */
export type CarrierValidators = Partial<Record<Carrier, unknown>>;

export class SandboxStore implements ControlTarget {
  private seed: SandboxSeed;
  private current: NormalizedState;
  /** The carriers' APIs, over this store's state; their DELETEs and transfers land in releases(). */
  readonly apis: ReadonlyMap<Carrier, CarrierApi<object>>;
  readonly log = new RequestLog();
  readonly faults = new FaultQueue();
  private releaseList: Release[] = [];
  private latencyMs = 0;
  private violations: string[] = [];

  /** Throws SeedError for an invalid seed. */
  constructor(seed: SandboxSeed = {}, validators: CarrierValidators = {}) {
    this.seed = structuredClone(seed);
    this.current = normalizeSeed(this.seed);
    const apis = new Map<Carrier, CarrierApi<object>>();
    for (const carrier of SANDBOX_CARRIERS as readonly SandboxCarrier[]) {
      const name = carrier.name as Carrier;
      const validator = validators[name];
      const api = carrier.open({
        state: () => this.current[name],
        release: (r) => this.releaseList.push({ ...r, carrier: name }),
        validation:
          validator === undefined
            ? undefined
            : { validator, record: (violations) => this.violations.push(...violations) },
      });
      apis.set(name, api);
      // The carrier's control methods become methods of `sandbox.control` (this object).
      Object.assign(this, api.control);
    }
    this.apis = apis;
  }

  /** This object as `sandbox.control`: the core methods and the carriers' own. */
  get control(): SandboxControl {
    return this as unknown as SandboxControl;
  }

  /** The delay, in ms, before each carrier request is answered. */
  get latency(): number {
    return this.latencyMs;
  }

  private api(carrier: Carrier): CarrierApi<object> {
    const api = this.apis.get(carrier);
    if (!api) throw new ControlError(`unknown carrier ${String(carrier)}`);
    return api;
  }

  credentials(): SandboxCredentials {
    return Object.fromEntries(
      (SANDBOX_CARRIERS as readonly SandboxCarrier[]).map((c) => [
        c.name,
        c.credentials(this.current[c.name as Carrier]),
      ]),
    ) as SandboxCredentials;
  }

  carrierControl(carrier: Carrier, request: CarrierControlRequest): ControlResponse | undefined {
    return this.apis.get(carrier)?.controlRoute(request);
  }

  loadSeed(seed: SandboxSeed): void {
    const next = normalizeSeed(seed); // throws SeedError before anything changes
    this.seed = structuredClone(seed);
    this.current = next;
    for (const api of this.apis.values()) api.reset();
    this.releaseList = [];
  }

  reset(): void {
    this.current = normalizeSeed(this.seed);
    for (const api of this.apis.values()) api.reset();
    this.releaseList = [];
    this.clearLog();
    this.clearFaults();
    this.latencyMs = 0;
  }

  state(): SandboxState {
    return dumpState(this.current);
  }

  deleteNumber(carrier: Carrier, phoneNumber: string): void {
    this.api(carrier).deleteNumber(phoneNumber);
  }

  releases(): Release[] {
    return structuredClone(this.releaseList);
  }

  requests(): RequestLogEntry[] {
    return this.log.entries();
  }

  counts(): Record<string, number> {
    return this.log.counts();
  }

  clearLog(): void {
    this.log.clear();
  }

  injectFault(fault: FaultSpec): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new ControlError("latency must be a non-negative number of ms");
    this.latencyMs = ms;
  }

  validationErrors(): string[] {
    return [...this.violations];
  }

  clearValidationErrors(): void {
    this.violations = [];
  }
}
