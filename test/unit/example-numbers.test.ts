/**
 * examples/multi-environment's numbers: each stack's data file (numbersFile), the config list for
 * small stacks, and the errors for a malformed file, which must lead to the entry at fault.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { readNumbersFile, stackNumbers } from "../../examples/multi-environment/numbers";

const EXAMPLE = join(__dirname, "..", "..", "examples", "multi-environment");
const dir = mkdtempSync(join(tmpdir(), "example-numbers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("the example's stacks", () => {
  it.each(["staging", "production"])("%s names its numbers file, which lists its numbers", (stack) => {
    const config = (
      load(readFileSync(join(EXAMPLE, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
      }
    ).config;
    expect(config["phone-webhooks:numbersFile"]).toBe(`numbers.${stack}.yaml`);
    expect(config["phone-webhooks:numbers"]).toBeUndefined();
    const numbers = stackNumbers({
      numbers: undefined,
      numbersFile: `numbers.${stack}.yaml`,
      baseDir: EXAMPLE,
    });
    expect(numbers.map((n) => n.phoneNumber)).toEqual(
      stack === "staging"
        ? ["+14155550101", "+13125550202", "+13125550201"]
        : ["+14155550100", "+13125550200"],
    );
  });

  it("keeps each entry's settings, with voice and SMS on unless turned off", () => {
    const [twilio, telnyx, shared] = readNumbersFile(join(EXAMPLE, "numbers.staging.yaml"));
    expect(twilio).toEqual({ phoneNumber: "+14155550101", provider: "twilio", voice: false, sms: true });
    expect(telnyx).toEqual({ phoneNumber: "+13125550202", provider: "telnyx", voice: true, sms: true });
    expect(shared).toEqual({ phoneNumber: "+13125550201", onShared: "isolate", voice: true, sms: true });
  });
});

describe("where a stack's numbers come from", () => {
  it("a list in stack config, when no file is named", () => {
    const numbers = stackNumbers({
      numbers: [{ phoneNumber: "+14155550100", sms: false }],
      numbersFile: undefined,
      baseDir: dir,
    });
    expect(numbers).toEqual([{ phoneNumber: "+14155550100", voice: true, sms: false }]);
  });

  it("a file named relative to the base folder, YAML or JSON", () => {
    write("numbers.yaml", '- phoneNumber: "+14155550100"\n');
    write("numbers.json", '[{ "phoneNumber": "+14155550101", "provider": "twilio" }]');
    expect(stackNumbers({ numbers: undefined, numbersFile: "numbers.yaml", baseDir: dir })).toEqual([
      { phoneNumber: "+14155550100", voice: true, sms: true },
    ]);
    expect(stackNumbers({ numbers: undefined, numbersFile: "numbers.json", baseDir: dir })).toEqual([
      { phoneNumber: "+14155550101", provider: "twilio", voice: true, sms: true },
    ]);
  });

  it("refuses both a list and a file, rather than ignore one", () => {
    write("both.yaml", '- phoneNumber: "+14155550100"\n');
    expect(() =>
      stackNumbers({ numbers: [{ phoneNumber: "+14155550101" }], numbersFile: "both.yaml", baseDir: dir }),
    ).toThrow(/sets both numbers and numbersFile/);
  });

  it("refuses neither", () => {
    expect(() => stackNumbers({ numbers: undefined, numbersFile: undefined, baseDir: dir })).toThrow(
      /neither numbers .* nor numbersFile/,
    );
  });

  it("checks a config list as it checks a file", () => {
    expect(() =>
      stackNumbers({ numbers: [{ phoneNumber: "4155550100" }], numbersFile: undefined, baseDir: dir }),
    ).toThrow("Stack config numbers: 1 problem(s):\n  entry 0 (4155550100), phoneNumber: must be E.164");
  });
});

describe("a malformed numbers file", () => {
  it("names the file, each entry at fault (counting from 0) with its number, the field and the rule", () => {
    const path = write(
      "numbers.bad.yaml",
      [
        '- phoneNumber: "+14155550100"',
        '- phoneNumber: "+14155550101"',
        "  onShared: isolated",
        "- provider: twilio",
        '- phoneNumber: "+14155550103"',
        "  onshared: isolate",
        '- phoneNumber: "+14155550100"',
        '- phoneNumber: "+14155550105"',
        '  voice: "no"',
        "",
      ].join("\n"),
    );
    let message = "";
    try {
      readNumbersFile(path);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split("\n")).toEqual([
      `numbersFile ${path}: 5 problem(s):`,
      '  entry 1 (+14155550101), onShared: Invalid option: expected one of "refuse"|"update"|"isolate"',
      "  entry 2, phoneNumber: Invalid input: expected string, received undefined",
      '  entry 3 (+14155550103): Unrecognized key: "onshared"',
      "  entry 5 (+14155550105), voice: Invalid input: expected boolean, received string",
      "  entry 4 (+14155550100), phoneNumber: +14155550100 is already entry 0",
    ]);
  });

  it("names the file and the duplicate entries", () => {
    const path = write("dupes.yaml", '- phoneNumber: "+14155550100"\n- phoneNumber: "+14155550100"\n');
    expect(() => readNumbersFile(path)).toThrow(
      `numbersFile ${path}: 1 problem(s):\n  entry 1 (+14155550100), phoneNumber: +14155550100 is already entry 0`,
    );
  });

  it("names the file and the line of a YAML syntax error", () => {
    const path = write("broken.yaml", '- phoneNumber: "+14155550100"\n  voice: [true\n');
    expect(() => readNumbersFile(path)).toThrow(
      new RegExp(`^numbersFile ${path}: not valid YAML: .*"broken\\.yaml" \\(3:1\\)`, "s"),
    );
  });

  it("names the file when it is not a list, is empty, or an empty list", () => {
    const mapping = write("mapping.yaml", 'numbers:\n  - phoneNumber: "+14155550100"\n');
    const empty = write("empty.yaml", "# nothing yet\n");
    const emptyList = write("empty-list.yaml", "[]\n");
    expect(() => readNumbersFile(mapping)).toThrow(`numbersFile ${mapping}: must be a list of entries`);
    expect(() => readNumbersFile(empty)).toThrow(`numbersFile ${empty}: must be a list of entries`);
    expect(() => readNumbersFile(emptyList)).toThrow(
      `numbersFile ${emptyList}: 1 problem(s):\n  must list at least one number`,
    );
  });

  it("names the path when there is no such file", () => {
    expect(() => stackNumbers({ numbers: undefined, numbersFile: "missing.yaml", baseDir: dir })).toThrow(
      `numbersFile ${join(dir, "missing.yaml")}: cannot read it (ENOENT`,
    );
  });
});
