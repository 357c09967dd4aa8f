/** The drift command's arguments, checked with zod before any engine runs. */
import { describe, expect, it } from "vitest";
import { EXIT_ERROR, parseDriftArgs, runDrift } from "../../provider/cli/drift";

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
});
