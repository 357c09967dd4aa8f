/**
 * The numbers file (provider/numbers-file.ts): its schema (the resource's arguments plus voice and
 * sms), the loader's errors, which must lead to the entry at fault, what it hands to a
 * PhoneNumberWebhooks and to a set, and the JSON Schema shipped for editors.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  numberArgs,
  parseNumberEntries,
  readNumbersFile,
  setMembers,
  type NumberEntry,
} from "../../provider/numbers-file";
import { NUMBERS_FILE_SCHEMA_PATH, numbersFileSchemaText } from "../../scripts/numbers-file-schema";

const EXAMPLES = join(__dirname, "..", "..", "examples");
const MULTI = join(EXAMPLES, "multi-environment");
const dir = mkdtempSync(join(tmpdir(), "numbers-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

/** Every numbers file the examples ship. */
const EXAMPLE_FILES = [
  ...readdirSync(MULTI)
    .filter((f) => /^numbers\..*\.yaml$/.test(f))
    .map((f) => join(MULTI, f)),
  join(EXAMPLES, "fleet", "numbers.dev.json"),
];

describe("the examples' numbers files", () => {
  it("are the ones expected", () => {
    expect(EXAMPLE_FILES.map((f) => f.slice(EXAMPLES.length + 1)).sort()).toEqual([
      "fleet/numbers.dev.json",
      "multi-environment/numbers.production.yaml",
      "multi-environment/numbers.staging.yaml",
    ]);
  });

  it("staging keeps each entry's settings", () => {
    expect(readNumbersFile(join(MULTI, "numbers.staging.yaml"))).toEqual([
      { phoneNumber: "+14155550101", provider: "twilio", voice: false },
      { phoneNumber: "+13125550202", provider: "telnyx" },
      { phoneNumber: "+13125550201", onShared: "isolate" },
    ]);
  });

  it("the fleet's JSON takes bare numbers and entries alike", () => {
    expect(readNumbersFile(join(EXAMPLES, "fleet", "numbers.dev.json"))).toEqual([
      { phoneNumber: "+14155550100" },
      { phoneNumber: "+14155550102", voiceUrl: "https://dev.your-app.example/webhooks/front-desk" },
    ]);
  });
});

