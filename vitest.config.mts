import { defineConfig } from "vitest/config";

// Unit, carrier (lifecycle against the sandbox), sandbox-fidelity, property, fault-matrix and
// import-structure tests.
// The end-to-end suite under the real Pulumi engine has its own config: vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ["test/{unit,carriers,sandbox,property,faults,structure}/**/*.test.ts"],
    // Telnyx's OpenAPI document cut once per run, and the validation tally printed at its end.
    globalSetup: ["test/support/openapi-global-setup.ts"],
    setupFiles: ["test/support/openapi-tally.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
