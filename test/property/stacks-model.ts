/**
 * A model of several Pulumi stacks sharing Telnyx objects, for fast-check's model-based commands.
 * Each stack has its own state and a new provider per operation (a new provider process), driven as
 * the engine drives a dynamic provider: check, diff, create, update, replace (create-before-delete,
 * or delete-before-replace), read (refresh) and delete. Invariants are checked from what each
 * sandbox number answers (the webhooks on the objects it is on), never from outputs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type * as pulumi from "@pulumi/pulumi";
import { PhoneNumberWebhooksProvider } from "../../provider/lifecycle";
import { PhoneNumberWebhooksSetProvider } from "../../provider/set-lifecycle";
import { decodeMemberRecords } from "../../provider/set-schema";
import { providerEnvironment, startSandbox, type Sandbox, type SandboxSeed } from "../../sandbox";
import { demoSeed } from "../support/sandbox";

export const STACKS = ["staging", "production", "qa"] as const;
export type StackName = (typeof STACKS)[number];

const IVR = { connection_name: "ivr-texml", messaging_profile_name: "ivr-sms" };
const SALES = { connection_name: "sales-app", messaging_profile_name: "sales-sms" };
/**
 * The numbers each stack may take (two stacks never declare one number). As the demo seed has it,
 * +…200 (production) and +…201 (staging) are alone on support-app and support-sms; ivr-texml and
 * ivr-sms carry every stack's numbers and one no stack takes; sales-app carries production's, qa's
 * and staging's +…210 (whose SMS is on ivr-sms), sales-sms a number no stack takes too. So objects
 * become used by one stack alone, shared between stacks, and shared with bystanders.
 */
export const POOLS: Record<StackName, string[]> = {
  staging: ["+13125550201", "+13125550206", "+13125550210"],
  production: ["+13125550200", "+13125550207", "+13125550203"],
  qa: ["+13125550204", "+13125550205", "+13125550202"],
};
/** Numbers no stack ever takes: they must keep answering what they answered at the start. */
export const BYSTANDERS = ["+13125550208", "+13125550209"];

export function modelSeed(): SandboxSeed {
  const seed = demoSeed();
  const t = seed.telnyx!;
  t.call_control_applications!.push({
    application_name: "sales-app",
    webhook_event_url: "https://legacy.example.com/telnyx/sales-events",
    webhook_api_version: "2",
  } as never);
  t.messaging_profiles!.push({
    name: "sales-sms",
    webhook_url: "https://legacy.example.com/telnyx/sales-sms",
    webhook_failover_url: "https://legacy-backup.example.com/telnyx/sales-sms",
    webhook_api_version: "2",
  } as never);
  const extra: Array<[string, object]> = [
    ["+13125550203", SALES],
    ["+13125550204", SALES],
    ["+13125550205", SALES],
    ["+13125550206", IVR],
    ["+13125550207", IVR],
    ["+13125550208", IVR],
    ["+13125550209", { connection_name: "ivr-texml", messaging_profile_name: "sales-sms" }],
    ["+13125550210", { connection_name: "sales-app", messaging_profile_name: "ivr-sms" }],
  ];
  for (const [phone_number, on] of extra) t.phone_numbers!.push({ phone_number, ...on } as never);
  return seed;
}

export type Mode = "isolate" | "refuse" | "update";

/** One resource of a stack's program. */
export interface ResourceDecl {
  name: string;
  kind: "number" | "set";
  /** One number (`number`), or the members (`set`). */
  numbers: string[];
  mode: Mode;
  deleteBeforeReplace: boolean;
  /** Changes the URLs: an update. */
  version: number;
  withPassword: boolean;
  withFallback: boolean;
}

/** What a stack's program declares: its resources, no number in two of them. */
export type Program = ResourceDecl[];

const FIELDS = ["voiceUrl", "voiceFallbackUrl", "smsUrl"] as const;
type Field = (typeof FIELDS)[number];
type Declared = Partial<Record<Field, string>>;

