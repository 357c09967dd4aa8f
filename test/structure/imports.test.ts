/**
 * The import structure: no import cycle between files, none between the top-level folders, and
 * provider/ (the package users install) importing nothing from sandbox/, scripts/, test/ or examples/.
 *
 * Which edges count:
 * - File cycles: every static reference, `import type` and `typeof import(…)` included (a type-only
 *   cycle still ties the two files' designs together), and `require(…)`/`import(…)` at a module's
 *   top level. A `require(…)`/`import(…)` call inside a function does not count: it runs after
 *   both modules finished loading, which is why provider/hosted.ts loads ./lifecycle that way.
 * - Folder rules: every edge, lazy ones too. A lazy load is still a dependency of the folder.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  adjacency,
  buildImportGraph,
  cyclePath,
  cycles,
  moduleReferences,
  stronglyConnectedComponents,
  type ImportEdge,
} from "./import-graph";

const ROOT = join(__dirname, "..", "..");
const FOLDERS = ["provider", "sandbox", "scripts", "test", "examples"] as const;
/** What provider/ may not import: it ships alone, as the package. */
const NOT_FROM_PROVIDER = ["sandbox", "scripts", "test", "examples"];

const folderOf = (file: string) => file.split("/")[0]!;
const describeEdges = (edges: ImportEdge[]) =>
  edges.map((e) => `${e.from} → ${e.to} ("${e.specifier}"${e.lazy ? ", lazy" : ""})`).join("\n    ");

describe("the cycle finder", () => {
  const graph = (spec: string) =>
    adjacency(
      spec
        .split(/\s+/)
        .filter(Boolean)
        .map((edge) => {
          const [from, to] = edge.split(">");
          return { from: from!, to: to! };
        }),
    );

  it("finds no cycle in a graph without one, however tangled", () => {
    const edges = graph("a>b a>c b>d c>d d>e a>e");
    expect(cycles(["a", "b", "c", "d", "e"], edges)).toEqual([]);
    expect(stronglyConnectedComponents(["a", "b", "c", "d", "e"], edges)).toHaveLength(5);
  });

  it("finds each cycle as one component, and a node that imports itself", () => {
    // Two cycles (a b c, and d e) joined one way by c > d; f imports itself; g is alone.
    const edges = graph("a>b b>c c>a c>d d>e e>d f>f g>a");
    const found = cycles(["a", "b", "c", "d", "e", "f", "g"], edges).sort((x, y) =>
      x[0]!.localeCompare(y[0]!),
    );
    expect(found).toEqual([["a", "b", "c"], ["d", "e"], ["f"]]);
    expect(cyclePath(["a", "b", "c"], edges)).toEqual(["a", "b", "c", "a"]);
    expect(cyclePath(["d", "e"], edges)).toEqual(["d", "e", "d"]);
    expect(cyclePath(["f"], edges)).toEqual(["f", "f"]);
  });

  it("finds a cycle through nodes listed in any order, with edges to nodes it was not given", () => {
    const edges = graph("x>y y>z z>x z>outside");
    expect(cycles(["z", "y", "x"], edges)).toEqual([["x", "y", "z"]]);
  });

  it("gives the shortest way round a component with several", () => {
    const edges = graph("a>b b>c c>d d>a b>a");
    expect(cyclePath(["a", "b", "c", "d"], edges)).toEqual(["a", "b", "a"]);
  });
});

describe("reading a file's references", () => {
  it("sees every kind of relative reference, and which are lazy loads", () => {
    const text = [
      'import { a } from "./a";',
      'import type { B } from "./b";',
      'export * from "./c";',
      'export { d } from "./d";',
      'import e = require("./e");',
      'const f = require("./f");',
      'import "./g";',
      'import { z } from "zod";',
      'export const h = () => require("./h") as typeof import("./i");',
      "export async function j() {",
      '  return import("./j");',
      "}",
      "class K {",
      '  m() { return require("./k"); }',
      "}",
      'const l = await import("./l");',
    ].join("\n");
    expect(moduleReferences("x.ts", text)).toEqual([
      { specifier: "./a", lazy: false },
      { specifier: "./b", lazy: false },
      { specifier: "./c", lazy: false },
      { specifier: "./d", lazy: false },
      { specifier: "./e", lazy: false },
      { specifier: "./f", lazy: false },
      { specifier: "./g", lazy: false },
      { specifier: "./h", lazy: true },
      { specifier: "./i", lazy: false }, // a type: as static as `import type`
      { specifier: "./j", lazy: true },
      { specifier: "./k", lazy: true },
      { specifier: "./l", lazy: false },
    ]);
  });
});

describe("the repository's imports", () => {
  const graph = buildImportGraph(ROOT, FOLDERS);
  const counted = graph.edges.filter((e) => !e.lazy);

  it("reads the whole repository", () => {
    for (const folder of ["provider", "sandbox", "scripts", "test"])
      expect(
        graph.files.some((f) => folderOf(f) === folder),
        folder,
      ).toBe(true);
    expect(graph.files).toContain("test/structure/imports.test.ts");
    expect(graph.edges.length).toBeGreaterThan(graph.files.length / 2);
  });

  it("resolves every relative import (an unresolved one would be an edge the checks miss)", () => {
    expect(graph.unresolved.map((u) => `${u.from}: "${u.specifier}"`)).toEqual([]);
  });

  it("has no import cycle between files", () => {
    const edges = adjacency(counted);
    const found = cycles(graph.files, edges).map((component) => {
      const path = cyclePath(component, edges).join(" → ");
      return component.length > 2 ? `${path} (cycle among ${component.join(", ")})` : path;
    });
    expect(found, `import cycles:\n  ${found.join("\n  ")}`).toEqual([]);
  });

  it("has no cycle between the top-level folders", () => {
    const between = graph.edges.filter((e) => folderOf(e.from) !== folderOf(e.to));
    const edges = adjacency(between.map((e) => ({ from: folderOf(e.from), to: folderOf(e.to) })));
    const found = cycles(FOLDERS, edges).map((component) => {
      const inside = between.filter(
        (e) => component.includes(folderOf(e.from)) && component.includes(folderOf(e.to)),
      );
      return `${cyclePath(component, edges).join(" → ")}, through:\n    ${describeEdges(inside)}`;
    });
    expect(found, `folder cycles:\n  ${found.join("\n  ")}`).toEqual([]);
  });

  it("provider/ imports nothing from sandbox/, scripts/, test/ or examples/", () => {
    const outward = graph.edges.filter(
      (e) => folderOf(e.from) === "provider" && NOT_FROM_PROVIDER.includes(folderOf(e.to)),
    );
    expect(outward, describeEdges(outward)).toEqual([]);
  });
});
