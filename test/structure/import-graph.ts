/**
 * The repository's import graph, read with the TypeScript compiler API, and a cycle finder for it
 * (Tarjan's strongly connected components). Used by imports.test.ts.
 *
 * An edge is a relative module reference of any kind that resolves to another file of the graph:
 * `import` (`import type` too), `export … from`, `import x = require(…)`, `require(…)`, `import(…)`
 * and `typeof import(…)`. Each edge says whether it is *lazy*: a `require(…)` or `import(…)` call
 * inside a function, which loads the module only when the function runs, after both modules
 * finished loading (provider/hosted.ts does this on purpose). See imports.test.ts for which rules
 * count lazy edges.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ts from "typescript";

export interface ImportEdge {
  /** Repo-relative paths, with `/`. */
  from: string;
  to: string;
  /** The reference as written. */
  specifier: string;
  lazy: boolean;
}

export interface ImportGraph {
  /** Every file of the graph, repo-relative, sorted. */
  files: string[];
  edges: ImportEdge[];
  /** Relative references that resolve to nothing: edges the graph would otherwise silently miss. */
  unresolved: Array<{ from: string; specifier: string }>;
}

const SOURCE = /\.(ts|mts|cts)$/;

/** The .ts/.mts files under `folders` (node_modules and dist left out), repo-relative. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a folder that does not exist (yet)
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "dist") walk(path);
      } else if (SOURCE.test(entry.name)) out.push(path);
    }
  };
  for (const folder of folders) walk(folder);
  return out.sort();
}

/** The compiler options of `<root>/tsconfig.json`, as tsc reads them. */
export function compilerOptions(root: string): ts.CompilerOptions {
  const path = join(root, "tsconfig.json");
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, path).options;
}

/**
 * The relative module references of one source text, each with whether it is lazy (a `require` or
 * `import()` call inside a function). Found by `ts.preProcessFile`, which sees every kind of
 * reference wherever it is; the syntax tree then tells where each one sits.
 */
export function moduleReferences(
  fileName: string,
  text: string,
): Array<{ specifier: string; lazy: boolean }> {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const relativeRefs = importedFiles.filter((ref) => ref.fileName.startsWith("."));
  if (!relativeRefs.length) return [];
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const literalAt = new Map<number, ts.Node>();
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node)) literalAt.set(node.getStart(source), node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return relativeRefs.map((ref) => {
    const literal = literalAt.get(ref.pos);
    return { specifier: ref.fileName, lazy: literal ? isLazyLoad(literal) : false };
  });
}

/** A `require("…")`/`import("…")` call with this argument, inside a function body. */
function isLazyLoad(literal: ts.Node): boolean {
  const call = literal.parent;
  if (!call || !ts.isCallExpression(call) || call.arguments[0] !== literal) return false;
  for (let node: ts.Node | undefined = call.parent; node; node = node.parent)
    if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return true;
  return false;
}

/** Reads every file under `folders` and resolves its relative references as tsc would. */
export function buildImportGraph(root: string, folders: readonly string[]): ImportGraph {
  const options = compilerOptions(root);
  const files = sourceFiles(root, folders);
  const known = new Set(files);
  const toRepoPath = (absolute: string) => relative(root, absolute).split(sep).join("/");
  const edges: ImportEdge[] = [];
  const unresolved: ImportGraph["unresolved"] = [];
  for (const from of files) {
    const absolute = join(root, from);
    const mode = ts.getImpliedNodeFormatForFile(absolute as ts.Path, undefined, ts.sys, options);
    for (const { specifier, lazy } of moduleReferences(absolute, readFileSync(absolute, "utf8"))) {
      const resolved = ts.resolveModuleName(specifier, absolute, options, ts.sys, undefined, undefined, mode)
        .resolvedModule?.resolvedFileName;
      if (!resolved) {
        unresolved.push({ from, specifier });
        continue;
      }
      const to = toRepoPath(resolved);
      if (known.has(to)) edges.push({ from, to, specifier, lazy });
      // Anything else (a .json file, a package) is not part of the graph.
    }
  }
  return { files, edges, unresolved };
}

/**
 * Tarjan's algorithm: the strongly connected components of a directed graph, each sorted, in
 * reverse topological order. Every node is in exactly one component.
 */
export function stronglyConnectedComponents(
  nodes: Iterable<string>,
  edges: Map<string, string[]>,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) connect(node);
  return components;
}

/** The components that hold a cycle: more than one node, or one node that refers to itself. */
export function cycles(nodes: Iterable<string>, edges: Map<string, string[]>): string[][] {
  return stronglyConnectedComponents(nodes, edges).filter(
    (c) => c.length > 1 || (edges.get(c[0]!) ?? []).includes(c[0]!),
  );
}

/** One closed path through a cyclic component, from its first node back to it: "a → b → a". */
export function cyclePath(component: string[], edges: Map<string, string[]>): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  // Breadth-first from start's successors back to start, within the component.
  const cameFrom = new Map<string, string>();
  const queue = (edges.get(start) ?? []).filter((n) => inside.has(n));
  for (const n of queue) cameFrom.set(n, start);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    if (node === start) break;
    for (const next of edges.get(node) ?? [])
      if (inside.has(next) && !cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
  }
  const between: string[] = [];
  for (let node = cameFrom.get(start); node !== undefined && node !== start; node = cameFrom.get(node))
    between.unshift(node);
  return [start, ...between, start];
}

/** Adjacency lists of a list of edges (each target once, in order). */
export function adjacency(edges: Array<{ from: string; to: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { from, to } of edges) {
    const list = out.get(from) ?? [];
    if (!list.includes(to)) list.push(to);
    out.set(from, list);
  }
  return out;
}
