/**
 * `npm run demo`: the main job, for real, on the local sandbox. Builds (once) and uses the Pulumi
 * CLI, starts the sandbox with the demo seed, and runs examples/multi-environment with a throwaway
 * backend: up for staging and production, a console change, the preview that shows it, the up
 * that fixes it, and destroy, which gives every number its webhooks back. Leaves nothing behind.
 *
 * On Telnyx, staging's and production's numbers start on one shared application and profile (with
 * a third number no stack manages); `onShared: "isolate"` moves each onto copies of its own, and
 * destroy moves them back and deletes the copies.
 */
import { readFileSync } from "node:fs";
import { demoSeedPath, providerEnvironment, startSandbox, type SandboxSeed } from "../sandbox";
import { multiEnvironmentFiles } from "./example-project";
import { ensurePulumiCli, PulumiProject } from "./pulumi-project";
import { snapshot, telnyxObjectCount, type Snapshot } from "./webhook-snapshot";

const SEED_PATH = demoSeedPath();
const STACKS = ["staging", "production"] as const;
const DRIFTED_NUMBER = "+14155550100";
/** Another team's number on the shared Telnyx application and profile: in no stack, never touched. */
const BYSTANDER = "+13125550203";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`==> ${s}`)}\n`);

function printTable(columns: Array<[string, Snapshot]>): void {
  const numbers = Object.keys(columns[0]![1]);
  const rows = [["number", "carrier", "webhook", ...columns.map(([title]) => title)]];
  for (const n of numbers)
    for (const kind of ["voice", "sms", "on objects"] as const)
      rows.push([n, columns[0]![1][n]!.carrier, kind, ...columns.map(([, snap]) => snap[n]![kind])]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

async function main(): Promise<void> {
  step("Provisioning the Pulumi CLI (built from the Go module proxy on first run)");
  const binDir = await ensurePulumiCli();
  const seed = JSON.parse(readFileSync(SEED_PATH, "utf8")) as SandboxSeed;
  seed.telnyx!.phone_numbers!.push({
    phone_number: BYSTANDER,
    connection_name: "support-app",
    messaging_profile_name: "support-sms",
  } as NonNullable<NonNullable<SandboxSeed["telnyx"]>["phone_numbers"]>[number]);
  const sandbox = await startSandbox({ port: 0, seed });
  console.log(
    `Sandbox carriers at ${sandbox.url} (Twilio and Telnyx APIs, seeded from sandbox/seeds/demo.json)`,
  );

  const project = new PulumiProject({
    binDir,
    files: multiEnvironmentFiles(STACKS),
    // Credentials as a pipeline would pass them; the sandbox stands in for api.twilio.com and api.telnyx.com.
    env: providerEnvironment(sandbox),
  });

  try {
    const objectCount = () => telnyxObjectCount(sandbox);
    const objectsBefore = objectCount();
    const before = snapshot(sandbox, seed);
    for (const stack of STACKS) {
      await project.must(["stack", "init", stack]);
      step(`pulumi up --stack ${stack}`);
      await project.must(["up", "--yes", "--stack", stack], { stream: true });
    }
    const applied = snapshot(sandbox, seed);
    const copiesMade = objectCount() - objectsBefore;

    step(`Someone edits ${DRIFTED_NUMBER}'s voice URL in the Twilio console`);
    sandbox.control.editTwilioNumber(DRIFTED_NUMBER, { voice_url: "https://old-ivr.example.net/answer" });
    console.log(`voice_url of ${DRIFTED_NUMBER} is now https://old-ivr.example.net/answer`);

    step("pulumi preview --stack production (refresh is on: the drift shows as an update)");
    await project.must(["preview", "--diff", "--stack", "production"], { stream: true });

    step("pulumi up --stack production puts it back");
    await project.must(["up", "--yes", "--stack", "production"], { stream: true });

    for (const stack of STACKS) {
      step(`pulumi destroy --stack ${stack}: every number gets its previous webhooks back`);
      await project.must(["destroy", "--yes", "--stack", stack], { stream: true });
    }
    const restored = snapshot(sandbox, seed);

    step("Every number's webhooks: before, after `pulumi up`, after `pulumi destroy`");
    printTable([
      ["before", before],
      ["after up", applied],
      ["after destroy", restored],
    ]);
    const releases = sandbox.control.releases().length;
    const same = JSON.stringify(before) === JSON.stringify(restored);
    const copiesLeft = objectCount() - objectsBefore;
    const bystanderUntouched = JSON.stringify(applied[BYSTANDER]) === JSON.stringify(before[BYSTANDER]);
    console.log(
      `\nRestored exactly: ${same ? "yes" : "NO"}. Numbers released: ${releases}. ` +
        `Telnyx copies made by up (onShared: "isolate"): ${copiesMade}; left after destroy: ${copiesLeft}. ` +
        `${BYSTANDER} (in no stack) untouched by up: ${bystanderUntouched ? "yes" : "NO"}.`,
    );
    if (!same || releases > 0 || copiesLeft !== 0 || !bystanderUntouched) process.exitCode = 1;
  } finally {
    await sandbox.close();
    project.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
