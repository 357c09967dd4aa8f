/**
 * Under the real engine: a Twilio number that joins a Messaging Service that does not defer to the
 * number's webhook shows in the refreshing preview as a change, and `up` fails naming the service,
 * until the service defers; a number in a subaccount, named by `accountSid`, is taken over and
 * given back with the parent's credentials, and the subaccount's token (which the provider reads
 * to see its Messaging Services) never reaches the state or the output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoSeed } from "../support/sandbox";
import { binDir, E2EFixture, expectSuccess } from "./support";

const STACK = "routing";
const MAIN = "+14155550100";
const ACME = "AC1a2b3c4d5e6f708192a3b4c5d6e7f8a1";
const ACME_TOKEN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const ACME_NUMBER = "+13105550111";
const SERVICE_URL = "https://legacy.example.com/messaging/marketing";
const SMS = "https://staging.example.com/sms";

function seed() {
  const s = demoSeed();
  s.twilio!.messaging_services = [
    { friendly_name: "marketing", use_inbound_webhook_on_number: false, inbound_request_url: SERVICE_URL },
  ];
  s.twilio!.subaccounts = [
    {
      friendly_name: "acme",
      account_sid: ACME,
      auth_token: ACME_TOKEN,
      incoming_phone_numbers: [{ phone_number: ACME_NUMBER, sms_url: "https://acme.example.com/sms" }],
    },
  ];
  return s;
}

describe.skipIf(!binDir)("Twilio Messaging Services and subaccounts under the real engine", () => {
  let f: E2EFixture;
  const outputs: string[] = [];
  const run = async (result: Promise<{ code: number; stdout: string; stderr: string }>) => {
    const r = await result;
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    f = await E2EFixture.start(seed());
    await f.initStack(STACK, [
      { name: "main-line", phoneNumber: MAIN, smsUrl: SMS },
      { name: "acme-sales", phoneNumber: ACME_NUMBER, accountSid: ACME, smsUrl: SMS },
    ]);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("takes over a main-account number and a subaccount number", async () => {
    expectSuccess(await run(f.up(STACK)), "pulumi up");
    expect(f.sandbox.control.twilioNumber(MAIN)!.sms_url).toBe(SMS);
    expect(f.sandbox.control.twilioNumber(ACME_NUMBER)!.sms_url).toBe(SMS);
    const acme = (await f.resourcesInState(STACK)).find((r) => r.id === `twilio:${ACME_NUMBER}`)!;
    expect(acme.outputs.accountSid).toBe(ACME);
    expectSuccess(await run(f.preview(STACK, "--expect-no-changes")), "preview after up");
  });

  it("a number that joined an overriding Messaging Service: the preview says why up would fail, and up fails so", async () => {
    f.sandbox.control.addNumberToMessagingService("marketing", MAIN);
    const sid = f.sandbox.control.twilioMessagingService("marketing")!.sid;
    const reason = `smsUrl would have no effect: ${MAIN} is in Messaging Service ${sid} ("marketing"), whose use_inbound_webhook_on_number is false`;
    const preview = await run(f.preview(STACK, "--diff"));
    expect(preview.code).not.toBe(0);
    // The refresh shows what overrides it; the check, what up would say.
    expect(preview.stdout).toContain(
      `smsUrl        : "Messaging Service ${sid} (use_inbound_webhook_on_number: false)"`,
    );
    expect(preview.stdout + preview.stderr).toContain(
      `resource 'main-line': property phoneNumber value {${MAIN}} has a problem: Failed to update webhooks for ${MAIN} via twilio: ${reason}`,
    );

    const up = await run(f.up(STACK));
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toContain(reason);
    expect(f.sandbox.control.twilioNumber(MAIN)!.sms_url).toBe(SMS);
  });

  it("has nothing to show once the service defers to the number's webhook", async () => {
    f.sandbox.control.editTwilioMessagingService("marketing", { use_inbound_webhook_on_number: true });
    expectSuccess(await run(f.up(STACK)), "pulumi up");
    expectSuccess(await run(f.preview(STACK, "--expect-no-changes")), "preview once the service defers");
  });

  it("destroy gives both numbers back their webhooks; no token reached the state or the output", async () => {
    const state = await f.project.exportState(STACK);
    expectSuccess(await run(f.project.run(["destroy", "--yes", "--stack", STACK])), "pulumi destroy");
    expect(f.sandbox.control.twilioNumber(MAIN)!.sms_url).toBe(
      demoSeed().twilio!.incoming_phone_numbers![0]!.sms_url,
    );
    expect(f.sandbox.control.twilioNumber(ACME_NUMBER)!.sms_url).toBe("https://acme.example.com/sms");
    for (const secret of [ACME_TOKEN, ...f.secrets]) {
      expect(state).not.toContain(secret);
      for (const output of outputs) expect(output).not.toContain(secret);
    }
    expect(f.sandbox.control.releases()).toEqual([]);
  });
});