export function declaredOf(stack: StackName, r: ResourceDecl): Declared {
  const host = `${r.withPassword ? `${stack}:pw${r.version}@` : ""}${stack}.example.com`;
  const base = `https://${host}/${r.name}/v${r.version}`;
  const declared: Declared = { voiceUrl: `${base}/voice`, smsUrl: `${base}/sms` };
  if (r.withFallback) declared.voiceFallbackUrl = `${base}/voice-fallback`;
  return declared;
}

function argsOf(stack: StackName, r: ResourceDecl): Record<string, unknown> {
  const shared = { provider: "telnyx", onShared: r.mode, ...declaredOf(stack, r) };
  return r.kind === "number"
    ? { phoneNumber: r.numbers[0], ...shared }
    : { label: r.name, numbers: r.numbers, ...shared };
}

/** Either resource's dynamic provider, as the engine sees one. */
type Provider = Required<
  Pick<pulumi.dynamic.ResourceProvider, "check" | "diff" | "create" | "update" | "read" | "delete">
>;

/** A resource as the engine keeps it in a stack's state. */
interface Entry {
  decl: ResourceDecl;
  id: string;
  outs: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

/** A fault for the next operation: one write refused, or the process dying after some requests. */
export interface Fault {
  kind: "write-fails" | "dies";
  /** Requests (writes, for write-fails) let through first. */
  after: number;
}

export class Stack {
  resources = new Map<string, Entry>();
  /** Replaced resources whose delete has not succeeded yet: the engine retries it at the next up. */
  pendingDeletes: Entry[] = [];
  /** A failed or killed operation, or a console edit: the state may not say what the carrier has. */
  dirty = false;
  /**
   * The program of an `up` whose process died: what it did is not in the state (a create's outputs
   * never reached it), only in the journal. The documented recovery is to run `pulumi up` again
   * (after `pulumi cancel` and `pulumi refresh --clear-pending-creates`): the stack's next operation.
   */
  recovery?: Program;
  readonly journalDir: string;

  constructor(
    readonly name: StackName,
    private readonly world: World,
  ) {
    this.journalDir = world.journalPerStack
      ? mkdtempSync(join(tmpdir(), `pwh-${name}-`))
      : world.sharedJournal;
  }

  /** A new provider process. */
  private providers(): { numbers: Provider; sets: Provider } {
    const numbers = new PhoneNumberWebhooksProvider({
      env: { ...this.world.env, PHONE_WEBHOOKS_JOURNAL_DIR: this.journalDir },
    });
    return { numbers: numbers as Provider, sets: new PhoneNumberWebhooksSetProvider(numbers) as Provider };
  }

  /**
   * A number that one resource of the stack holds and another declares now: one `up` would have
   * two resources hold it at once (the new one takes it over before the old one gives it back).
   * Not modelled: a documented limitation (remove it from one, `up`, then declare it in the other).
   */
  movesBetweenResources(program: Program): boolean {
    const holder = new Map(this.held().map((h) => [h.phoneNumber, h.resource]));
    return program.some((r) =>
      r.numbers.some((n) => holder.has(n) && holder.get(n) !== `${this.name}/${r.name}`),
    );
  }

  /**
   * `pulumi up` as the README's projects run it (`refresh: always`): the state is read first, so
   * changes made in the portal show as drift and are written back.
   */
  async up(program: Program): Promise<void> {
    const p = this.providers();
    await this.readState(p);
    await this.finishPendingDeletes(p);
    for (const decl of program) {
      const args = argsOf(this.name, decl);
      const provider = decl.kind === "number" ? p.numbers : p.sets;
      const old = this.resources.get(decl.name);
      if (old && old.decl.kind !== decl.kind) throw new Error("a resource keeps its kind");
      const checked = await provider.check(old?.inputs, args);
      if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
      const inputs = checked.inputs as Record<string, unknown>;
      if (!old) {
        this.resources.set(decl.name, await this.create(provider, decl, inputs));
        continue;
      }
      const diff = await provider.diff(old.id, old.outs as never, inputs as never);
      if (diff.replaces?.length) {
        if (decl.deleteBeforeReplace) {
          await provider.delete(old.id, old.outs as never);
          this.resources.delete(decl.name);
          this.resources.set(decl.name, await this.create(provider, decl, inputs));
        } else {
          const created = await this.create(provider, decl, inputs);
          this.resources.set(decl.name, created);
          this.pendingDeletes.push(old);
          await provider.delete(old.id, old.outs as never);
          this.pendingDeletes = this.pendingDeletes.filter((e) => e !== old);
        }
      } else if (diff.changes) {
        const { outs } = await this.recordingPartial(decl, inputs, () =>
          provider.update(old.id, old.outs as never, inputs as never),
        );
        this.resources.set(decl.name, { decl, id: old.id, outs: outs as Record<string, unknown>, inputs });
      } else this.resources.set(decl.name, { ...old, decl, inputs });
    }
    const kept = new Set(program.map((d) => d.name));
    for (const [name, entry] of [...this.resources]) {
      if (kept.has(name)) continue;
      await this.providerOf(p, entry).delete(entry.id, entry.outs as never);
      this.resources.delete(name);
    }
  }