describe("the JSON Schema for editors", () => {
  const shipped = JSON.parse(readFileSync(NUMBERS_FILE_SCHEMA_PATH, "utf8")) as object;
  const validate = new Ajv2020({ allErrors: true }).compile(shipped);

  it("is generated from the zod schema (run `npm run schema` after changing it)", () => {
    // Compared as JSON: Prettier formats the checked-in file.
    expect(shipped).toEqual(JSON.parse(numbersFileSchemaText()));
  });

  it.each(EXAMPLE_FILES.map((f) => [f.slice(EXAMPLES.length + 1), f]))("accepts %s", (_name, file) => {
    const data: unknown = parse(readFileSync(file, "utf8"));
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
  });

  it("refuses what the loader refuses: an unknown key, a number not E.164, a plain http URL, a bad enum", () => {
    for (const bad of [
      [{ phoneNumber: "+14155550100", voiceURL: "https://a.example/v" }],
      [{ phoneNumber: "4155550100" }],
      [{ phoneNumber: "+14155550100", smsUrl: "http://a.example/s" }],
      [{ phoneNumber: "+14155550100", onShared: "isolated" }],
      ["+1 415 555 0100"],
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(() => parseNumberEntries(bad, "test")).toThrow();
    }
  });
});

describe("reading a numbers file", () => {
  it("reads YAML and JSON, with the resource's argument names; methods are upper case", () => {
    const yaml = write(
      "numbers.yaml",
      [
        '- "+14155550100"',
        '- phoneNumber: "+14155550101"',
        "  provider: twilio",
        "  accountSid: AC0123456789abcdef0123456789abcdef",
        "  voiceUrl: https://a.example/voice",
        "  voiceMethod: get",
        "  sms: false",
        '- phoneNumber: "+13125550200"',
        "  smsUrl: https://a.example/sms",
        "  onShared: refuse",
        "",
      ].join("\n"),
    );
    expect(readNumbersFile(yaml)).toEqual([
      { phoneNumber: "+14155550100" },
      {
        phoneNumber: "+14155550101",
        provider: "twilio",
        accountSid: "AC0123456789abcdef0123456789abcdef",
        voiceUrl: "https://a.example/voice",
        voiceMethod: "GET",
        sms: false,
      },
      { phoneNumber: "+13125550200", smsUrl: "https://a.example/sms", onShared: "refuse" },
    ]);
    const json = write("numbers.json", '[{ "phoneNumber": "+14155550101", "provider": "twilio" }]');
    expect(readNumbersFile(json)).toEqual([{ phoneNumber: "+14155550101", provider: "twilio" }]);
  });

  it("takes an empty list (every entry commented out), as adopt may write it", () => {
    expect(readNumbersFile(write("none.yaml", '# - phoneNumber: "+14155550100"\n[]\n'))).toEqual([]);
  });

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
        '- phoneNumber: "+14155550106"',
        "  voiceUrl: http://a.example/voice",
        '- phoneNumber: "+14155550107"',
        "  voice: false",
        "  voiceFallbackUrl: https://a.example/fallback",
        "- 4155550108",
        "",
      ].join("\n"),
    );
    expect(failure(() => readNumbersFile(path)).split("\n")).toEqual([
      `numbers file ${path}: 8 problem(s):`,
      '  entry 1 (+14155550101), onShared: onShared must be "refuse", "update" or "isolate" (got "isolated")',
      "  entry 2, phoneNumber: phoneNumber is required: the number in E.164 format, like +14155551234",
      '  entry 3 (+14155550103), onshared: "onshared" is not a key of a numbers file entry; did you mean "onShared"?',
      "  entry 4 (+14155550100), phoneNumber: +14155550100 is already entry 0",
      "  entry 5 (+14155550105), voice: voice must be true or false",
      '  entry 6 (+14155550106), voiceUrl: Invalid URL format for voiceUrl: must be an absolute https:// URL with a host; webhooks are HTTPS only (got "http://a.example/voice")',
      "  entry 7 (+14155550107), voiceFallbackUrl: voice: false leaves the number's voice settings alone: remove voiceFallbackUrl, or voice: false",
      '  entry 8: must be "+1…" or { phoneNumber: "+1…", … }',
    ]);
  });

  it("names a number that is not E.164 with its E.164 form", () => {
    expect(failure(() => parseNumberEntries(["+1 415 555 0100"], "Stack config numbers"))).toBe(
      'Stack config numbers: 1 problem(s):\n  entry 0 (+1 415 555 0100): Invalid phone number format (must be E.164, like +14155551234): "+1 415 555 0100"; its E.164 form is "+14155550100"',
    );
  });

  it("never prints a URL's password", () => {
    const message = failure(() =>
      parseNumberEntries([{ phoneNumber: "+14155550100", voiceUrl: "http://user:s3cret@a.example/v" }], "t"),
    );
    expect(message).toContain("user:***@a.example");
    expect(message).not.toContain("s3cret");
  });

  it("names the file and the line of a YAML syntax error", () => {
    const path = write("broken.yaml", '- phoneNumber: "+14155550100"\n  voice: [true\n');
    expect(failure(() => readNumbersFile(path))).toMatch(
      new RegExp(`^numbers file ${path}: not valid YAML at line \\d+, column \\d+: `),
    );
  });

  it("names the file of a JSON syntax error, a file that is not a list, or is empty", () => {
    const json = write("broken.json", '["+14155550100",]');
    const mapping = write("mapping.yaml", 'numbers:\n  - phoneNumber: "+14155550100"\n');
    const empty = write("empty.yaml", "# nothing yet\n");
    expect(failure(() => readNumbersFile(json))).toMatch(`numbers file ${json}: not valid JSON: `);
    expect(failure(() => readNumbersFile(mapping))).toMatch(
      `numbers file ${mapping}: must be a list of entries`,
    );
    expect(failure(() => readNumbersFile(empty))).toBe(
      `numbers file ${empty}: must be a list of entries ("- phoneNumber: ..."), not empty`,
    );
  });

  it("names the path when there is no such file", () => {
    const path = join(dir, "missing.yaml");
    expect(failure(() => readNumbersFile(path))).toMatch(`numbers file ${path}: cannot read it (ENOENT`);
  });
});

