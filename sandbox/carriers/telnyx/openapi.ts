/**
 * Telnyx fidelity check: requests the sandbox receives for a Telnyx operation it serves, and its
 * responses, validated against Telnyx's own OpenAPI document (team-telnyx/openapi `spec3.yml`, OAS
 * 3.1) with `openapi-backend`'s validator (Ajv), as Twilio's are against Twilio's (../twilio/openapi.ts).
 *
 * The document is data from elsewhere, not part of the package: it is read at run time from
 * `SANDBOX_TELNYX_OPENAPI` (a path), else from `../shared/reference/telnyx-openapi-spec3.yml.gz`
 * beside the repository. Where it is absent, Telnyx validation cannot be turned on (the tests skip
 * it and say so). It is large (4 MB of YAML, 782 paths): only the paths the sandbox serves, with the
 * components they use, are compiled (`cutTelnyxDocument`), and the test suite's global setup cuts
 * it once per run and hands the cut to every test file through `SANDBOX_TELNYX_OPENAPI`.
 *
 * Request violations are recorded, not answered: the sandbox's own checks (schemas keyed by the
 * SDK's types) already answer bad requests as Telnyx does. Responses are validated for every status
 * the document describes.
 *
 * One deliberate adjustment to the document, applied to the cut: a URL (`format: uri` or `url`) whose
 * `default` is "" or null may be "", in requests and responses. That is how Telnyx writes an unset
 * URL: the document's own default for `webhook_event_failover_url` is "" (with `format: uri`, which
 * "" does not match), and a TeXML application's `status_callback` and `voice_fallback_url` default
 * to null on a `type: string`, which the API can only write as "" (the provider clears them so).
 * Nothing else is relaxed: the sandbox's answers match the document as it is.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { cutDocument, recordValidation } from "../../openapi";

/** The document's file name in ../shared/reference/. */
export const TELNYX_OPENAPI_FILE = "telnyx-openapi-spec3.yml.gz";

/** The paths of the document (it has no `/v2`: that is its server URL) the sandbox serves. */
export const TELNYX_SERVED_PATHS = [
  "/phone_numbers",
  "/phone_numbers/messaging",
  "/phone_numbers/{id}",
  "/phone_numbers/{id}/messaging",
  "/connections/{id}",
  "/call_control_applications",
  "/call_control_applications/{id}",
  "/texml_applications",
  "/texml_applications/{id}",
  "/credential_connections",
  "/credential_connections/{id}",
  "/messaging_profiles",
  "/messaging_profiles/{id}",
  "/messaging_profiles/{id}/phone_numbers",
] as const;

/** Where the document is, or undefined: `SANDBOX_TELNYX_OPENAPI`, else ../shared/reference/ beside the repository. */
export function telnyxOpenApiDocument(): string | undefined {
  const given = process.env["SANDBOX_TELNYX_OPENAPI"];
  if (given) return existsSync(given) ? given : undefined;
  // From sandbox/carriers/telnyx/ (sources) or dist/sandbox/carriers/telnyx/ (built): the repository
  // is 3 or 4 levels up, and shared/reference/ beside it.
  const candidates = [4, 5].map((up) =>
    join(__dirname, ...Array<string>(up).fill(".."), "shared", "reference", TELNYX_OPENAPI_FILE),
  );
  return candidates.find((p) => existsSync(p));
}

type Json = Record<string, unknown>;

