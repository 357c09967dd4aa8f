/**
 * Writes numbers-file.schema.json (the JSON Schema of a numbers file, for editors) from the zod
 * schema: `npm run schema`. test/unit/numbers-file.test.ts fails when the file is out of date.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { numbersFileJsonSchema } from "../provider/numbers-file";

export const NUMBERS_FILE_SCHEMA_PATH = join(__dirname, "..", "numbers-file.schema.json");

/** The file's text: what the test compares the checked-in file with. */
export function numbersFileSchemaText(): string {
  return `${JSON.stringify(numbersFileJsonSchema(), null, 2)}\n`;
}

if (require.main === module) writeFileSync(NUMBERS_FILE_SCHEMA_PATH, numbersFileSchemaText());
