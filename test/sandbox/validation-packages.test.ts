/**
 * Twilio OpenAPI validation's packages are not installed with the published package: without them
 * the sandbox says which are missing and the command that installs them, at the versions
 * package.json asks for.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  missingValidationMessage,
  missingValidationPackages,
  twilioValidator,
  VALIDATION_PACKAGES,
} from "../../sandbox/carriers/twilio/openapi";

const MANIFEST = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe("Twilio OpenAPI validation's packages", () => {
  it("are development dependencies and optional peer dependencies, at the versions the message gives", () => {
    for (const [name, { version }] of Object.entries(VALIDATION_PACKAGES)) {
      expect(MANIFEST.devDependencies[name], name).toBe(version);
      expect(MANIFEST.peerDependencies[name], name).toBe(version);
      expect(MANIFEST.peerDependenciesMeta[name], name).toEqual({ optional: true });
    }
  });

  it("are found in this repository", async () => {
    expect(missingValidationPackages()).toEqual([]);
    await expect(twilioValidator()).resolves.toBeDefined();
  });

  it("when missing, are named with the command that installs both", () => {
    const missing = missingValidationPackages((module) => {
      if (module === "openapi-backend") throw new Error(`Cannot find module '${module}'`);
      return `/somewhere/${module}`;
    });
    expect(missing).toEqual(["openapi-backend"]);
    const message = missingValidationMessage(missing);
    expect(message).toContain(
      "--validate-twilio, validateTwilio, SANDBOX_VALIDATE_TWILIO) needs openapi-backend,",
    );
    expect(message).toContain(
      "Install them beside it: npm install --save-dev openapi-backend@^5.21.2 @twilio/cli-core@9.0.0",
    );
  });
});
