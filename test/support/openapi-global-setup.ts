/**
 * The OpenAPI validation of a test run: Telnyx's large document is read and cut to the paths the
 * sandbox serves once per run, here, and every test file's sandbox compiles the cut (handed over
 * through SANDBOX_TELNYX_OPENAPI; forked test workers inherit the environment). Where the document
 * is absent, Telnyx validation is skipped, and this says so. At the end of the run, the requests
 * and responses validated against each document, and how many violated it (openapi-tally.ts
 * collects each file's).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cutTelnyxDocument,
  telnyxOpenApiDocument,
  TELNYX_OPENAPI_FILE,
} from "../../sandbox/carriers/telnyx/openapi";
import type { DocumentTally } from "../../sandbox/openapi";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "sandbox-openapi-"));
  process.env["SANDBOX_VALIDATION_TALLY_DIR"] = dir;
  const document = telnyxOpenApiDocument();
  if (document) {
    const started = performance.now();
    const cut = join(dir, "telnyx-openapi-cut.json");
    writeFileSync(cut, JSON.stringify(cutTelnyxDocument(document)));
    process.env["SANDBOX_TELNYX_OPENAPI"] = cut;
    console.log(
      `Telnyx OpenAPI: ${document} read and cut to the served paths once, in ${Math.round(performance.now() - started)} ms`,
    );
  } else {
    console.warn(
      `Telnyx OpenAPI validation SKIPPED: ${TELNYX_OPENAPI_FILE} not found in ../shared/reference/ ` +
        `(or SANDBOX_TELNYX_OPENAPI); the sandbox tests run without it.`,
    );
  }
  return () => {
    const total = new Map<string, DocumentTally>();
    for (const file of readdirSync(dir).filter((f) => f.startsWith("tally-"))) {
      const tally = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, DocumentTally>;
      for (const [doc, t] of Object.entries(tally)) {
        const sum = total.get(doc) ?? {
          requests: 0,
          requestViolations: 0,
          responses: 0,
          responseViolations: 0,
        };
        for (const k of Object.keys(sum) as (keyof DocumentTally)[]) sum[k] += t[k];
        total.set(doc, sum);
      }
    }
    if (total.size > 0) {
      console.log("OpenAPI validation this run (violations include the tests' deliberate bad requests):");
      for (const [doc, t] of total) {
        console.log(
          `  ${doc}: ${t.requests} requests (${t.requestViolations} with violations), ` +
            `${t.responses} responses (${t.responseViolations} with violations)`,
        );
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
