/**
 * Issue 18 under the real engine: stacks that share Telnyx objects. On the demo seed, +13125550200
 * and +13125550201 share one Call Control application ("support-app") and one messaging profile
 * ("support-sms"), and nothing else is on them. Every check is made from what each number ANSWERS
 * in the sandbox (the webhook URLs of the application and profile it is on), never from outputs:
 * 1. while a stack holds a number, the number answers that stack's URLs;
 * 2. a number no stack holds answers exactly what it answered at the start;
 * 3. once every stack is destroyed, the numbers, the application and the profile are as at the
 *    start, and no other application or profile exists.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, E2EFixture, expectSuccess, filesUnder, type NumberDeclaration } from "./support";

const PRODUCTION_NUMBER = "+13125550200";
const STAGING_NUMBER = "+13125550201";
/** Production's SMS URL carries a password: it must never reach staging. */
const PRODUCTION_PASSWORD = "prod-Pa55word-7Qz";
const STAGING_URLS = {
  voiceUrl: "https://staging.example.com/voice",
  smsUrl: "https://staging.example.com/sms",
};
const PRODUCTION_URLS = {
  voiceUrl: "https://example.com/voice",
  smsUrl: `https://user:${PRODUCTION_PASSWORD}@example.com/sms`,
};

/** What a number answers: the webhooks of the application and the profile it is on. */
interface Answers {
  voiceUrl: unknown;
  voiceFallbackUrl: unknown;
  smsUrl: unknown;
  smsFallbackUrl: unknown;
}

type CliResult = { code: number; stdout: string; stderr: string };

/** A Telnyx object or number without the timestamp every write bumps. */
function withoutTimes<T extends { updated_at?: unknown }>(
  o: T | undefined,
): Omit<T, "updated_at"> | undefined {
  if (!o) return o;
  const { updated_at: _updated, ...rest } = o;
  return rest;
}

/**
 * The sandbox as a test reads it: what each number answers and where it is, the objects by name,
 * and a snapshot of everything that must be as at the start once every stack is destroyed. Made
 * at the start: the original application and profile are the ones the numbers are on then.
 */
function observe(f: E2EFixture) {
  const control = () => f.sandbox.control;
  const number = (n: string) => {
    const found = control().telnyxNumber(n);
    if (!found) throw new Error(`no Telnyx number ${n} in the sandbox`);
    return found;
  };
  const app = (id: string) => control().telnyxObject("call_control_applications", id);
  const profile = (id: string) => control().telnyxObject("messaging_profiles", id);
  const answers = (n: string): Answers => {
    const { connection_id: c, messaging_profile_id: p } = number(n);
    const a = c ? app(c) : undefined;
    const m = p ? profile(p) : undefined;
    if (!a) throw new Error(`${n} is on no Call Control application (connection ${String(c)})`);
    if (!m) throw new Error(`${n} is on no messaging profile (${String(p)})`);
    return {
      voiceUrl: a.webhook_event_url,
      voiceFallbackUrl: a.webhook_event_failover_url,
      smsUrl: m.webhook_url,
      smsFallbackUrl: m.webhook_failover_url,
    };
  };
  const seed = f.sandbox.control.telnyxNumber(PRODUCTION_NUMBER)!;
  const originals = { app: seed.connection_id!, profile: seed.messaging_profile_id! };
  const names = () => {
    const t = control().state().telnyx;
    return {
      applications: t.call_control_applications.map((o) => String(o.application_name)).sort(),
      profiles: t.messaging_profiles.map((o) => String(o.name)).sort(),
    };
  };
  const snapshot = () => {
    const t = control().state().telnyx;
    return {
      numbers: Object.fromEntries(
        [PRODUCTION_NUMBER, STAGING_NUMBER].map((n) => [n, withoutTimes(number(n))]),
      ),
      application: withoutTimes(app(originals.app)),
      profile: withoutTimes(profile(originals.profile)),
      counts: {
        applications: t.call_control_applications.length,
        texml: t.texml_applications.length,
        profiles: t.messaging_profiles.length,
        numbers: t.phone_numbers.length,
      },
    };
  };
  return { originals, number, app, profile, answers, names, snapshot };
}

