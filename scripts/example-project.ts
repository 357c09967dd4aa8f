/**
 * examples/multi-environment as the files of a standalone project, for `PulumiProject`: the demo
 * and the end-to-end test run the example as a user who copied it would.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./pulumi-project";

export const MULTI_ENVIRONMENT = join(REPO_ROOT, "examples", "multi-environment");

/** The program, and for each stack its Pulumi.<stack>.yaml and the numbers.<stack>.yaml it names. */
export function multiEnvironmentFiles(stacks: readonly string[]): Record<string, string> {
  const file = (name: string) => readFileSync(join(MULTI_ENVIRONMENT, name), "utf8");
  return {
    // The repository's Pulumi.yaml points into examples/; a copied project has the program at its root.
    "Pulumi.yaml": readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")
      .replace(/^main: .*$/m, "main: index.ts")
      .replace(/^stackConfigDir: .*\n/m, ""),
    "index.ts": file("index.ts"),
    "tsconfig.json": JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "commonjs",
        esModuleInterop: true,
        skipLibCheck: true,
      },
    }),
    ...Object.fromEntries(
      stacks.flatMap((s) => [`Pulumi.${s}.yaml`, `numbers.${s}.yaml`]).map((name) => [name, file(name)]),
    ),
  };
}
