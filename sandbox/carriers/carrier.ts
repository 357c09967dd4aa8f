/**
 * The one interface between the sandbox's generic parts (server, store, control API, CLI, entry
 * point) and a carrier it plays. A carrier is one folder under `sandbox/carriers/` that exports one
 * `SandboxCarrier`, and one line in the registry (`sandbox/carriers/index.ts`). The generic code
 * never names a carrier: everything it needs to know about one comes through this interface.
 *
 * What a carrier provides:
 * - `name`: the provider's carrier name. It is also the carrier's section in seeds, in `state()`,
 *   in the control API's info and under `/_sandbox/<name>/...`, `Sandbox.<name>BaseUrl`, the fault
 *   spec's `carrier`, the request log's `carrier`, and, when it has validation, the option
 *   `validate<Name>`, the variable `SANDBOX_VALIDATE_<NAME>` and the CLI flag `--validate-<name>`.
 * - Routing: `owns(pathname)` (whether a path is its API's), `paths` (where its API lives, for the
 *   answer to a path nobody serves), `baseUrl(url)` (what its SDK is given).
 * - State: `seedSchema` (its seed section, checked with zod), `normalize` (the section over its
 *   defaults, or the problems found), `dump` (the state in the section's shape, itself a valid seed
 *   section), `credentials` (what the control API's info shows).
 * - `providerSettings`: the values of the provider's settings (by the provider descriptor's setting
 *   key) that point the provider at this sandbox; `providerEnvironment` names the variables.
 * - `faultResponse`: an injected status fault in the carrier's error shape.
 * - `responseHeaders`: its request id (and any other per-response) headers.
 * - `validation` (optional): the loader of its OpenAPI validator, built once per process.
 * - `open(context)`: the carrier's API over the store's state: `accept` routes a request and
 *   parses its body once; `respond` then authenticates, validates, and answers in the carrier's
 *   shape. Also its control methods (added to `sandbox.control`), its control routes under
 *   `/_sandbox/<name>/`, deleting a number out of band, and what `reset()` clears.
 */
import type { z } from "zod";

/** A carrier's answer; the server adds the carrier's response headers and sends it as JSON. */
export interface CarrierResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A number given up through a carrier's API. */
export interface Release<Carrier extends string = string> {
  carrier: Carrier;
  /** The number's id at its carrier (a SID, an id). */
  sid: string;
  phoneNumber: string;
  /** "release": a DELETE; "transfer": an update that moves the number to another account. */
  kind: "release" | "transfer";
}

/** A carrier request as the server read it. */
export interface IncomingCarrierRequest {
  method: string;
  /** The URL path, without the query string. */
  pathname: string;
  /** Query parameters (decoded; the last one wins when a name repeats). */
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** The body's text ("" when there is none). */
  bodyText: string;
}

/** A request the carrier routed and whose body it parsed. */
export interface AcceptedRequest {
  /** Normalised endpoint for the log and counts, e.g. "PATCH /v2/phone_numbers/{id}". */
  endpoint: string;
  /** The body as parsed (undefined: it did not parse, the log keeps the text). */
  body?: unknown;
  /** Authenticate, validate and answer (not called when a fault answers instead). */
  respond(): CarrierResponse;
}

/** An HTTP control request under `/_sandbox/<name>/`. */
export interface CarrierControlRequest {
  method: string;
  /** The full path, for messages. */
  pathname: string;
  /** The decoded path segments after `/_sandbox/<name>/`. */
  segments: string[];
  body: string;
}

/** A control answer (errors are thrown as `ControlError`). */
export interface ControlResponse {
  status: number;
  body: unknown;
}

/** What a carrier's API is given by the store. */
export interface CarrierContext<State, Validator> {
  /** The carrier's current state (replaced by loadSeed and reset: read it at each use). */
  state(): State;
  /** Records a number given up through the API. */
  release(release: Omit<Release, "carrier">): void;
  /** The carrier's validator, when validation is on, and where its violations go. */
  validation?: { validator: Validator; record(violations: string[]): void };
}

/** A carrier's API over the store's state. */
export interface CarrierApi<Control extends object> {
  accept(request: IncomingCarrierRequest): AcceptedRequest;
  /** Methods added to `sandbox.control` (named after the carrier: `twilioNumber`, ...). */
  readonly control: Control;
  /** A control request under `/_sandbox/<name>/`; undefined when there is no such endpoint. */
  controlRoute(request: CarrierControlRequest): ControlResponse | undefined;
  /** The number disappears out of band (ControlError 404 when there is no such number). */
  deleteNumber(phoneNumber: string): void;
  /** Forget what the API keeps beside the state (on loadSeed and reset). */
  reset(): void;
}

/** A carrier's OpenAPI validation, opt-in. */
export interface CarrierValidation<Validator> {
  /** For --help: what `--validate-<name>` checks. */
  help: string;
  /** The validator, built once per process (rejects with what to install or where the document is). */
  load(): Promise<Validator>;
}

/** The types one carrier's parts share. */
export interface CarrierTypes {
  /** Its seed section as users write it. */
  seed: unknown;
  /** Its seed section as `seedSchema` parses it. */
  parsedSeed: unknown;
  /** Its live state. */
  state: unknown;
  /** Its section of `state()`. */
  dump: unknown;
  credentials: unknown;
  control: object;
  validator: unknown;
  /** The provider descriptor's setting keys it gives values for. */
  settingKey: string;
}

export interface SandboxCarrier<Name extends string = string, T extends CarrierTypes = CarrierTypes> {
  readonly name: Name;
  /** Where its API lives, e.g. "under /v2/". */
  readonly paths: string;
  owns(pathname: string): boolean;
  /** The base URL its SDK is given, from the sandbox's URL. */
  baseUrl(url: string): string;
  readonly seedSchema: z.ZodType<T["parsedSeed"]>;
  /** The section (undefined when the seed has none) over its defaults; problems are pushed, not thrown. */
  normalize(section: T["parsedSeed"] | undefined, problems: string[]): T["state"];
  dump(state: T["state"]): T["dump"];
  credentials(state: T["state"]): T["credentials"];
  /** From its section of `state()` and its base URL. */
  providerSettings(state: T["dump"], baseUrl: string): Record<T["settingKey"], string>;
  faultResponse(status: number, retryAfter: number | undefined): CarrierResponse;
  /** The headers to send, from the response's own and the sandbox's request counter. */
  responseHeaders(headers: Record<string, string>, requestNumber: number): Record<string, string>;
  readonly validation?: CarrierValidation<T["validator"]>;
  open(context: CarrierContext<T["state"], T["validator"]>): CarrierApi<T["control"]>;
}

/** Declares a carrier module (checks it against the interface, keeps its literal types). */
export function defineCarrier<Name extends string, T extends CarrierTypes>(
  carrier: SandboxCarrier<Name, T>,
): SandboxCarrier<Name, T> {
  return carrier;
}

/** A URL path segment, decoded; as is when it is not valid percent-encoding (the route then finds nothing). */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
