/**
 * Carrier sandbox: one loopback HTTP server that plays every carrier of the registry
 * (carriers/index.ts) for the phone-number webhook APIs, with control endpoints for seeds, console
 * drift, request logs and fault injection. Today: Twilio's IncomingPhoneNumbers and Account API
 * (main account and subaccounts) and Messaging Services, and the Telnyx v2 endpoints behind
 * phone-number webhooks.
 *
 *   const sandbox = await startSandbox({ port: 0, seed: "sandbox/seeds/demo.json" });
 *   twilio(sid, token, { httpClient: new BaseUrlRequestClient(sandbox.twilioBaseUrl) });
 *   new Telnyx({ apiKey, baseURL: sandbox.telnyxBaseUrl });
 *   ...
 *   await sandbox.close();
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CARRIERS } from "../provider/carriers";
import {
  SANDBOX_CARRIERS,
  type CarrierBaseUrls,
  type CarrierValidationOptions,
  type SandboxProviderEnvironment,
  type SandboxSeed,
} from "./carriers";
import type { SandboxCarrier } from "./carriers/carrier";
import type { SandboxControl } from "./sandbox-control";
import { SandboxServer } from "./server";
import { loadSeedFile } from "./state/seed";
import type { CarrierValidators } from "./store";

export type SandboxOptions = {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A seed object, or the path of a seed JSON file (relative to the current directory). Default: empty. */
  seed?: SandboxSeed | string;
  /** Print one line per carrier request to stderr. */
  log?: boolean;
} & CarrierValidationOptions;
// `validate<Carrier>` (e.g. validateTwilio), for each carrier with OpenAPI validation: check every
// request and response of that carrier against its OpenAPI description; violations are recorded
// (`control.validationErrors()`). Default: the environment variable SANDBOX_VALIDATE_<CARRIER>
// ("1" or "true").

export type Sandbox = {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  control: SandboxControl;
  /** Stop the server; open connections (hung requests included) are destroyed. */
  close(): Promise<void>;
} & CarrierBaseUrls; // `<carrier>BaseUrl`: what the carrier's SDK is given (e.g. telnyxBaseUrl: url + "/v2")

/** The carriers, as the generic code sees them. */
const carriers = SANDBOX_CARRIERS as readonly SandboxCarrier[];

/** The option that turns a carrier's validation on: `validate` + its name, capitalised. */
export function validationOption(carrier: string): string {
  return `validate${carrier.charAt(0).toUpperCase()}${carrier.slice(1)}`;
}

/** Loads the validators of the carriers whose validation the options (or the environment) turn on. */
async function loadValidators(opts: SandboxOptions): Promise<CarrierValidators> {
  const validators: Record<string, unknown> = {};
  for (const carrier of carriers) {
    if (!carrier.validation) continue;
    const given = (opts as Record<string, unknown>)[validationOption(carrier.name)];
    const fromEnv = /^(1|true)$/i.test(process.env[`SANDBOX_VALIDATE_${carrier.name.toUpperCase()}`] ?? "");
    if (typeof given === "boolean" ? given : fromEnv)
      validators[carrier.name] = await carrier.validation.load();
  }
  return validators as CarrierValidators;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const seed = typeof opts.seed === "string" ? loadSeedFile(opts.seed) : opts.seed;
  const validators = await loadValidators(opts);
  const server = new SandboxServer({ seed, validators, log: opts.log });
  const address = await server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  server.url = url;
  const baseUrls = Object.fromEntries(carriers.map((c) => [`${c.name}BaseUrl`, c.baseUrl(url)]));
  return {
    url,
    ...(baseUrls as CarrierBaseUrls),
    control: server.store.control,
    close: () => server.close(),
  };
}

/**
 * The provider's environment for this sandbox: its base URLs, and the credentials it accepts now
 * (the seed's, or the defaults where the seed gives none). Callers add their own settings. The
 * variables' names are the provider's (each carrier descriptor's settings); the values, the
 * sandbox carrier's.
 */
export function providerEnvironment(
  sandbox: Pick<Sandbox, "control"> & CarrierBaseUrls,
): SandboxProviderEnvironment {
  const state = sandbox.control.state() as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const carrier of carriers) {
    const descriptor = CARRIERS.find((d) => d.name === carrier.name);
    if (!descriptor) throw new Error(`the provider has no carrier ${carrier.name}`);
    const baseUrl = (sandbox as unknown as Record<string, string>)[`${carrier.name}BaseUrl`] ?? "";
    const values = carrier.providerSettings(state[carrier.name], baseUrl);
    for (const [key, value] of Object.entries(values)) {
      const setting = (descriptor.settings as Record<string, { env: string } | undefined>)[key];
      if (!setting) throw new Error(`the provider's ${carrier.name} carrier has no setting ${key}`);
      env[setting.env] = value as string;
    }
  }
  return env as SandboxProviderEnvironment;
}

/** The demo seed shipped with the package (sandbox/seeds/demo.json). */
export function demoSeedPath(): string {
  const candidates = [
    join(__dirname, "seeds", "demo.json"),
    join(__dirname, "..", "..", "sandbox", "seeds", "demo.json"),
  ];
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

export type { SandboxControl, SandboxCoreControl } from "./sandbox-control";
export type { RequestLogEntry } from "./request-log";
export type { FaultSpec } from "./faults";
export type {
  Carrier,
  Release,
  SandboxCredentials,
  SandboxProviderEnvironment,
  SandboxSeed,
  SandboxState,
} from "./carriers";
export { ControlError, SeedError } from "./errors";
export { loadSeedFile, normalizeSeed } from "./state/seed";
// Carrier-specific names users import (re-exports from the carriers' own modules).
export type {
  SandboxTwilioAccount,
  TwilioAccountSeed,
  TwilioAccountResource,
  TwilioIncomingPhoneNumber,
  TwilioMessagingService,
  TwilioMessagingServiceState,
  TwilioMessagingPhoneNumber,
  TwilioNumberSeed,
  TwilioApiKey,
} from "./carriers/twilio/state";
export type { TelnyxPhoneNumber, TelnyxNumberSeed, TelnyxKind } from "./carriers/telnyx/state";
export { DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN } from "./carriers/twilio/defaults";
export { DEFAULT_TELNYX_API_KEY } from "./carriers/telnyx/defaults";
export type {
  SignalWirePhoneNumber,
  SignalWireNumberSeed,
  StoredSignalWireNumber,
} from "./carriers/signalwire/state";
export {
  DEFAULT_PROJECT_ID as DEFAULT_SIGNALWIRE_PROJECT_ID,
  DEFAULT_API_TOKEN as DEFAULT_SIGNALWIRE_API_TOKEN,
} from "./carriers/signalwire/state";
/** The Twilio SDK has no base-URL option: pass `new BaseUrlRequestClient(sandbox.twilioBaseUrl)` as `httpClient`. */
export { BaseUrlRequestClient } from "../provider/carriers/twilio-request-client";
