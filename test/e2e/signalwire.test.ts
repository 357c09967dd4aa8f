/**
 * SignalWire under the real engine: up takes over a LaML webhooks number (detected) and, with
 * switchHandlers, one a Relay application routes; a preview then shows no change; destroy gives
 * both their URLs, the handler and its application back, and releases nothing. The API token is
 * secret config: it is in no state and no output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerEnvironment } from "../../sandbox";
import { demoSeed } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "dev";
const PLAIN = "+16505550100";
const RELAY = "+16505550101";
const VOICE = "https://dev.example.com/voice";
const SMS = "https://dev.example.com/sms";

describe.skipIf(!binDir)("SignalWire numbers in a stack under the real engine", () => {
  let f: E2EFixture;
  const output: string[] = [];
  let before: Record<string, unknown> = {};

  beforeAll(async () => {
    const seed = {
      ...demoSeed(),
      signalwire: {
        phone_numbers: [
          { number: PLAIN, name: "main", call_request_url: "https://old.example.com/voice" },
          {
            number: RELAY,
            name: "desk",
            call_handler: "relay_application" as const,
            call_relay_application: "front-desk",
            message_request_url: "https://old.example.com/sms",
          },
        ],
      },
    };
    f = await E2EFixture.start(seed);
    before = Object.fromEntries([PLAIN, RELAY].map((n) => [n, f.sandbox.control.signalwireNumber(n)]));
    await f.initStack(STACK, []);
    const env = providerEnvironment(f.sandbox);
    f.secrets.push(env.SIGNALWIRE_API_TOKEN);
    await f.project.must([
      "config",
      "set",
      "--stack",
      STACK,
      "signalwire:projectId",
      env.SIGNALWIRE_PROJECT_ID,
    ]);
    await f.project.must([
      "config",
      "set",
      "--stack",
      STACK,
      "signalwire:spaceUrl",
      env.SIGNALWIRE_SPACE_URL,
    ]);
    await f.setSecret(STACK, "signalwire:apiToken", env.SIGNALWIRE_API_TOKEN);
    await f.declare(STACK, [
      { name: "sw-main", phoneNumber: PLAIN, voiceUrl: VOICE, smsUrl: SMS },
      { name: "sw-desk", phoneNumber: RELAY, provider: "signalwire", voiceUrl: VOICE, switchHandlers: true },
    ]);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("up takes both over, switching the Relay application's number to LaML webhooks", async () => {
    const up = await f.up(STACK);
    output.push(up.stdout, up.stderr);
    expectSuccess(up, "pulumi up");
    expect(f.sandbox.control.signalwireNumber(PLAIN)).toMatchObject({
      call_handler: "laml_webhooks",
      call_request_url: VOICE,
      message_request_url: SMS,
    });
    expect(f.sandbox.control.signalwireNumber(RELAY)).toMatchObject({
      call_handler: "laml_webhooks",
      call_request_url: VOICE,
    });
    const results = await f.results(STACK);
    expect(results["sw-main"]).toMatchObject({
      id: `signalwire:${PLAIN}`,
      message: `Successfully updated 2 webhook(s) for ${PLAIN} via signalwire`,
    });
    expect(results["sw-desk"]).toMatchObject({ id: `signalwire:${RELAY}`, webhooks: { voiceUrl: VOICE } });
    const state = await f.project.exportState(STACK);
    for (const secret of f.secrets) expect(state).not.toContain(secret);
  });

  it("a preview after up shows no change", async () => {
    const preview = await f.preview(STACK, "--expect-no-changes");
    output.push(preview.stdout, preview.stderr);
    expectSuccess(preview, "pulumi preview --expect-no-changes");
  });

  it("destroy gives back every URL, the handler and its application, and releases nothing", async () => {
    const destroy = await f.project.run(["destroy", "--yes", "--stack", STACK]);
    output.push(destroy.stdout, destroy.stderr);
    expectSuccess(destroy, "pulumi destroy");
    for (const n of [PLAIN, RELAY]) {
      const { updated_at: _after, ...now } = f.sandbox.control.signalwireNumber(n)!;
      const { updated_at: _before, ...then } = before[n] as typeof now & { updated_at: string };
      expect(now).toEqual(then);
    }
    expect(f.sandbox.control.releases()).toEqual([]);
    for (const secret of f.secrets) for (const text of output) expect(text).not.toContain(secret);
  });
});