  async refresh(): Promise<void> {
    await this.readState(this.providers());
  }

  private async readState(p: ReturnType<Stack["providers"]>): Promise<void> {
    for (const [name, entry] of [...this.resources]) {
      const read = await this.providerOf(p, entry).read(entry.id, entry.outs as never);
      if (!read.id) this.resources.delete(name);
      else
        this.resources.set(name, {
          ...entry,
          outs: read.props as Record<string, unknown>,
          inputs: (read.inputs as Record<string, unknown>) ?? entry.inputs,
        });
    }
  }

  async destroy(): Promise<void> {
    const p = this.providers();
    await this.finishPendingDeletes(p);
    for (const [name, entry] of [...this.resources].reverse()) {
      await this.providerOf(p, entry).delete(entry.id, entry.outs as never);
      this.resources.delete(name);
    }
  }

  /** The numbers this stack's state holds, with the resource that holds each and its declared URLs. */
  held(): Array<{ phoneNumber: string; resource: string; mode: Mode; declared: Declared }> {
    const held = [];
    for (const [name, e] of this.resources) {
      const mode = (e.outs.onShared as Mode | undefined) ?? (e.outs.allowSharedUpdate ? "update" : "refuse");
      const declared: Declared = {};
      for (const f of FIELDS) if (typeof e.outs[f] === "string") declared[f] = e.outs[f] as string;
      const numbers =
        e.decl.kind === "number"
          ? [e.outs.phoneNumber as string]
          : Object.keys(decodeMemberRecords(e.outs.members));
      for (const phoneNumber of numbers)
        held.push({ phoneNumber, resource: `${this.name}/${name}`, mode, declared });
    }
    return held;
  }

  private providerOf(p: ReturnType<Stack["providers"]>, entry: Entry) {
    return entry.decl.kind === "number" ? p.numbers : p.sets;
  }

  private async create(
    provider: Provider,
    decl: ResourceDecl,
    inputs: Record<string, unknown>,
  ): Promise<Entry> {
    const { id, outs } = await this.recordingPartial(decl, inputs, () => provider.create(inputs as never));
    return { decl, id, outs: outs as Record<string, unknown>, inputs };
  }

  /** A set's partial failure: the engine records the members it did (ErrorResourceInitFailed). */
  private async recordingPartial<T>(
    decl: ResourceDecl,
    inputs: Record<string, unknown>,
    run: () => Promise<T>,
  ) {
    try {
      return await run();
    } catch (error) {
      const partial = error as { id?: string; properties?: Record<string, unknown> };
      if (partial.id && partial.properties && !this.world.dying) {
        const { __provider: _, ...outs } = partial.properties;
        this.resources.set(decl.name, { decl, id: partial.id, outs, inputs });
      }
      throw error;
    }
  }

