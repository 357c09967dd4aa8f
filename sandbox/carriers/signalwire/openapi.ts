/**
 * SignalWire fidelity check: requests the sandbox receives and the answers it sends are validated
 * against SignalWire's own OpenAPI document for phone numbers, read at run time from
 * `../shared/reference/signalwire-phone-numbers-openapi.yaml` beside the repository (or the file
 * `SANDBOX_SIGNALWIRE_OPENAPI` names). The document is data from elsewhere: it is never copied into
 * the repository, and where it is absent (an installed package) validation cannot load and says so.
 *
 * Adjustments, on an in-memory copy: `unevaluatedProperties: { not: {} }` (OpenAPI 3.1, which the
 * validator's draft-07 rules ignore) becomes `additionalProperties: false`, so an unknown field in a
 * request or an answer is a violation as the document means it to be; `examples` are dropped, and
 * so is `explode: false` on the list's primitive query parameters, where it changes nothing but
 * makes the validator read each value as a list.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ISO_8601 } from "../../state/formats";
import { SIGNALWIRE_OPERATIONS, type SignalWireOperationId } from "./api";
import { recordValidation } from "../../openapi";

export const SIGNALWIRE_DOCUMENT_ENV = "SANDBOX_SIGNALWIRE_OPENAPI";
const DOCUMENT_NAME = "signalwire-phone-numbers-openapi.yaml";

/** Where the document is looked for: the variable's path, else `../shared/reference/` beside the repository. */
export function signalwireDocumentPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[SIGNALWIRE_DOCUMENT_ENV];
  if (given) return resolve(given);
  // The repository's root: the nearest directory above this file with a package.json.
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "..", "shared", "reference", DOCUMENT_NAME);
}

export interface SignalWireRequestToValidate {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface SignalWireValidator {
  validateRequest(operationId: SignalWireOperationId, req: SignalWireRequestToValidate): string[];
  validateResponse(operationId: SignalWireOperationId, status: number, body: unknown): string[];
}

type Json = Record<string, unknown>;

/** The 3.1 keywords the validator does not apply, turned into the ones it does. */
function adjust(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(adjust);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "examples") continue;
    // On a primitive parameter `explode` changes nothing (OpenAPI 3.1, style form), but the
    // validator then reads the value as a list and rejects every one.
    if (key === "explode") continue;
    if (key === "unevaluatedProperties") {
      out["additionalProperties"] = false;
      continue;
    }
    out[key] = adjust(value);
  }
  return out;
}

async function buildValidator(path: string): Promise<SignalWireValidator> {
  const [{ OpenAPIBackend }, { parse }] = await Promise.all([import("openapi-backend"), import("yaml")]);
  const definition = adjust(parse(readFileSync(path, "utf8"))) as Json;
  const api = new OpenAPIBackend({
    definition: definition as never,
    quick: true,
    validate: true,
    ajvOpts: { allErrors: true, strict: false },
    customizeAjv: (ajv) => {
      const a = ajv as unknown as { addFormat(name: string, f: (v: string) => boolean): unknown };
      a.addFormat("uuid", (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v));
      a.addFormat("date-time", (v) => ISO_8601.test(v));
      a.addFormat("int32", () => true);
      return ajv;
    },
  });
  await api.init();
  const validator = api.validator;
  return {
    validateRequest(operationId, req) {
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
      return recordValidation(
        DOCUMENT_NAME,
        "request",
        `${SIGNALWIRE_OPERATIONS[operationId]} request`,
        result,
      );
    },
    validateResponse(operationId, status, body) {
      const result = validator.validateResponse(body, operationId, status);
      const label = `${SIGNALWIRE_OPERATIONS[operationId]} response ${status}`;
      return recordValidation(DOCUMENT_NAME, "response", label, result);
    },
  };
}

let cached: Promise<SignalWireValidator> | undefined;

/** The validator, built once per process; rejects, saying where the document was looked for, when it is absent. */
export function signalwireValidator(): Promise<SignalWireValidator> {
  const path = signalwireDocumentPath();
  if (!existsSync(path))
    return Promise.reject(
      new Error(
        `SignalWire OpenAPI validation needs SignalWire's phone-numbers document, which is not in the package: ` +
          `none at ${path} (set ${SIGNALWIRE_DOCUMENT_ENV} to its path)`,
      ),
    );
  cached ??= buildValidator(path).catch((e: unknown) => {
    cached = undefined;
    throw new Error(`SignalWire OpenAPI validation could not load ${path}: ${String(e)}`);
  });
  return cached;
}