describe("an entry's arguments for a PhoneNumberWebhooks", () => {
  const defaults = { voiceUrl: "https://base.example/voice", smsUrl: "https://base.example/sms" };

  it("the program's URLs, unless the entry gives its own or turns a side off", () => {
    expect(numberArgs({ phoneNumber: "+14155550100" }, defaults)).toEqual({
      phoneNumber: "+14155550100",
      ...defaults,
    });
    expect(
      numberArgs({ phoneNumber: "+14155550100", voiceUrl: "https://own.example/v", sms: false }, defaults),
    ).toEqual({ phoneNumber: "+14155550100", voiceUrl: "https://own.example/v" });
    expect(numberArgs({ phoneNumber: "+14155550100", voice: false, onShared: "isolate" }, defaults)).toEqual({
      phoneNumber: "+14155550100",
      smsUrl: defaults.smsUrl,
      onShared: "isolate",
    });
  });

  it("the entry's options over the program's", () => {
    const entry: NumberEntry = { phoneNumber: "+14155550100", provider: "twilio", onDelete: "retain" };
    expect(numberArgs(entry, { onDelete: "restore", preflight: true })).toEqual({
      phoneNumber: "+14155550100",
      provider: "twilio",
      onDelete: "retain",
      preflight: true,
    });
  });
});

describe("entries for a PhoneNumberWebhooksSet", () => {
  const entries = parseNumberEntries(
    [
      "+14155550100",
      { phoneNumber: "+14155550101", provider: "twilio", smsUrl: "https://own.example/s" },
      { phoneNumber: "+13125550200", provider: "telnyx", voiceUrl: "https://own.example/v" },
      { phoneNumber: "+14155550102", provider: "twilio", accountSid: "AC0123456789abcdef0123456789abcdef" },
    ],
    "test",
  );

  it("takes the entries of its carrier and account, with their own settings", () => {
    expect(setMembers(entries, { provider: "twilio", voiceUrl: "https://base.example/v" })).toEqual([
      { phoneNumber: "+14155550100" },
      { phoneNumber: "+14155550101", smsUrl: "https://own.example/s" },
    ]);
    expect(setMembers(entries, { provider: "telnyx" })).toEqual([
      { phoneNumber: "+14155550100" },
      { phoneNumber: "+13125550200", voiceUrl: "https://own.example/v" },
    ]);
    expect(
      setMembers(entries, { provider: "twilio", accountSid: "AC0123456789abcdef0123456789abcdef" }),
    ).toEqual([{ phoneNumber: "+14155550100" }, { phoneNumber: "+14155550102" }].slice(1));
  });

  it("refuses what a set cannot do per member, naming the entry and the field", () => {
    const odd = parseNumberEntries(
      [
        { phoneNumber: "+14155550100", provider: "twilio", voice: false },
        { phoneNumber: "+14155550101", onShared: "isolate" },
      ],
      "test",
    );
    expect(
      failure(() => setMembers(odd, { provider: "twilio", voiceUrl: "https://base.example/v" }, "f")),
    ).toBe(
      [
        "f: 2 problem(s):",
        "  entry 0 (+14155550100), voice: false, but the set declares voiceUrl for every member: declare the set without them (each member giving its own), or manage this number with a PhoneNumberWebhooks",
        '  entry 1 (+14155550101), onShared: "isolate" differs from the set\'s (null); a set applies one onShared to every member: give this number a set or a PhoneNumberWebhooks of its own',
      ].join("\n"),
    );
    // Without the set's own voice settings, voice: false is simply a member that declares none.
    expect(setMembers(odd.slice(0, 1), { provider: "twilio" })).toEqual([{ phoneNumber: "+14155550100" }]);
  });
});