  private async finishPendingDeletes(p: ReturnType<Stack["providers"]>): Promise<void> {
    for (const entry of [...this.pendingDeletes]) {
      await this.providerOf(p, entry).delete(entry.id, entry.outs as never);
      this.pendingDeletes = this.pendingDeletes.filter((e) => e !== entry);
    }
  }
}

/** What a number answers: every webhook of the objects it is on, from the sandbox's own state. */
type Answers = Record<string, string | null>;

export class World {
  stacks: Record<StackName, Stack>;
  readonly sharedJournal = mkdtempSync(join(tmpdir(), "pwh-machine-"));
  env: Record<string, string>;
  initial!: { answers: Map<string, Answers>; objects: Map<string, Answers> };
  /** The current operation runs under a fault that simulates the process dying. */
  dying = false;
  /**
   * Per object (voice or SMS holder), every resource that wrote it in place with consent since its
   * stack last converged on it: with two, the last to write wins, and destroying one gives the
   * object back its originals for every number on it until the other's next `up` (documented).
   */
  private readonly consentWriters = new Map<string, Set<string>>();
  readonly log: string[] = [];

  constructor(
    readonly sandbox: Sandbox,
    readonly journalPerStack: boolean,
  ) {
    this.env = {
      ...providerEnvironment(sandbox),
      PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS: "2000",
      PHONE_WEBHOOKS_RETRY_TIMEOUT_MS: "3000",
    };
    this.stacks = Object.fromEntries(STACKS.map((s) => [s, new Stack(s, this)])) as Record<StackName, Stack>;
    this.initial = {
      answers: this.answersByNumber(),
      objects: this.originalObjects(),
    };
  }

  close(): void {
    rmSync(this.sharedJournal, { recursive: true, force: true });
    for (const s of Object.values(this.stacks))
      if (s.journalDir !== this.sharedJournal) rmSync(s.journalDir, { recursive: true, force: true });
  }

  /** A stack whose last `up` died is recovered first (`pulumi up` again), as documented. */
  async recover(stack: Stack): Promise<void> {
    const recovery = stack.recovery;
    if (!recovery) return;
    stack.recovery = undefined;
    await this.run(stack, `recovery up ${stack.name}`, () => stack.up(recovery), undefined, true);
  }

  /** Runs one operation of a stack, with a fault if any; a failure makes the stack dirty. */
  async run(
    stack: Stack,
    what: string,
    operation: () => Promise<void>,
    fault?: Fault,
    /** An `up`: its success writes the stack's URLs again wherever it holds numbers. */
    converges = false,
  ): Promise<boolean> {
    const control = this.sandbox.control;
    if (fault?.kind === "write-fails")
      control.injectFault({ carrier: "telnyx", status: 422, method: "PATCH", skip: fault.after, times: 1 });
    if (fault?.kind === "dies") {
      // Every request after the first `after` fails: nothing after that point reaches the carrier,
      // undo included, as if the process had died there; the engine records nothing of it.
      control.injectFault({ carrier: "telnyx", status: 400, skip: fault.after, times: Infinity });
      this.dying = true;
    }
    try {
      await operation();
      stack.dirty = false;
      this.log.push(`${what}: ok`);
      this.noteConsent(converges ? stack : undefined);
      return true;
    } catch (error) {
      stack.dirty = true;
      this.noteConsent();
      this.log.push(
        `${what}: failed (${error instanceof Error ? error.message.slice(0, 300) : String(error)})`,
      );
      return false;
    } finally {
      control.clearFaults();
      this.dying = false;
    }
  }

  answersByNumber(): Map<string, Answers> {
    const t = this.sandbox.control.state().telnyx;
    const answers = new Map<string, Answers>();
    for (const n of t.phone_numbers)
      answers.set(n.phone_number, this.answersOf(n.connection_id ?? null, n.messaging_profile_id ?? null));
    return answers;
  }

  /** Which objects a number is on (voice, SMS). */
  holdersOf(phoneNumber: string): string[] {
    const n = this.sandbox.control.telnyxNumber(phoneNumber)!;
    return [`voice:${n.connection_id}`, `sms:${n.messaging_profile_id}`];
  }

  /** An empty URL and none are the same to Telnyx (and to this package). */
  private answersOf(connectionId: string | null, profileId: string | null): Answers {
    return unsetEmpty(this.rawAnswersOf(connectionId, profileId));
  }

