/**
 * Carrier sandbox: one loopback HTTP server that serves Twilio's IncomingPhoneNumbers and Account
 * API (main account and subaccounts), Twilio's Messaging Services (Messaging v1) and the Telnyx v2
 * endpoints behind phone-number webhooks, with control endpoints for seeds, console drift, request
 * logs and fault injection.
 *
 *   const sandbox = await startSandbox({ port: 0, seed: "sandbox/seeds/demo.json" });
 *   twilio(sid, token, { httpClient: new BaseUrlRequestClient(sandbox.twilioBaseUrl) });
 *   new Telnyx({ apiKey, baseURL: sandbox.telnyxBaseUrl });
 *   ...
 *   await sandbox.close();
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadSeedFile } from "./state/normalize";
import type { SandboxSeed } from "./state/types";
import type { SandboxControl } from "./sandbox-control";
import { SandboxServer } from "./server";
import { twilioValidator } from "./openapi";

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A seed object, or the path of a seed JSON file (relative to the current directory). Default: empty. */
  seed?: SandboxSeed | string;
  /**
   * Validate every Twilio request and response against Twilio's OpenAPI description; violations
   * are recorded (`control.validationErrors()`) and violating requests are answered 400.
   * Default: the environment variable SANDBOX_VALIDATE_TWILIO ("1" or "true").
   */
  validateTwilio?: boolean;
  /** Print one line per carrier request to stderr. */
  log?: boolean;
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Pass to `new BaseUrlRequestClient(twilioBaseUrl)` (same as url). */
  twilioBaseUrl: string;
  /** Pass as the Telnyx SDK's `baseURL` (url + "/v2"). */
  telnyxBaseUrl: string;
  control: SandboxControl;
  /** Stop the server; open connections (hung requests included) are destroyed. */
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const seed = typeof opts.seed === "string" ? loadSeedFile(opts.seed) : opts.seed;
  const envValidate = /^(1|true)$/i.test(process.env["SANDBOX_VALIDATE_TWILIO"] ?? "");
  const validator = (opts.validateTwilio ?? envValidate) ? await twilioValidator() : undefined;
  const server = new SandboxServer({ seed, validator, log: opts.log });
  const address = await server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  server.url = url;
  return {
    url,
    twilioBaseUrl: url,
    telnyxBaseUrl: `${url}/v2`,
    control: server.store,
    close: () => server.close(),
  };
}

/** The environment variables that point the phone-webhooks provider at a sandbox. */
export type SandboxProviderEnvironment = Record<
  "TWILIO_ACCOUNT_SID" | "TWILIO_AUTH_TOKEN" | "TWILIO_API_BASE_URL" | "TELNYX_API_KEY" | "TELNYX_BASE_URL",
  string
>;

/**
 * The provider's environment for this sandbox: its base URLs, and the credentials it accepts now
 * (the seed's, or the defaults where the seed gives none). Callers add their own settings.
 */
export function providerEnvironment(
  sandbox: Pick<Sandbox, "control" | "twilioBaseUrl" | "telnyxBaseUrl">,
): SandboxProviderEnvironment {
  const { twilio, telnyx } = sandbox.control.state();
  return {
    TWILIO_ACCOUNT_SID: twilio.account_sid,
    TWILIO_AUTH_TOKEN: twilio.auth_token,
    TWILIO_API_BASE_URL: sandbox.twilioBaseUrl,
    TELNYX_API_KEY: telnyx.api_key,
    TELNYX_BASE_URL: sandbox.telnyxBaseUrl,
  };
}

/** The demo seed shipped with the package (sandbox/seeds/demo.json). */
export function demoSeedPath(): string {
  const candidates = [
    join(__dirname, "seeds", "demo.json"),
    join(__dirname, "..", "..", "sandbox", "seeds", "demo.json"),
  ];
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

export type { SandboxControl, SandboxCredentials } from "./sandbox-control";
export type { RequestLogEntry } from "./request-log";
export type { FaultSpec } from "./faults";
export type { Carrier, Release } from "./carrier";
export { ControlError, SeedError } from "./errors";
export type {
  SandboxSeed,
  SandboxState,
  SandboxTwilioAccount,
  TwilioAccountSeed,
  TwilioAccountResource,
  TwilioIncomingPhoneNumber,
  TwilioMessagingService,
  TwilioMessagingServiceState,
  TwilioMessagingPhoneNumber,
  TwilioNumberSeed,
  TelnyxPhoneNumber,
  TelnyxNumberSeed,
  TelnyxKind,
  TwilioApiKey,
} from "./state/types";
export { loadSeedFile, normalizeSeed } from "./state/normalize";
export {
  DEFAULT_TELNYX_API_KEY,
  DEFAULT_TWILIO_ACCOUNT_SID,
  DEFAULT_TWILIO_AUTH_TOKEN,
} from "./state/defaults";
/** The Twilio SDK has no base-URL option: pass `new BaseUrlRequestClient(sandbox.twilioBaseUrl)` as `httpClient`. */
export { BaseUrlRequestClient } from "../provider/carriers/twilio-request-client";
