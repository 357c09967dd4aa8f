/**
 * Twilio fidelity check: every request the sandbox receives for a Twilio operation it serves, and
 * every response it sends, is validated against Twilio's own OpenAPI descriptions
 * (`twilio_api_v2010.json` for the 2010-04-01 API, `twilio_messaging_v1.json` for Messaging v1,
 * both shipped in `@twilio/cli-core` and loaded from the installed package at run time) with
 * `openapi-backend`'s validator (Ajv under the hood). One validator serves both documents: a
 * request goes to the document its path belongs to.
 *
 * Both packages are loaded only when validation is turned on. They are development dependencies of
 * the repository and optional peer dependencies of the package, which does not install them (with
 * what they pull in, about 110 MB): a user of the published package who wants validation installs
 * them beside it, and without them validation fails with the command to do so.
 *
 * Deliberate adjustments to the spec, applied to an in-memory copy:
 * - Request bodies get `additionalProperties: false`. Twilio silently ignores an unknown form
 *   parameter, so a client that sends one has a bug nobody would see; here it is a violation.
 * - Request body strings with a `pattern` (SIDs) also accept "", because Twilio documents that an
 *   empty value clears a field (`VoiceApplicationSid=`), which the spec's patterns do not express.
 * - Twilio's custom formats get definitions: `uri` (requests: "" or an absolute http(s) URL;
 *   responses: also the relative `/2010-04-01/...` page URIs the spec marks as `uri`),
 *   `phone-number` (requests: partial numbers and `*` wildcards, as the list filter allows;
 *   responses: E.164), `date-time-rfc-2822`, `http-method`, `phone-number-capabilities`, `uri-map`; and
 *   `date-time` (Messaging v1's dates) is Twilio's ISO 8601 in UTC, "2024-03-14T15:09:26Z".
 */
import { readFileSync } from "node:fs";
import { recordValidation } from "../../openapi";
import { isHttpUrl, E164, ISO_8601 } from "../../state/formats";

const SPEC_DIR = "@twilio/cli-core/src/services/twilio-api";
export const TWILIO_SPEC_MODULE = `${SPEC_DIR}/twilio_api_v2010.json`;
export const TWILIO_MESSAGING_SPEC_MODULE = `${SPEC_DIR}/twilio_messaging_v1.json`;

/**
 * The packages validation needs, with the versions package.json asks for (as devDependencies and
 * optional peerDependencies; test/sandbox/validation-packages.test.ts keeps the three in step), and
 * a module of each to find it by.
 */
export const VALIDATION_PACKAGES = {
  "openapi-backend": { version: "^5.21.2", module: "openapi-backend" },
  "@twilio/cli-core": { version: "9.0.0", module: TWILIO_SPEC_MODULE },
} as const;

/** Validation's packages that cannot be found from here, by name. */
export function missingValidationPackages(resolve: (module: string) => string = require.resolve): string[] {
  return Object.entries(VALIDATION_PACKAGES).flatMap(([name, { module }]) => {
    try {
      resolve(module);
      return [];
    } catch {
      return [name];
    }
  });
}

/** What to do when validation's packages are not installed: which are missing, and the command. */
export function missingValidationMessage(missing: readonly string[]): string {
  const all = Object.entries(VALIDATION_PACKAGES).map(([name, { version }]) => `${name}@${version}`);
  return (
    `Twilio OpenAPI validation (--validate-twilio, validateTwilio, SANDBOX_VALIDATE_TWILIO) needs ` +
    `${missing.join(" and ")}, which pulumi-phone-webhooks does not install (optional peer ` +
    `dependencies: Twilio's OpenAPI descriptions and a validator, about 110 MB with what they pull ` +
    `in). Install them beside it: npm install --save-dev ${all.join(" ")}`
  );
}

/** The operations the sandbox serves, by the operationId Twilio's documents give them. */
export const TWILIO_OPERATIONS = {
  FetchAccount: "GET /2010-04-01/Accounts/{Sid}.json",
  ListIncomingPhoneNumber: "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
  FetchIncomingPhoneNumber: "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
  UpdateIncomingPhoneNumber: "POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
  DeleteIncomingPhoneNumber: "DELETE /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
  CreateIncomingPhoneNumber: "POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
  ListService: "GET /v1/Services",
  FetchService: "GET /v1/Services/{Sid}",
  ListPhoneNumber: "GET /v1/Services/{ServiceSid}/PhoneNumbers",
  FetchPhoneNumber: "GET /v1/Services/{ServiceSid}/PhoneNumbers/{Sid}",
} as const;
export type TwilioOperationId = keyof typeof TWILIO_OPERATIONS;

/** Each document, and the path prefix of the operations it describes. */
const DOCUMENTS = [
  { module: TWILIO_SPEC_MODULE, prefix: "/2010-04-01/" },
  { module: TWILIO_MESSAGING_SPEC_MODULE, prefix: "/v1/" },
] as const;

/** A document's file name, for the tally. */
const documentName = (module: string) => module.slice(module.lastIndexOf("/") + 1);

const operationPath = (operationId: TwilioOperationId) => TWILIO_OPERATIONS[operationId].split(" ")[1] ?? "";

export interface TwilioRequestToValidate {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: Record<string, string>;
}

export interface TwilioValidator {
  /** Violations of the operation's parameters and request body schema ([] when valid). */
  validateRequest(operationId: TwilioOperationId, req: TwilioRequestToValidate): string[];
  /** Violations of the operation's response schema for that status ([] when valid, or no schema). */
  validateResponse(operationId: TwilioOperationId, status: number, body: unknown): string[];
}

