import { defineConfig } from "vitest/config";

// The end-to-end suite: the real Pulumi CLI, a file:// backend and the sandbox; test/packaging/
// runs the packed tarball, installed by npm beside the newest @pulumi/pulumi, the same way.
// globalSetup provisions the CLI (scripts/ensure-pulumi.sh); without one the suite is skipped
// loudly, or fails when REQUIRE_PULUMI_E2E=1 (as in .ci/run).
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts", "test/packaging/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    // Each file runs several engines at once already; two files at a time suit a 2-core machine.
    maxWorkers: 2,
  },
});
