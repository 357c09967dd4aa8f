/**
 * Finds carrier names in code: every identifier, string literal and template text of a TypeScript
 * file (comments are not tokens, so they never count), read with the TypeScript compiler API. Used
 * by carrier-names.test.ts, which holds the rule of where a carrier's name may appear.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { sourceFiles } from "./import-graph";

/** One carrier name found in code. */
export interface NameUse {
  /** Repo-relative path, with `/`. */
  file: string;
  line: number;
  /** The carrier whose name it contains. */
  carrier: string;
  /** The identifier or the literal's text. */
  text: string;
  /** Inside an `export … from "…"` declaration (a re-export). */
  reExport: boolean;
}

/** The carrier names (any case) in the identifiers and literals of one source text. */
export function carrierNamesIn(file: string, source: string, carriers: readonly string[]): NameUse[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const uses: NameUse[] = [];
  const check = (node: ts.Node, text: string, reExport: boolean) => {
    const lower = text.toLowerCase();
    for (const carrier of carriers) {
      if (!lower.includes(carrier.toLowerCase())) continue;
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      uses.push({ file, line, carrier, text, reExport });
    }
  };
  const visit = (node: ts.Node, reExport: boolean) => {
    const inReExport = reExport || (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined);
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) check(node, node.text, inReExport);
    else if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node) ||
      ts.isRegularExpressionLiteral(node)
    )
      check(node, node.text, inReExport);
    ts.forEachChild(node, (child) => visit(child, inReExport));
  };
  visit(sf, false);
  return uses;
}

/**
 * Where carrier names may appear under one scanned folder: each carrier's own modules, the
 * registries (anywhere in them), and the public entry points (in their re-exports only).
 */
export interface NameRule {
  /** The folder scanned, repo-relative. */
  root: string;
  /** A carrier's own modules: paths (a folder ends with `/`) where its name, and only its, may appear. */
  ownModules(carrier: string): string[];
  registries: string[];
  entryPoints: string[];
}

/** The uses the rule does not allow, in the .ts files under `rule.root`. */
export function misplacedCarrierNames(repo: string, rule: NameRule, carriers: readonly string[]): NameUse[] {
  const within = (file: string, paths: string[]) =>
    paths.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p));
  return sourceFiles(repo, [rule.root]).flatMap((file) =>
    carrierNamesIn(file, readFileSync(join(repo, file), "utf8"), carriers).filter(
      (use) =>
        !within(file, rule.ownModules(use.carrier)) &&
        !rule.registries.includes(file) &&
        !(rule.entryPoints.includes(file) && use.reExport),
    ),
  );
}