/** What a stack declares on top of what a number answered: its voice and SMS URLs, nothing else. */
function declaredOver(start: Answers, urls: { voiceUrl: string; smsUrl: string }): Answers {
  return { ...start, voiceUrl: urls.voiceUrl, smsUrl: urls.smsUrl };
}

const output = (r: CliResult) => r.stdout + r.stderr;

/** Staging holds +…201 and production +…200, both isolated; production's SMS URL is a secret. */
async function initStacks(f: E2EFixture): Promise<void> {
  await f.initStack("staging", [
    { name: "line", phoneNumber: STAGING_NUMBER, ...STAGING_URLS, onShared: "isolate" },
  ]);
  await f.initStack("production", [
    {
      name: "line",
      phoneNumber: PRODUCTION_NUMBER,
      voiceUrl: PRODUCTION_URLS.voiceUrl,
      smsUrl: "secret:productionSmsUrl",
      onShared: "isolate",
    },
  ]);
  await f.setSecret("production", "productionSmsUrl", PRODUCTION_URLS.smsUrl);
}

describe.skipIf(!binDir)("stacks on shared Telnyx objects (issue 18)", () => {
  for (const { order, title } of [
    { order: ["staging", "production"] as const, title: "destroyed in the natural order" },
    { order: ["production", "staging"] as const, title: "destroyed production first" },
  ])
    describe(`two stacks, one number each, ${title}`, () => {
      let f: E2EFixture;
      beforeAll(async () => {
        f = await E2EFixture.start();
      });
      afterAll(async () => {
        await f?.close();
      });

      it("each number answers its own stack while held, its original webhooks once not, and nothing is left", async () => {
        const s = observe(f);
        const numberOf = { staging: STAGING_NUMBER, production: PRODUCTION_NUMBER };
        const start = {
          snapshot: s.snapshot(),
          names: s.names(),
          production: s.answers(PRODUCTION_NUMBER),
          staging: s.answers(STAGING_NUMBER),
        };
        // The seed as the issue describes it: both numbers on one application and one profile.
        const originals = s.originals;
        expect(s.number(STAGING_NUMBER)).toMatchObject({
          connection_id: originals.app,
          messaging_profile_id: originals.profile,
        });
        const originalObjects = () => ({ app: s.app(originals.app), profile: s.profile(originals.profile) });
        const untouched = originalObjects();
        /** What each number answers while its stack holds it. */
        const held = {
          staging: declaredOver(start.staging, STAGING_URLS),
          production: declaredOver(start.production, PRODUCTION_URLS),
        };

        await initStacks(f);
        const stagingRuns: CliResult[] = [];
        const holding = new Set<"staging" | "production">();
        // After every command: what each number answers, and the originals never written (the other
        // number is on them, or on a copy of them and coming back: neither stack may write them).
        const expectAnswers = (what: string) => {
          for (const stack of ["staging", "production"] as const)
            expect(s.answers(numberOf[stack]), `${numberOf[stack]} after ${what}`).toEqual(
              holding.has(stack) ? held[stack] : start[stack],
            );
          expect(originalObjects(), `the original objects after ${what}`).toEqual(untouched);
        };

        for (const stack of ["staging", "production"] as const) {
          const up = await f.up(stack);
          if (stack === "staging") stagingRuns.push(up);
          expectSuccess(up, `up ${stack}`);
          holding.add(stack);
          expectAnswers(`up ${stack}`);
        }
        for (const stack of order) {
          const destroyed = await f.project.run(["destroy", "--yes", "--stack", stack]);
          if (stack === "staging") stagingRuns.push(destroyed);
          expectSuccess(destroyed, `destroy ${stack}`);
          holding.delete(stack);
          expectAnswers(`destroy ${stack}`);
          // The number is back on the original objects, not on a copy of its own.
          expect(s.number(numberOf[stack])).toMatchObject({
            connection_id: originals.app,
            messaging_profile_id: originals.profile,
          });
          // The other stack is not disturbed: a refreshing preview sees no change.
          const other = order.find((o) => holding.has(o));
          if (other) {
            const preview = await f.preview(other, "--expect-no-changes");
            if (other === "staging") stagingRuns.push(preview);
            expectSuccess(preview, `${other} unaffected`);
          }
        }
        expect(s.snapshot()).toEqual(start.snapshot);
        expect(s.names()).toEqual(start.names);

        // Production's password never reached staging: not its state (every file of it the backend
        // keeps, history and backups included), not its outputs, not its CLI output.
        const stagingFiles = filesUnder(f.project.backend).filter((p) => p.includes("staging"));
        expect(stagingFiles.length).toBeGreaterThan(0);
        for (const file of stagingFiles)
          expect(readFileSync(file, "utf8"), file).not.toContain(PRODUCTION_PASSWORD);
        expect(await f.project.exportState("staging", "--show-secrets")).not.toContain(PRODUCTION_PASSWORD);
        const outputs = await f.project.run([
          "stack",
          "output",
          "--stack",
          "staging",
          "--json",
          "--show-secrets",
        ]);
        expect(output(outputs)).not.toContain(PRODUCTION_PASSWORD);
        for (const run of stagingRuns) expect(output(run)).not.toContain(PRODUCTION_PASSWORD);
      });
    });

  describe("one stack replaces its number", () => {
    let f: E2EFixture;
    beforeAll(async () => {
      f = await E2EFixture.start();
    });
    afterAll(async () => {
      await f?.close();
    });

    /** `line` on `phoneNumber`, isolated, with staging's URLs; `options` are resource options. */
    const line = (phoneNumber: string, options: Record<string, unknown>): NumberDeclaration => ({
      name: "line",
      phoneNumber,
      ...STAGING_URLS,
      onShared: "isolate",
      options,
    });

    async function replaceThenDestroy(stack: string, options: { deleteBeforeReplace?: boolean }) {
      f.sandbox.control.reset();
      const s = observe(f);
      const start = {
        snapshot: s.snapshot(),
        names: s.names(),
        from: s.answers(PRODUCTION_NUMBER),
        to: s.answers(STAGING_NUMBER),
      };
      const originals = s.originals;
      const untouched = { app: s.app(originals.app), profile: s.profile(originals.profile) };
      const expectOriginalsUntouched = (what: string) =>
        expect({ app: s.app(originals.app), profile: s.profile(originals.profile) }, what).toEqual(untouched);

      await f.initStack(stack, [line(PRODUCTION_NUMBER, options)]);
      expectSuccess(await f.up(stack), "up");
      expect(s.answers(PRODUCTION_NUMBER)).toEqual(declaredOver(start.from, STAGING_URLS));
      expect(s.answers(STAGING_NUMBER)).toEqual(start.to);
      expectOriginalsUntouched("after up");

      await f.declare(stack, [line(STAGING_NUMBER, options)]);
      f.sandbox.control.clearLog();
      const replaced = await f.up(stack);
      expectSuccess(replaced, "up that replaces the number");
      // The engine ran the replacement in the order asked: the new number's copy is made before the
      // old number goes home (create-before-delete), or after (deleteBeforeReplace).
      const requests = f.sandbox.control.requests();
      const copyMade = requests.findIndex(
        (r) => r.method === "POST" && r.path === "/v2/call_control_applications",
      );
      const wentHome = requests.findIndex(
        (r) =>
          r.method === "PATCH" &&
          r.path === `/v2/phone_numbers/${s.number(PRODUCTION_NUMBER).id}` &&
          (r.body as Record<string, unknown> | undefined)?.connection_id === originals.app,
      );
      expect(copyMade).toBeGreaterThanOrEqual(0);
      expect(wentHome).toBeGreaterThanOrEqual(0);
      expect(copyMade < wentHome).toBe(!options.deleteBeforeReplace);
      expect(output(replaced)).toMatch(/replaced/);
      // The number left answers its original webhooks, from the original objects; the new one the
      // declared URLs; the originals were never written.
      expect(s.answers(PRODUCTION_NUMBER), `${PRODUCTION_NUMBER} after the replace`).toEqual(start.from);
      expect(s.number(PRODUCTION_NUMBER)).toMatchObject({
        connection_id: originals.app,
        messaging_profile_id: originals.profile,
      });
      expect(s.answers(STAGING_NUMBER), `${STAGING_NUMBER} after the replace`).toEqual(
        declaredOver(start.to, STAGING_URLS),
      );
      expectOriginalsUntouched("after the replace");
      // Exactly one copy of each original: the new number's.
      expect(s.snapshot().counts).toEqual({
        ...start.snapshot.counts,
        applications: start.snapshot.counts.applications + 1,
        profiles: start.snapshot.counts.profiles + 1,
      });
      // What the CLI says about the number left: back on each original, which is true (above).
      const text = output(replaced);
      for (const [label, id] of [
        ["Call Control application", originals.app],
        ["messaging profile", originals.profile],
      ])
        expect(text).toContain(
          `${PRODUCTION_NUMBER} is back on ${label} ${id}, which answers its previous webhooks`,
        );
      expect(text).not.toContain(`${STAGING_NUMBER} is back on`);

      const destroyed = await f.project.run(["destroy", "--yes", "--stack", stack]);
      expectSuccess(destroyed, "destroy");
      expect(s.answers(PRODUCTION_NUMBER)).toEqual(start.from);
      expect(s.answers(STAGING_NUMBER)).toEqual(start.to);
      expectOriginalsUntouched("after destroy");
      expect(s.snapshot()).toEqual(start.snapshot);
      expect(s.names()).toEqual(start.names);
    }

    it("create-before-delete (the default): the number left answers its original webhooks", async () => {
      await replaceThenDestroy("replace", {});
    });

    it("deleteBeforeReplace: the same", async () => {
      await replaceThenDestroy("replace-dbr", { deleteBeforeReplace: true });
    });
  });

  /**
   * Before the marker, a copy was named `<original name> (<number>)` and an object that only the
   * stack's own number was left on was written in place, though another stack's number would come
   * back to it. The state recorded the copies by id only (`isolated`), as it still does: a stack
   * deployed then is the same state with copies whose names carry no marker. This builds that
   * through the CLI: staging isolates its number, its copies are renamed as the old code named
   * them (a console edit), then production's `up` finds its number alone on the originals and
   * writes them in place, as the old rule did.
   */
  describe("stacks deployed under the old rule (copies without a marker)", () => {
    let f: E2EFixture;
    beforeAll(async () => {
      f = await E2EFixture.start();
    });
    afterAll(async () => {
      await f?.close();
    });

    it("destroy still restores: the number is kept on a copy with its webhooks until the original answers them again", async () => {
      const s = observe(f);
      const start = {
        snapshot: s.snapshot(),
        names: s.names(),
        production: s.answers(PRODUCTION_NUMBER),
        staging: s.answers(STAGING_NUMBER),
      };
      const originals = s.originals;
      await initStacks(f);

      expectSuccess(await f.up("staging"), "up staging");
      const copies = {
        app: s.number(STAGING_NUMBER).connection_id!,
        profile: s.number(STAGING_NUMBER).messaging_profile_id!,
      };
      expect(copies.app).not.toBe(originals.app);
      expect(copies.profile).not.toBe(originals.profile);
      // The state records the copies by id: what the old code recorded.
      expect((await f.results("staging")).line!.isolated).toEqual([
        {
          holds: "voice",
          objectType: "call_control_application",
          originalId: originals.app,
          copyId: copies.app,
        },
        {
          holds: "sms",
          objectType: "messaging_profile",
          originalId: originals.profile,
          copyId: copies.profile,
        },
      ]);
      // The names the old code gave them.
      f.sandbox.control.editTelnyx("call_control_applications", copies.app, {
        application_name: `support-app (${STAGING_NUMBER})`,
      });
      f.sandbox.control.editTelnyx("messaging_profiles", copies.profile, {
        name: `support-sms (${STAGING_NUMBER})`,
      });

      // Production's number is alone on the originals as far as anyone can see: written in place.
      expectSuccess(await f.up("production"), "up production");
      expect(s.number(PRODUCTION_NUMBER)).toMatchObject({
        connection_id: originals.app,
        messaging_profile_id: originals.profile,
      });
      expect(s.answers(PRODUCTION_NUMBER)).toEqual(declaredOver(start.production, PRODUCTION_URLS));
      expect(s.answers(STAGING_NUMBER)).toEqual(declaredOver(start.staging, STAGING_URLS));

      // Destroy staging: the original answers production's URLs, so the number is not moved back
      // onto it (the old rule did that) but onto a copy kept for it with its previous webhooks.
      const destroyStaging = await f.project.run(["destroy", "--yes", "--stack", "staging"]);
      expectSuccess(destroyStaging, "destroy staging");
      expect(s.answers(STAGING_NUMBER), `${STAGING_NUMBER} after destroy staging`).toEqual(start.staging);
      expect(s.answers(PRODUCTION_NUMBER)).toEqual(declaredOver(start.production, PRODUCTION_URLS));
      const kept = {
        app: s.number(STAGING_NUMBER).connection_id!,
        profile: s.number(STAGING_NUMBER).messaging_profile_id!,
      };
      expect(kept.app).not.toBe(originals.app);
      expect(kept.profile).not.toBe(originals.profile);
      expect(s.app(kept.app)).toMatchObject({
        application_name: `support-app (${STAGING_NUMBER}) [kept copy of ${originals.app}]`,
      });
      expect(s.profile(kept.profile)).toMatchObject({
        name: `support-sms (${STAGING_NUMBER}) [kept copy of ${originals.profile}]`,
      });
      // The old copies are gone; the kept ones are the only extra objects.
      expect(s.app(copies.app)).toBeUndefined();
      expect(s.profile(copies.profile)).toBeUndefined();
      expect(s.snapshot().counts).toEqual({
        ...start.snapshot.counts,
        applications: start.snapshot.counts.applications + 1,
        profiles: start.snapshot.counts.profiles + 1,
      });
      // The CLI says where the number is, and does not claim it is back on the originals; it names
      // what the original answers now without production's password.
      const said = output(destroyStaging);
      expect(said).toContain(
        `${STAGING_NUMBER} answers its previous webhooks from Call Control application ${kept.app}, a copy kept for it`,
      );
      expect(said).toContain(
        `${STAGING_NUMBER} answers its previous webhooks from messaging profile ${kept.profile}, a copy kept for it`,
      );
      expect(said).not.toContain(`${STAGING_NUMBER} is back on`);
      expect(said).not.toContain(PRODUCTION_PASSWORD);

      // Destroy production: the originals get their webhooks back, and the kept number goes home.
      const destroyProduction = await f.project.run(["destroy", "--yes", "--stack", "production"]);
      expectSuccess(destroyProduction, "destroy production");
      expect(s.answers(PRODUCTION_NUMBER)).toEqual(start.production);
      expect(s.answers(STAGING_NUMBER)).toEqual(start.staging);
      expect(s.snapshot()).toEqual(start.snapshot);
      expect(s.names()).toEqual(start.names);
      expect(output(destroyProduction)).toContain(
        `${STAGING_NUMBER} is back on Call Control application ${originals.app}, which answers its previous webhooks again; the copy ${kept.app} kept for it was deleted`,
      );
    });
  });
});
