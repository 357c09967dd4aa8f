/**
 * The drift command and the policy pack live in the package, but a program that requires the
 * package root loads neither of them, nor @pulumi/policy (an optional peer dependency that a
 * program need not have). Each case runs in a fresh Node process.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import packageJson from "../../package.json";

const REPO = join(__dirname, "..", "..");

function loadedAfter(entry: string): { cli: number; policy: number } {
  const script = `
    require(${JSON.stringify(entry)});
    const loaded = (re) => Object.keys(require.cache).filter((p) => re.test(p)).length;
    process.stdout.write(JSON.stringify({
      cli: loaded(/[\\\\/]provider[\\\\/]cli[\\\\/]/),
      policy: loaded(/[\\\\/](@pulumi[\\\\/]policy|provider[\\\\/]policy)[\\\\/]/),
    }));
  `;
  return JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: REPO, encoding: "utf8" }),
  ) as { cli: number; policy: number };
}

describe("lazy subpaths", () => {
  it("the package root loads neither the command line nor the policy pack", () => {
    expect(loadedAfter("./provider/index.ts")).toEqual({ cli: 0, policy: 0 });
    // The same count sees the command line when it is loaded.
    expect(loadedAfter("./provider/cli/drift.ts").cli).toBeGreaterThan(0);
  });

  it("the policy entry loads @pulumi/policy, not the command line", () => {
    const loaded = loadedAfter("./provider/policy/index.ts");
    expect(loaded.policy).toBeGreaterThan(0);
    expect(loaded.cli).toBe(0);
  });

  it("the package exposes ./policy and the pulumi-phone-webhooks command", () => {
    expect(packageJson.exports["./policy"]).toEqual({
      types: "./dist/provider/policy/index.d.ts",
      default: "./dist/provider/policy/index.js",
    });
    expect(packageJson.bin["pulumi-phone-webhooks"]).toBe("dist/provider/cli/index.js");
    expect(packageJson.peerDependenciesMeta["@pulumi/policy"]).toEqual({ optional: true });
  });
});
