/** The drift command's arguments, checked with zod before any engine runs, and a missing CLI. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT_ERROR, NO_CLI, parseDriftArgs, runDrift } from "../../provider/cli/drift";

describe("drift arguments", () => {
  it("takes --stack, --cwd and --json", () => {
    expect(parseDriftArgs(["--stack", "staging", "--cwd", "infra", "--json", "drift.json"])).toEqual({
      stack: "staging",
      cwd: "infra",
      json: "drift.json",
    });
    expect(parseDriftArgs(["-s", "prod"])).toEqual({ stack: "prod", cwd: "." });
    expect(parseDriftArgs(["--help"])).toBe("help");
  });

  it("refuses a missing stack, an unknown flag and a stray argument, with the usage", () => {
    expect(() => parseDriftArgs([])).toThrow(
      /--stack <name> is required[\s\S]*usage: pulumi-phone-webhooks drift/,
    );
    expect(() => parseDriftArgs(["--stack", "a", "--refresh"])).toThrow(/Unknown option '--refresh'/);
    expect(() => parseDriftArgs(["--stack", "a", "extra"])).toThrow(/usage:/);
  });

  it("a usage error exits 1 before any engine starts", async () => {
    const err: string[] = [];
    const code = await runDrift(["--json"], { out: () => {}, err: (t) => err.push(t) });
    expect(code).toBe(EXIT_ERROR);
    expect(err.join("\n")).toMatch(/usage:/);
  });

  it("without pulumi on PATH, says what to install and where to put it, not `spawn pulumi ENOENT`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drift-no-cli-"));
    const path = process.env.PATH;
    process.env.PATH = dir; // an empty directory: no pulumi anywhere on it
    try {
      const err: string[] = [];
      const json = join(dir, "report.json");
      const code = await runDrift(["--stack", "dev", "--cwd", dir, "--json", json], {
        out: () => {},
        err: (t) => err.push(t),
      });
      expect(code).toBe(EXIT_ERROR);
      expect(err.join("\n")).toContain(NO_CLI);
      expect(err.join("\n")).not.toContain("ENOENT");
      expect(NO_CLI).toContain("https://www.pulumi.com/docs/install/");
      // The JSON report, which the drift workflow's summary shows, says the same.
      expect(JSON.parse(readFileSync(json, "utf8"))).toMatchObject({ status: "error", error: NO_CLI });
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
