/**
 * What the carriers' OpenAPI validation shares: violations as one line each, the part of a document
 * that describes some paths (with the components they use, transitively), and the tally of how many
 * requests and responses were validated against each document, with how many violations (the test
 * suite prints it at the end of a run).
 */

type Json = Record<string, unknown>;

/** An Ajv error, as openapi-backend reports it. */
export interface AjvErrorLike {
  instancePath: string;
  message?: string;
  params?: unknown;
}

/** One line per error: "<prefix> <where> <message> <params>". */
export function describeViolations(prefix: string, errors: AjvErrorLike[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || "/";
    return `${prefix} ${where} ${e.message ?? "is invalid"} ${JSON.stringify(e.params ?? {})}`;
  });
}

/**
 * The part of an OpenAPI document that describes `paths` (every method of each), with only the
 * components they reference, directly or through other components. A large document compiles in
 * a fraction of the time when cut to what the sandbox serves.
 */
export function cutDocument(spec: Json, paths: readonly string[]): Json {
  const allPaths = spec["paths"] as Record<string, Json>;
  const components = (spec["components"] ?? {}) as Record<string, Record<string, unknown>>;
  const kept: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string" && value.startsWith("#/components/")) {
        if (seen.has(value)) continue;
        seen.add(value);
        const [section, name] = value.slice("#/components/".length).split("/");
        const target = section && name ? components[section]?.[name] : undefined;
        if (target === undefined) throw new Error(`the document has no ${value}`);
        (kept[section!] ??= {})[name!] = target;
        visit(target);
      } else visit(value);
    }
  };
  const cut: Record<string, Json> = {};
  for (const p of paths) {
    const item = allPaths[p];
    if (!item) throw new Error(`the document has no path ${p}`);
    cut[p] = item;
    visit(item);
  }
  return { openapi: spec["openapi"], info: spec["info"], paths: cut, components: kept };
}

/** How many requests and responses were validated against one document, and how many violated it. */
export interface DocumentTally {
  requests: number;
  requestViolations: number;
  responses: number;
  responseViolations: number;
}

const tallies = new Map<string, DocumentTally>();

/** Counts one validation against `document` (violations: how many requests or responses failed, 0 or 1). */
export function countValidation(document: string, kind: "request" | "response", violations: string[]): void {
  const t = tallies.get(document) ?? {
    requests: 0,
    requestViolations: 0,
    responses: 0,
    responseViolations: 0,
  };
  if (kind === "request") {
    t.requests += 1;
    if (violations.length > 0) t.requestViolations += 1;
  } else {
    t.responses += 1;
    if (violations.length > 0) t.responseViolations += 1;
  }
  tallies.set(document, t);
}

/**
 * One validation's outcome as the sandbox records it: its violations (none when valid), counted
 * against `document`.
 */
export function recordValidation(
  document: string,
  kind: "request" | "response",
  label: string,
  result: { valid: boolean; errors?: AjvErrorLike[] | null },
): string[] {
  const violations = result.valid ? [] : describeViolations(label, result.errors);
  countValidation(document, kind, violations);
  return violations;
}

/** What this process validated so far, by document. */
export function validationTally(): Record<string, DocumentTally> {
  return Object.fromEntries([...tallies].map(([k, v]) => [k, { ...v }]));
}
