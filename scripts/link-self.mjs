// Links node_modules/pulumi-phone-webhooks to this checkout, so the examples (and the provider
// process, which `require`s the package from the program's directory) resolve the package exactly
// as they do once users install it.
import { lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const link = join(root, "node_modules", "pulumi-phone-webhooks");
mkdirSync(dirname(link), { recursive: true });
try {
  if (lstatSync(link)) rmSync(link, { recursive: true, force: true });
} catch {
  // not there yet
}
symlinkSync("..", link, "dir");
