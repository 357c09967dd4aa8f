/**
 * Carriers own their facts: a carrier's name (any case, inside identifiers and strings; comments
 * aside) appears in provider/ and sandbox/ code only in that carrier's own modules, the registries
 * and the public entry points' re-exports. Anything else naming a carrier is a fact the next
 * carrier would have to find and edit: it belongs behind the carrier's descriptor.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { CARRIER_NAMES } from "../../provider/carriers";

const ROOT = join(__dirname, "..", "..");

/** The folders checked, and the files there that may name any carrier. */
const CHECKED = [
  {
    root: "provider",
    registries: ["provider/carriers/index.ts"],
    // Re-exports of carrier-specific names users already import.
    entryPoints: ["provider/index.ts"],
  },
] as const;

/**
 * The carrier whose own module `file` is: `<root>/carriers/<name>/…`, `<root>/carriers/<name>.ts`
 * or `<root>/carriers/<name>-<part>.ts`.
 */
export function ownerOf(file: string): string | undefined {
  const match = /^[^/]+\/carriers\/([a-z0-9]+)(?:\/|\.ts$|-[^/]*\.ts$)/.exec(file);
  return match?.[1];
}

/** The identifiers and string-like literals of a TypeScript source: what the rule reads. */
export function namesAndStrings(source: string): Array<{ text: string; line: number }> {
  const file = ts.createSourceFile("checked.ts", source, ts.ScriptTarget.Latest, true);
  const found: Array<{ text: string; line: number }> = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isIdentifier(node) ||
      ts.isPrivateIdentifier(node) ||
      ts.isStringLiteralLike(node) ||
      ts.isTemplateLiteralToken(node) ||
      ts.isRegularExpressionLiteral(node)
    )
      found.push({
        text: ts.isIdentifier(node) || ts.isPrivateIdentifier(node) ? node.text : node.getText(file),
        line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1,
      });
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** `file:line "text" names <carrier>` for each use of another carrier's name in `file`. */
function violations(file: string, allowAll: readonly string[]): string[] {
  if (allowAll.includes(file)) return [];
  const owner = ownerOf(file);
  const others = CARRIER_NAMES.filter((name) => name !== owner);
  return namesAndStrings(readFileSync(join(ROOT, file), "utf8")).flatMap(({ text, line }) =>
    others
      .filter((name) => text.toLowerCase().includes(name))
      .map((name) => `${file}:${line} ${JSON.stringify(text.slice(0, 80))} names ${name}`),
  );
}

describe("carrier names stay in their carriers' modules", () => {
  it("reads identifiers and strings, and skips comments", () => {
    const found = namesAndStrings(
      [
        "// acme in a comment",
        "/** acme in a doc comment */",
        "const acmeIds = 1;",
        'const label = "via Acme";',
        "const t = `${label} ACME:${acmeIds}`;",
        "const re = /acme/;",
      ].join("\n"),
    ).filter((f) => f.text.toLowerCase().includes("acme"));
    expect(found.map((f) => f.line)).toEqual([3, 4, 5, 5, 6]);
  });

  it("knows each carrier's own modules", () => {
    expect(ownerOf("provider/carriers/acme.ts")).toBe("acme");
    expect(ownerOf("provider/carriers/acme-request-client.ts")).toBe("acme");
    expect(ownerOf("provider/carriers/acme/kinds.ts")).toBe("acme");
    expect(ownerOf("sandbox/carriers/acme/state.ts")).toBe("acme");
    expect(ownerOf("provider/carriers/carrier.ts")).toBe("carrier");
    expect(ownerOf("provider/lifecycle.ts")).toBeUndefined();
  });

  for (const { root, registries, entryPoints } of CHECKED)
    it(`finds no carrier named in ${root}/ outside its own modules, the registries and the entry points`, () => {
      const files = sourceFiles(root);
      expect(files.length).toBeGreaterThan(10);
      const found = files.flatMap((file) => violations(file, [...registries, ...entryPoints]));
      expect(found).toEqual([]);
    });
});