/** The document at `file` (YAML, gzipped or not, or an already cut JSON), cut to the served paths. */
export function cutTelnyxDocument(file: string): Json {
  const raw = readFileSync(file);
  const text = (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  if (file.endsWith(".json")) return cutDocument(JSON.parse(text) as Json, TELNYX_SERVED_PATHS);
  // js-yaml parses the 4 MB document about four times faster than `yaml`; a development dependency,
  // like openapi-backend, loaded only when validation is on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jsYaml = require("js-yaml") as typeof import("js-yaml");
  return cutDocument(jsYaml.load(text) as Json, TELNYX_SERVED_PATHS);
}

export interface TelnyxRequestToValidate {
  method: string;
  /** The sandbox's path, with `/v2`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface TelnyxValidator {
  /** The document's operation for a sandbox endpoint ("PATCH /v2/phone_numbers/{id}"), if it has one. */
  operationOf(endpoint: string): string | undefined;
  /** Violations of the operation's parameters and request body schema ([] when valid). */
  validateRequest(operationId: string, req: TelnyxRequestToValidate): string[];
  /** Violations of the operation's response schema for that status ([] when valid, or no schema). */
  validateResponse(operationId: string, status: number, body: unknown): string[];
}

interface AjvLike {
  addFormat(name: string, format: (value: string) => boolean): unknown;
}

/** The formats the served part of the document uses (Ajv knows none of them without ajv-formats). */
const FORMATS: Record<string, (value: string) => boolean> = {
  "date-time": (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v),
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  uri: isAbsoluteUrl,
  url: isAbsoluteUrl,
  "json-pointer": (v) => v === "" || v.startsWith("/"),
  // Numeric formats: the type says it all.
  float: () => true,
  integer: () => true,
};

function isAbsoluteUrl(v: string): boolean {
  try {
    return new URL(v).protocol.length > 1;
  } catch {
    return false;
  }
}

/** The adjustment in this file's header: an unset URL ("") where the document defaults the URL to "" or null. */
function allowUnsetUrls(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(allowUnsetUrls);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const schema = node as Json;
  const format = schema["format"];
  if ((format === "uri" || format === "url") && (schema["default"] === "" || schema["default"] === null)) {
    delete schema["format"];
    schema["anyOf"] = [{ const: "" }, { format }];
  }
  Object.values(schema).forEach(allowUnsetUrls);
}

/** Each operation's query parameters that are named with brackets (`filter[type]`) rather than a deepObject. */
function literalQueryNames(definition: Json, op: Json): Set<string> {
  const parameters = (definition["components"] as Json | undefined)?.["parameters"] as Json | undefined;
  const names = new Set<string>();
  for (const p of (op["parameters"] ?? []) as Json[]) {
    const ref = p["$ref"];
    const param = (typeof ref === "string" ? parameters?.[ref.split("/").pop() ?? ""] : p) as
      Json | undefined;
    const name = param?.["name"];
    if (param?.["in"] === "query" && typeof name === "string" && name.includes("[")) names.add(name);
  }
  return names;
}

async function buildValidator(file: string): Promise<TelnyxValidator> {
  const definition = cutTelnyxDocument(file);
  allowUnsetUrls(definition);
  const operations = new Map<string, string>();
  const literalQuery = new Map<string, Set<string>>();
  for (const [path, item] of Object.entries(definition["paths"] as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      const id = (op as Json | undefined)?.["operationId"];
      if (typeof id !== "string") continue;
      operations.set(`${method.toUpperCase()} /v2${path}`, id);
      literalQuery.set(id, literalQueryNames(definition, op as Json));
    }
  }
  const { OpenAPIBackend } = await import("openapi-backend");
  const api = new OpenAPIBackend({
    definition: definition as never,
    quick: true,
    validate: true,
    ajvOpts: { allErrors: true, strict: false },
    customizeAjv: (ajv) => {
      const a = ajv as unknown as AjvLike;
      for (const [name, check] of Object.entries(FORMATS)) a.addFormat(name, check);
      return ajv;
    },
  });
  await api.init();
  const validator = api.validator;
  return {
    operationOf: (endpoint) => operations.get(endpoint),
    validateRequest(operationId, req) {
      const result = validator.validateRequest(
        {
          method: req.method.toLowerCase(),
          path: req.path.replace(/^\/v2(?=\/)/, ""),
          // Most operations take `filter[...]` and `page[...]` as deepObjects: as a query string,
          // openapi-backend parses them into one. A few name each bracketed parameter literally.
          query: Object.keys(req.query).every((k) => literalQuery.get(operationId)?.has(k))
            ? req.query
            : new URLSearchParams(req.query).toString(),
          headers: req.headers as Record<string, string | string[]>,
          body: req.body,
        },
        operationId,
      );
      return recordValidation(TELNYX_OPENAPI_FILE, "request", `${operationId} request`, result);
    },
    validateResponse(operationId, status, body) {
      const result = validator.validateResponse(body, operationId, status);
      return recordValidation(TELNYX_OPENAPI_FILE, "response", `${operationId} response ${status}`, result);
    },
  };
}

let cached: Promise<TelnyxValidator> | undefined;

/** The validator, built once per process (sandboxes share it; it holds no state). */
export function telnyxValidator(): Promise<TelnyxValidator> {
  const file = telnyxOpenApiDocument();
  if (!file) {
    return Promise.reject(
      new Error(
        `Telnyx OpenAPI validation needs Telnyx's OpenAPI document (${TELNYX_OPENAPI_FILE}, ` +
          `team-telnyx/openapi spec3.yml), which pulumi-phone-webhooks does not ship: give its path ` +
          `in SANDBOX_TELNYX_OPENAPI`,
      ),
    );
  }
  cached ??= buildValidator(file).catch((e: unknown) => {
    cached = undefined;
    throw new Error(`Telnyx OpenAPI validation could not load ${file}: ${String(e)}`);
  });
  return cached;
}