  private rawAnswersOf(connectionId: string | null, profileId: string | null): Answers {
    const t = this.sandbox.control.state().telnyx;
    const cca = t.call_control_applications.find((o) => o.id === connectionId);
    const texml = t.texml_applications.find((o) => o.id === connectionId);
    const profile = t.messaging_profiles.find((o) => o.id === profileId);
    return {
      connection: cca ? "cca" : texml ? "texml" : connectionId ? "other" : null,
      voiceUrl: cca?.webhook_event_url ?? texml?.voice_url ?? null,
      voiceFallbackUrl: cca?.webhook_event_failover_url ?? texml?.voice_fallback_url ?? null,
      voiceMethod: texml?.voice_method ?? null,
      statusCallbackUrl: texml?.status_callback ?? null,
      smsUrl: profile?.webhook_url ?? null,
      smsFallbackUrl: profile?.webhook_failover_url ?? null,
    };
  }

  private originalObjects(): Map<string, Answers> {
    const objects = new Map<string, Answers>();
    for (const [id, answers] of this.rawObjects()) objects.set(id, unsetEmpty(answers));
    return objects;
  }

  private rawObjects(): Map<string, Answers> {
    const t = this.sandbox.control.state().telnyx;
    const objects = new Map<string, Answers>();
    for (const o of t.call_control_applications)
      objects.set(o.id, {
        voiceUrl: o.webhook_event_url ?? null,
        voiceFallbackUrl: o.webhook_event_failover_url ?? null,
      });
    for (const o of t.texml_applications)
      objects.set(o.id, { voiceUrl: o.voice_url ?? null, voiceFallbackUrl: o.voice_fallback_url ?? null });
    for (const o of t.messaging_profiles)
      objects.set(o.id, { smsUrl: o.webhook_url ?? null, smsFallbackUrl: o.webhook_failover_url ?? null });
    return objects;
  }

  private nameOfObject(id: string): string {
    const t = this.sandbox.control.state().telnyx;
    const o = [...t.call_control_applications, ...t.texml_applications, ...t.messaging_profiles].find(
      (x) => x.id === id,
    );
    return o ? `${nameOf(o)} (${id})` : id;
  }

  /**
   * Records who wrote objects with consent; after a successful `up` of `converged`, its resources
   * alone are the writers of the objects only they hold with consent now.
   */
  noteConsent(converged?: Stack): void {
    const holders = new Map<string, Set<string>>();
    for (const s of Object.values(this.stacks))
      for (const h of s.held())
        if (h.mode === "update")
          for (const x of this.holdersOf(h.phoneNumber))
            holders.set(x, (holders.get(x) ?? new Set()).add(h.resource));
    for (const [x, now] of holders) {
      const writers = this.consentWriters.get(x) ?? new Set();
      if (converged && [...now].every((r) => r.startsWith(`${converged.name}/`))) writers.clear();
      for (const r of now) writers.add(r);
      this.consentWriters.set(x, writers);
    }
  }

