/** Shared helpers for the sandbox fidelity tests: the real SDKs pointed at a sandbox. */
import { join } from "node:path";
import twilio from "twilio";
import { afterEach, beforeEach, expect } from "vitest";
import Telnyx from "telnyx";
import { BaseUrlRequestClient } from "../../provider/carriers/twilio-request-client";
import { startSandbox, type Sandbox, type SandboxOptions, type SandboxSeed } from "../../sandbox";

import { DEMO_SEED_PATH, demoSeed } from "../support/sandbox";
import { telnyxOpenApiDocument } from "../../sandbox/carriers/telnyx/openapi";

export { demoSeed };
export const DEMO_SEED_FILE = DEMO_SEED_PATH;

export const demo = demoSeed();
export const AC = demo.twilio!.account_sid!;
export const AUTH_TOKEN = demo.twilio!.auth_token!;
export const API_KEY = demo.twilio!.api_keys![0]!;
export const TELNYX_KEY = demo.telnyx!.api_key!;

/**
 * Whether Telnyx requests and responses are checked against Telnyx's OpenAPI document: when the
 * document is there (../shared/reference/, or SANDBOX_TELNYX_OPENAPI); the global setup says when not.
 */
export const VALIDATE_TELNYX = telnyxOpenApiDocument() !== undefined;

/**
 * The OpenAPI violations a test's deliberately bad requests caused: each expected one is there, and
 * nothing else; then they are forgotten, so that the test's other requests must be clean. Without
 * Telnyx's document there is nothing to check.
 */
export function expectTelnyxViolations(sb: Sandbox, ...expected: RegExp[]): void {
  if (!VALIDATE_TELNYX) return;
  const found = sb.control.validationErrors();
  for (const re of expected)
    expect(
      found.some((v) => re.test(v)),
      `a violation matching ${re}`,
    ).toBe(true);
  expect(found.filter((v) => !expected.some((re) => re.test(v)))).toEqual([]);
  sb.control.clearValidationErrors();
}

/** A sandbox with the demo seed, Telnyx validation on when the document is there. */
export async function start(opts: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ port: 0, seed: demoSeed(), validateTelnyx: VALIDATE_TELNYX, ...opts });
}

/**
 * A sandbox for each test of the file, with Twilio validation on: `ctx.sb` is the test's (a test
 * may put another there; that one is checked and closed instead). After each test, every request
 * and answer must have matched Twilio's OpenAPI description (and Telnyx's, when it is there).
 */
export function sandboxEachTest(opts: SandboxOptions): { sb: Sandbox } {
  const ctx = {} as { sb: Sandbox };
  beforeEach(async () => {
    ctx.sb = await startSandbox({ port: 0, validateTwilio: true, validateTelnyx: VALIDATE_TELNYX, ...opts });
  });
  afterEach(async () => {
    expect(ctx.sb.control.validationErrors()).toEqual([]);
    await ctx.sb.close();
  });
  return ctx;
}

/** Main account, subaccounts and Messaging Services (sandbox/seeds/twilio-messaging-subaccounts.json). */
export const SUBACCOUNTS_SEED_FILE = join(
  __dirname,
  "..",
  "..",
  "sandbox",
  "seeds",
  "twilio-messaging-subaccounts.json",
);

export interface TwilioClientOptions {
  username?: string;
  password?: string;
  accountSid?: string;
  timeout?: number;
}

/** The whole twilio SDK client (default: the demo's main account credentials). */
export function twilioSdk(sb: Sandbox, opts: TwilioClientOptions = {}) {
  return twilio(opts.username ?? AC, opts.password ?? AUTH_TOKEN, {
    accountSid: opts.accountSid,
    httpClient: new BaseUrlRequestClient(sb.twilioBaseUrl, { timeout: opts.timeout ?? 5_000 }),
  });
}

/** The IncomingPhoneNumbers of `accountSid` (default: the main account). */
export function twilioClient(sb: Sandbox, opts: TwilioClientOptions = {}) {
  return twilioSdk(sb, opts).api.v2010.accounts(opts.accountSid ?? AC).incomingPhoneNumbers;
}

export function telnyxClient(
  sb: Sandbox,
  opts: { apiKey?: string; maxRetries?: number; timeout?: number } = {},
) {
  return new Telnyx({
    apiKey: opts.apiKey ?? TELNYX_KEY,
    baseURL: sb.telnyxBaseUrl,
    maxRetries: opts.maxRetries ?? 0,
    timeout: opts.timeout ?? 5_000,
  });
}

/** Raw HTTP to the sandbox (for requests the SDKs would never send). */
export async function raw(
  sb: Sandbox,
  method: string,
  path: string,
  init: { body?: string; contentType?: string; auth?: "twilio" | "telnyx" | string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.contentType) headers["content-type"] = init.contentType;
  if (init.auth === "twilio")
    headers["authorization"] = "Basic " + Buffer.from(`${AC}:${AUTH_TOKEN}`).toString("base64");
  else if (init.auth === "telnyx") headers["authorization"] = `Bearer ${TELNYX_KEY}`;
  else if (init.auth) headers["authorization"] = init.auth;
  const res = await fetch(sb.url + path, { method, headers, body: init.body });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> };
}

/** A RestException-like error's fields. */
export async function twilioFailure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as {
      status: number;
      code: number;
      message: string;
      moreInfo: string;
      constructor: { name: string };
    };
  }
  throw new Error("expected the Twilio call to fail");
}

export async function telnyxFailure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & {
      status?: number;
      headers?: Headers;
      error?: {
        errors?: Array<{ code: string; title: string; detail: string; source?: { pointer?: string } }>;
      };
    };
  }
  throw new Error("expected the Telnyx call to fail");
}

/** A seed with many numbers, to page through. */
export function manyNumbersSeed(twilioCount: number, telnyxCount: number): SandboxSeed {
  const seed = demoSeed();
  for (let i = 0; i < twilioCount; i++) {
    seed.twilio!.incoming_phone_numbers!.push({
      phone_number: `+1628555${String(1000 + i).padStart(4, "0")}`,
      voice_url: `https://legacy.example.com/voice/${i}`,
    });
  }
  for (let i = 0; i < telnyxCount; i++) {
    seed.telnyx!.phone_numbers!.push({
      phone_number: `+1773555${String(2000 + i).padStart(4, "0")}`,
      connection_name: "support-app",
      messaging_profile_name: "support-sms",
    });
  }
  return seed;
}
