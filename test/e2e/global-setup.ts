import type { TestProject } from "vitest/node" with { "resolution-mode": "import" };
import { ensurePulumiCli } from "../../scripts/pulumi-project";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where `pulumi` and its companions are; empty when none could be provisioned. */
    pulumiBinDir: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  try {
    project.provide("pulumiBinDir", await ensurePulumiCli());
  } catch (error) {
    if (process.env.REQUIRE_PULUMI_E2E === "1") throw error;
    const bar = "!".repeat(78);
    console.warn(
      `\n${bar}\n  END-TO-END SUITE SKIPPED: no Pulumi CLI could be provisioned.\n  ${String(error)}\n` +
        `  Set REQUIRE_PULUMI_E2E=1 to make this a failure (CI does).\n${bar}\n`,
    );
    project.provide("pulumiBinDir", "");
  }
}