  /**
   * Invariants 1 to 4, from what each number answers. Skipped while a stack is dirty (a failure or
   * a console edit it has not converged from yet); the next check after its next success counts.
   */
  violations(): string[] {
    const stacks = Object.values(this.stacks);
    this.noteConsent();
    if (stacks.some((s) => s.dirty)) return [];
    const answers = this.answersByNumber();
    const held = stacks.flatMap((s) => s.held().map((h) => ({ ...h, stack: s.name })));
    const heldBy = new Map(held.map((h) => [h.phoneNumber, h]));
    const problems: string[] = [];
    // Numbers on an object that a consenting resource (onShared: "update") holds a number on in
    // place: every number on it answers the consenting resource's URLs, by design.
    const consented = new Map<string, string[]>();
    for (const h of held.filter((h) => h.mode === "update"))
      for (const holder of this.holdersOf(h.phoneNumber))
        consented.set(holder, [...(consented.get(holder) ?? []), h.resource]);
    const consentedBy = (phone: string) => this.holdersOf(phone).flatMap((x) => consented.get(x) ?? []);

    // 1. A held number answers its stack's declared URLs (two consenting resources on one object:
    //    the last to write it wins, documented).
    for (const h of held) {
      const writers = this.holdersOf(h.phoneNumber).flatMap((x) => [...(this.consentWriters.get(x) ?? [])]);
      if (h.mode === "update" && writers.some((w) => w !== h.resource)) continue;
      const now = answers.get(h.phoneNumber)!;
      for (const [field, url] of Object.entries(h.declared))
        if (now[field] !== url)
          problems.push(
            `1: ${h.phoneNumber} (held by ${h.resource}) answers ${field} ${now[field]}, not ${url}`,
          );
    }
    // 2. A number no stack holds answers exactly what it answered at the start.
    for (const [phone, now] of answers) {
      if (heldBy.has(phone) || consentedBy(phone).length) continue;
      const before = this.initial.answers.get(phone)!;
      for (const field of Object.keys(before))
        if (field !== "connection" && now[field] !== before[field])
          problems.push(
            `2: ${phone} (held by no stack) answers ${field} ${now[field]}, not ${before[field]}`,
          );
    }
    // 3. An original changed only by a resource that holds a number on it with consent, or that
    //    holds every number on it (and every number isolated off it).
    const t = this.sandbox.control.state().telnyx;
    for (const [id, before] of this.initial.objects) {
      const o =
        t.call_control_applications.find((x) => x.id === id) ??
        t.texml_applications.find((x) => x.id === id) ??
        t.messaging_profiles.find((x) => x.id === id);
      const now = (o ? this.originalObjects().get(id) : undefined) ?? {};
      const changed = Object.keys(before).some((f) => now[f] !== before[f]);
      if (!changed) continue;
      const on = t.phone_numbers.filter((n) => n.connection_id === id || n.messaging_profile_id === id);
      const copies = [...t.call_control_applications, ...t.texml_applications, ...t.messaging_profiles]
        .filter((c) => nameOf(c).endsWith(`[copy of ${id}]`))
        .map((c) => c.id);
      const returning = t.phone_numbers.filter(
        (n) => copies.includes(n.connection_id ?? "") || copies.includes(n.messaging_profile_id ?? ""),
      );
      const users = [...on, ...returning].map((n) => n.phone_number);
      const resources = new Set(users.map((u) => heldBy.get(u)?.resource ?? `none:${u}`));
      const consent = on.some((n) => heldBy.get(n.phone_number)?.mode === "update");
      if (!consent && !(resources.size === 1 && on.length && [...resources][0]!.includes("/")))
        problems.push(
          `3: original ${id} changed, used by ${users.join(", ")} (${[...resources].join(", ")})`,
        );
    }
    // 4. Every stack destroyed: every number, application and profile as it was; no copy left.
    if (stacks.every((s) => s.resources.size === 0 && s.pendingDeletes.length === 0)) {
      const left = [...this.rawObjects().keys()].filter((id) => !this.initial.objects.has(id));
      if (left.length)
        problems.push(
          `4: ${left.length} object(s) left behind after every stack was destroyed: ${left.map((id) => this.nameOfObject(id)).join(", ")}`,
        );
      for (const [id, before] of this.initial.objects) {
        const now = this.originalObjects().get(id);
        for (const f of Object.keys(before))
          if (now?.[f] !== before[f])
            problems.push(`4: original ${id} ${f} is ${now?.[f]}, not ${before[f]}`);
      }
    }
    return problems;
  }
}

function unsetEmpty(answers: Answers): Answers {
  return Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, v === "" ? null : v]));
}

/** An application's or profile's name, as the portal shows it. */
function nameOf(o: object): string {
  const named = o as { application_name?: string; friendly_name?: string; name?: string };
  return named.application_name ?? named.friendly_name ?? named.name ?? "";
}

// ---------------------------------------------------------------------------------------------
// Commands

type Real = World;
type Model = { commands: number };

function check(world: World, after: string): void {
  const problems = world.violations();
  if (problems.length)
    throw new Error(
      `Invariants broken after ${after}:\n${problems.join("\n")}\n\nHistory:\n${world.log.join("\n")}`,
    );
}

