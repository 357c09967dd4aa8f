/**
 * Carriers own their facts: a carrier's name (any case, in an identifier, a string or a template;
 * comments aside) appears only in that carrier's own modules, the registries, and the public entry
 * points' re-exports. The generic code learns about carriers through the registries alone, so a new
 * carrier is its own modules plus one registry line.
 *
 * The names are the provider registry's.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CARRIER_NAMES } from "../../provider/carriers";
import { carrierNamesIn, misplacedCarrierNames, type NameRule } from "./carrier-names";

const REPO = join(__dirname, "..", "..");

/** A provider carrier's modules: its folder, or its file and the files named after it (`twilio-request-client.ts`). */
const providerCarrierModules = (carrier: string) =>
  readdirSync(join(REPO, "provider", "carriers"), { withFileTypes: true })
    .filter(
      (entry) =>
        entry.name === carrier ||
        entry.name.startsWith(`${carrier}.`) ||
        entry.name.startsWith(`${carrier}-`),
    )
    .map((entry) => `provider/carriers/${entry.name}${entry.isDirectory() ? "/" : ""}`);

const RULES: NameRule[] = [
  {
    root: "provider",
    ownModules: providerCarrierModules,
    registries: ["provider/carriers/index.ts"],
    entryPoints: ["provider/index.ts"],
  },
  {
    root: "sandbox",
    ownModules: (carrier) => [`sandbox/carriers/${carrier}/`],
    registries: ["sandbox/carriers/index.ts"],
    entryPoints: ["sandbox/index.ts"],
  },
];

describe("the carrier-name scanner", () => {
  const source = `
    // twilio in a comment does not count
    /** Nor in a doc comment: Telnyx */
    import { a } from "./x";
    export { TwilioThing } from "./twilio/state";
    const telnyxKey = 1;
    const path = "/_sandbox/TWILIO/numbers";
    const t = \`\${a} telnyx \${a}\`;
  `;
  const uses = carrierNamesIn("x.ts", source, ["twilio", "telnyx"]);

  it("finds names in identifiers, strings and templates, in any case, and not in comments", () => {
    expect(uses.map((u) => [u.line, u.carrier, u.text])).toEqual([
      [5, "twilio", "TwilioThing"],
      [5, "twilio", "./twilio/state"],
      [6, "telnyx", "telnyxKey"],
      [7, "twilio", "/_sandbox/TWILIO/numbers"],
      [8, "telnyx", " telnyx "],
    ]);
  });

  it("marks what is inside an export … from declaration as a re-export", () => {
    expect(uses.filter((u) => u.reExport).map((u) => u.text)).toEqual(["TwilioThing", "./twilio/state"]);
  });
});

describe.each(RULES)("carrier names under $root/", (rule) => {
  it("appear only in the carrier's own modules, the registries and the entry points' re-exports", () => {
    const misplaced = misplacedCarrierNames(REPO, rule, CARRIER_NAMES);
    expect(misplaced.map((u) => `${u.file}:${u.line} ${u.carrier} in ${JSON.stringify(u.text)}`)).toEqual([]);
  });

  it("would see a carrier's name in each carrier's own modules (the scan reads them)", () => {
    const everywhere: NameRule = { ...rule, ownModules: () => [], registries: [], entryPoints: [] };
    const found = new Set(misplacedCarrierNames(REPO, everywhere, CARRIER_NAMES).map((u) => u.carrier));
    expect([...found].sort()).toEqual([...CARRIER_NAMES].sort());
  });
});