type Json = Record<string, unknown>;

const RFC_2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

function isAbsoluteUrl(v: string): boolean {
  try {
    return new URL(v).protocol.length > 1;
  } catch {
    return false;
  }
}

/** Make request form bodies strict and let patterned strings be "" (Twilio's "empty clears"). */
function tightenRequestBody(operation: Json): void {
  const content = (operation["requestBody"] as Json | undefined)?.["content"] as Json | undefined;
  const form = content?.["application/x-www-form-urlencoded"] as Json | undefined;
  const schema = form?.["schema"] as Json | undefined;
  if (!schema) return;
  schema["additionalProperties"] = false;
  const props = (schema["properties"] ?? {}) as Record<string, Json>;
  for (const prop of Object.values(props)) {
    if (prop["type"] === "string" && typeof prop["pattern"] === "string") {
      prop["pattern"] = `^$|(?:${prop["pattern"]})`;
      delete prop["minLength"];
    }
  }
}

/** The part of one of Twilio's documents that describes the paths of `TWILIO_OPERATIONS` under `prefix`. */
function loadDefinition(module: string, prefix: string): Json {
  const file = require.resolve(module);
  const spec = JSON.parse(readFileSync(file, "utf8")) as Json;
  const allPaths = spec["paths"] as Record<string, Json>;
  const paths: Record<string, Json> = {};
  const served = new Set(
    (Object.keys(TWILIO_OPERATIONS) as TwilioOperationId[])
      .map(operationPath)
      .filter((p) => p.startsWith(prefix)),
  );
  for (const p of served) {
    const item = allPaths[p];
    if (!item) throw new Error(`${module} has no path ${p}`);
    const copy = structuredClone(item);
    for (const method of ["post", "put", "patch"]) {
      const op = copy[method] as Json | undefined;
      if (op) tightenRequestBody(op);
    }
    paths[p] = copy;
  }
  return { openapi: spec["openapi"], info: spec["info"], paths, components: spec["components"] };
}

interface AjvLike {
  addFormat(name: string, format: (value: string) => boolean): unknown;
}
/** The validator of one of Twilio's documents (openapi-backend's, with Twilio's formats). */
async function buildBackend(module: string, prefix: string) {
  const { OpenAPIBackend } = await import("openapi-backend");
  const api = new OpenAPIBackend({
    // The definition is an in-memory object built from Twilio's JSON above.
    definition: loadDefinition(module, prefix) as never,
    quick: true,
    validate: true,
    ajvOpts: { allErrors: true },
    customizeAjv: (ajv, _opts, context) => {
      const a = ajv as unknown as AjvLike;
      const isResponse = String(context) === "responseValidator";
      a.addFormat(
        "uri",
        (v) => v === "" || (isResponse ? isAbsoluteUrl(v) || v.startsWith("/") : isHttpUrl(v)),
      );
      a.addFormat("phone-number", (v) => (isResponse ? E164.test(v) : /^\+?[0-9A-Za-z*]{1,16}$/.test(v)));
      a.addFormat("http-method", (v) => /^[A-Z]+$/.test(v));
      a.addFormat("date-time-rfc-2822", (v) => RFC_2822.test(v));
      a.addFormat("date-time", (v) => ISO_8601.test(v));
      a.addFormat("phone-number-capabilities", () => true);
      a.addFormat("uri-map", () => true); // on objects (`links`, `subresource_uris`): nothing to check
      return ajv;
    },
  });
  await api.init();
  return api.validator;
}

async function buildValidator(): Promise<TwilioValidator> {
  const backends = await Promise.all(
    DOCUMENTS.map(async (d) => ({
      prefix: d.prefix,
      document: documentName(d.module),
      validator: await buildBackend(d.module, d.prefix),
    })),
  );
  /** The document a path belongs to, and its validator. */
  const forPath = (path: string) => {
    const found = backends.find((b) => path.startsWith(b.prefix));
    if (!found) throw new Error(`no Twilio OpenAPI document describes ${path}`);
    return found;
  };
  return {
    validateRequest(operationId, req) {
      const { document, validator } = forPath(req.path);
      const result = validator.validateRequest(
        {
          method: req.method.toLowerCase(),
          path: req.path,
          query: req.query,
          headers: req.headers as Record<string, string | string[]>,
          body: req.body,
        },
        operationId,
      );
      return recordValidation(document, "request", `${TWILIO_OPERATIONS[operationId]} request`, result);
    },
    validateResponse(operationId, status, body) {
      const { document, validator } = forPath(operationPath(operationId));
      const result = validator.validateResponse(body, operationId, status);
      const label = `${TWILIO_OPERATIONS[operationId]} response ${status}`;
      return recordValidation(document, "response", label, result);
    },
  };
}

let cached: Promise<TwilioValidator> | undefined;

/** The validator, built once per process (sandboxes share it; it holds no state). */
export function twilioValidator(): Promise<TwilioValidator> {
  const missing = missingValidationPackages();
  if (missing.length) return Promise.reject(new Error(missingValidationMessage(missing)));
  cached ??= buildValidator().catch((e: unknown) => {
    cached = undefined;
    throw new Error(`Twilio OpenAPI validation could not load Twilio's OpenAPI descriptions: ${String(e)}`);
  });
  return cached;
}