export class UpCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly stack: StackName,
    readonly program: Program,
    readonly fault?: Fault,
  ) {}
  check = () => true;
  async run(_m: Model, world: Real): Promise<void> {
    const stack = world.stacks[this.stack];
    await world.recover(stack);
    if (stack.movesBetweenResources(this.program)) return;
    const ok = await world.run(stack, this.toString(), () => stack.up(this.program), this.fault, true);
    if (!ok && this.fault?.kind === "dies") stack.recovery = this.program;
    check(world, this.toString());
  }
  toString(): string {
    const resources = this.program.map(
      (r) =>
        `${r.name}:${r.kind}[${r.numbers.join(",")}] ${r.mode} v${r.version}${r.deleteBeforeReplace ? " dbr" : ""}${r.withPassword ? " pw" : ""}${r.withFallback ? " fb" : ""}`,
    );
    return `up ${this.stack} {${resources.join("; ")}}${this.fault ? ` with ${this.fault.kind} after ${this.fault.after}` : ""}`;
  }
}

export class DestroyCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly stack: StackName,
    readonly fault?: Fault,
  ) {}
  check = () => true;
  async run(_m: Model, world: Real): Promise<void> {
    const stack = world.stacks[this.stack];
    await world.recover(stack);
    await world.run(stack, this.toString(), () => stack.destroy(), this.fault);
    check(world, this.toString());
  }
  toString(): string {
    return `destroy ${this.stack}${this.fault ? ` with ${this.fault.kind} after ${this.fault.after}` : ""}`;
  }
}

export class RefreshCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly stack: StackName) {}
  check = () => true;
  async run(_m: Model, world: Real): Promise<void> {
    const stack = world.stacks[this.stack];
    await world.recover(stack);
    const wasDirty = stack.dirty;
    await world.run(stack, this.toString(), () => stack.refresh());
    // A refresh writes nothing: it does not converge a dirty stack.
    stack.dirty = wasDirty || stack.dirty;
    check(world, this.toString());
  }
  toString(): string {
    return `refresh ${this.stack}`;
  }
}

/** A person changes a held number's voice URL in the portal, on an object only that stack uses. */
export class ConsoleEditCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly stack: StackName,
    readonly pick: number,
  ) {}
  check = () => true;
  async run(_m: Model, world: Real): Promise<void> {
    const stack = world.stacks[this.stack];
    const held = stack.held().filter((h) => h.mode !== "update");
    if (!held.length || stack.dirty) return;
    const target = held[this.pick % held.length]!;
    const connectionId = world.sandbox.control.telnyxNumber(target.phoneNumber)!.connection_id;
    const t = world.sandbox.control.state().telnyx;
    const on = t.phone_numbers.filter((n) => n.connection_id === connectionId).map((n) => n.phone_number);
    const mine = new Set(stack.held().map((h) => h.phoneNumber));
    if (!connectionId || on.some((n) => !mine.has(n))) return;
    const isTexml = t.texml_applications.some((o) => o.id === connectionId);
    world.sandbox.control.editTelnyx(
      isTexml ? "texml_applications" : "call_control_applications",
      connectionId,
      isTexml
        ? { voice_url: "https://console.example.com/edit" }
        : { webhook_event_url: "https://console.example.com/edit" },
    );
    stack.dirty = true;
    world.log.push(`${this.toString()}: edited ${connectionId} (${target.phoneNumber})`);
  }
  toString(): string {
    return `console edit in ${this.stack} (#${this.pick})`;
  }
}

const resourceArb = (stack: StackName, name: string, kind: "number" | "set", numbers: string[]) =>
  fc.record({
    name: fc.constant(name),
    kind: fc.constant(kind),
    numbers: fc.constant(numbers),
    mode: fc.constantFrom<Mode>("isolate", "isolate", "isolate", "refuse", "update"),
    deleteBeforeReplace: fc.boolean(),
    version: fc.integer({ min: 0, max: 1 }),
    withPassword: fc.boolean(),
    withFallback: fc.boolean(),
  });

/** A program: each of the stack's numbers in a per-number resource, in the set, or undeclared. */
const programArb = (stack: StackName): fc.Arbitrary<Program> =>
  fc
    .tuple(fc.shuffledSubarray(POOLS[stack], { minLength: 0, maxLength: 3 }), fc.integer({ min: 0, max: 3 }))
    .chain(([numbers, split]) => {
      const single = numbers.slice(0, Math.min(split, 2));
      const members = numbers.slice(single.length);
      const parts: Array<fc.Arbitrary<ResourceDecl>> = single.map((n, i) =>
        resourceArb(stack, `web${i}`, "number", [n]),
      );
      if (members.length) parts.push(resourceArb(stack, "fleet", "set", [...members].sort()));
      return fc.tuple(...parts);
    });

const faultArb: fc.Arbitrary<Fault | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant<Fault["kind"]>("write-fails"),
      after: fc.integer({ min: 0, max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant<Fault["kind"]>("dies"),
      after: fc.integer({ min: 1, max: 25 }),
    }),
  },
);

const stackArb = fc.constantFrom(...STACKS);

export const commandArbs: Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> = [
  stackArb.chain((s) => fc.tuple(programArb(s), faultArb).map(([p, f]) => new UpCommand(s, p, f))),
  stackArb.chain((s) => faultArb.map((f) => new DestroyCommand(s, f))),
  stackArb.map((s) => new RefreshCommand(s)),
  fc.tuple(stackArb, fc.nat(5)).map(([s, n]) => new ConsoleEditCommand(s, n)),
];

/** Destroys every stack (retrying once without faults) and checks invariant 4. */
export async function tearDown(world: World): Promise<void> {
  for (const stack of Object.values(world.stacks)) {
    await world.recover(stack);
    if (!(await world.run(stack, `final destroy ${stack.name}`, () => stack.destroy())))
      await world.run(stack, `final destroy ${stack.name} (again)`, () => stack.destroy());
  }
  check(world, "destroying every stack");
}

/**
 * Keeps the destroy warnings (thousands in a soak) off the output: they reach the Pulumi CLI in a
 * real run, and the model checks what the numbers answer instead. Returns the restore function.
 */
export function quietWarnings(): () => void {
  // Outside the engine, `pulumi.log.warn` writes them with console.warn.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith("warning: ")) warn(...args);
  };
  return () => {
    console.warn = warn;
  };
}

/** A program's resource, with the usual defaults, for regression tests. */
export function resource(
  name: string,
  numbers: string[],
  mode: Mode,
  extra: Partial<Omit<ResourceDecl, "name" | "numbers" | "mode">> = {},
): ResourceDecl {
  return {
    name,
    kind: name.startsWith("fleet") ? "set" : "number",
    numbers,
    mode,
    deleteBeforeReplace: false,
    version: 0,
    withPassword: false,
    withFallback: false,
    ...extra,
  };
}

/**
 * Runs one sequence of commands against a fresh sandbox, then destroys every stack, checking the
 * invariants after each command: a shrunk counterexample, kept as a regression test.
 */
export async function replay(
  commands: Array<fc.AsyncCommand<Model, Real>>,
  options: { journalPerStack?: boolean } = {},
): Promise<string[]> {
  const sandbox = await startSandbox({ port: 0, seed: modelSeed() });
  const world = new World(sandbox, options.journalPerStack ?? false);
  try {
    const model: Model = { commands: 0 };
    for (const command of commands) await command.run(model, world);
    await tearDown(world);
    return world.log;
  } finally {
    world.close();
    await sandbox.close();
  }
}

export interface ModelRunOptions {
  seed?: number;
  numRuns: number;
  maxCommands: number;
  /** Called with how many commands each sequence ran. */
  onSequence?: (commands: number) => void;
}

/** Runs the model-based test against one sandbox, reset before each sequence. */
export async function runModel(options: ModelRunOptions): Promise<void> {
  const sandbox = await startSandbox({ port: 0, seed: modelSeed() });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.commands(commandArbs, { maxCommands: options.maxCommands, size: "max" }),
        async (perStack, cmds) => {
          sandbox.control.loadSeed(modelSeed());
          const world = new World(sandbox, perStack);
          try {
            const model: Model = { commands: 0 };
            await fc.asyncModelRun(() => ({ model, real: world }), cmds);
            await tearDown(world);
            options.onSequence?.([...cmds].length + 1);
          } finally {
            world.close();
          }
        },
      ),
      { numRuns: options.numRuns, seed: options.seed, endOnFailure: false, verbose: 1 },
    );
  } finally {
    await sandbox.close();
  }
}
