/**
 * The dynamic-provider lifecycle of `PhoneNumberWebhooksSet`: many numbers under one resource.
 * Each member goes through the per-number lifecycle (`takeOver`, `converge`, `refreshNumber`,
 * `restoreNumber`: the same finds, checks, journal, writes, verification and undo), a bounded
 * number at a time. The set adds membership (a list and a selector evaluated at every `check`), a
 * compact record per member, and partial failure: members that fail are named, the others stay
 * applied and recorded, and the next `pulumi up` finishes only the failed ones.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CarrierIds, Isolation, NumberGroup } from "./carriers/carrier";
import { CARRIER_ID_KEYS, CARRIER_NAMES, carrierDescriptor, type CarrierName } from "./carriers";
import type { JournalEntry } from "./journal";
import { WebhookError } from "./errors";
import { status } from "./engine-log";
import { mapLimit } from "./concurrency";
import { compactHeapFor } from "./heap";
import { ProgressMeter } from "./progress";
import { NO_CREDENTIALS } from "./config";
import {
  CARRIER_CHECKS_SKIPPED,
  originalKey,
  sharedProvider,
  warn,
  type MemberOptions,
  type PhoneNumberWebhooksProvider,
  type PreflightMemo,
} from "./lifecycle";
import { isUnknown, sharedMode, UNKNOWN, type CheckedArgs, type PhoneNumberWebhooksOutputs } from "./schema";
import {
  checkSetArgs,
  DEFAULT_CONCURRENCY,
  listedMembers,
  memberSettings,
  memberStateSchema,
  type DeclaredSettings,
  setCarrier,
  SHARED_ARG_NAMES,
  shownOverrides,
  type CheckedSetArgs,
  type MemberState,
  type SetOutputs,
  setOutputsFromState,
  setOutputsToState,
  type StoredSetOutputs,
} from "./set-schema";
import {
  describeValue,
  UNSET_WEBHOOKS,
  WEBHOOK_FIELDS,
  type WebhookChanges,
  type WebhookField,
} from "./webhooks";

/** How many failed members an error lists with their reasons; the rest by number only. */
const REASONS_SHOWN = 20;

/** How many journal entries a set reads at once. */
const JOURNAL_READS_AT_ONCE = 64;

/** One member's failure in an operation. */
interface MemberFailure {
  phoneNumber: string;
  reason: string;
}

export class PhoneNumberWebhooksSetProvider implements pulumi.dynamic.ResourceProvider {
  constructor(private readonly numbers: PhoneNumberWebhooksProvider) {}

  configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    return this.numbers.configure(req);
  }

  /**
   * Validates the arguments, then finds the members: the listed numbers, and the account's
   * numbers `select` matches now (so numbers bought since the last run join at this one). Then
   * asks the carrier what `up` would refuse for the members it would act on (see
   * `previewRefusals`): a preview names them.
   */
  async check(
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.CheckResult> {
    const checked = checkSetArgs(news, { allowPrivateHosts: this.numbers.allowPrivateHosts() });
    if (checked.failures.length) return checked;
    const inputs = checked.inputs as Omit<CheckedSetArgs, "members">;
    let members: CheckedSetArgs["members"];
    try {
      members = await this.findMembers(inputs);
    } catch (error) {
      // A selector naming nothing in the account is the argument's failure; a carrier that fails
      // or refuses the credentials is the operation's.
      if (!(error instanceof WebhookError && error.message.startsWith("select"))) throw error;
      return { inputs: checked.inputs, failures: [{ property: "select", reason: error.message }] };
    }
    if (typeof members === "object") compactHeapFor(Object.keys(members).length);
    const args = { ...inputs, members };
    const refused = await this.previewRefusals(olds ?? {}, args);
    // No property: the failure names its members, and the engine would print the whole list.
    return { inputs: args, failures: refused ? [{ property: "", reason: refused }] : [] };
  }

  /**
   * What `up` would refuse for the members it would act on: those that join, and those whose
   * settings changed since the stored inputs (or every member, when the set's own did; after a
   * refresh, a member whose live values differ). Each is asked as one `PhoneNumberWebhooks` would
   * be (`previewNumber`, with the set as its group), `concurrency` at a time; the failures read as
   * an `up`'s partial failure does, member by member, in the same words. `undefined`: nothing.
   */
  private async previewRefusals(
    olds: Record<string, unknown>,
    args: CheckedSetArgs,
  ): Promise<string | undefined> {
    const wanted = args.members;
    if (typeof wanted === "string" || SHARED_ARG_NAMES.some((name) => isUnknown(args[name])))
      return undefined;
    const ask = await this.numbers.askCarriers(setCarrier(args));
    if (typeof ask === "string") return ask;
    if (!ask) return undefined;
    const members = Object.keys(wanted);
    const acted = actedOn(olds, args, wanted);
    if (!acted.length) return undefined;
    // Members that want two values on one object: refused before any member is asked, as by `up`
    // (planning alone would find it or not, depending on which members plan at the same time).
    try {
      await this.refuseConflictingValues(args, members);
    } catch (error) {
      if (error instanceof WebhookError && error.kind === "conflict") return error.message;
      throw error;
    }
    const group = groupOf(args, members, []);
    // A member already in the set: isolating, its plan depends on the set's copies, which `check`
    // does not see; a new onShared plans every setting, as its update will.
    const before = olds.members && typeof olds.members === "object" ? olds.members : {};
    const isolating = sharedMode(args) === "isolate";
    const modeChanged = sharedMode(olds as Partial<CheckedSetArgs>) !== sharedMode(args);
    const outcome = await this.forEachMember(args, acted, "checked", async (phoneNumber) => {
      const existing = phoneNumber in before;
      await this.numbers.previewNumber(this.memberArgs(args, phoneNumber), {
        group,
        plan: !(isolating && existing),
        planAll: existing && modeChanged,
      });
      return undefined;
    });
    if (!outcome.failed.length) return undefined;
    return failureMessage("apply", outcome.failed, members.length, "would fail to");
  }

  async diff(_id: string, state: StoredSetOutputs, news: CheckedSetArgs): Promise<pulumi.dynamic.DiffResult> {
    const olds = setOutputsFromState(state);
    compactHeapFor(olds.memberCount ?? 0);
    const replaces: string[] = [];
    if (news.provider !== undefined && (isUnknown(news.provider) || news.provider !== olds.provider))
      replaces.push("provider");
    if (news.accountSid !== undefined && (isUnknown(news.accountSid) || news.accountSid !== olds.accountSid))
      replaces.push("accountSid");
    let changes = replaces.length > 0;
    if ((news.onDelete ?? "restore") !== (olds.onDelete ?? "restore")) changes = true;
    if (sharedMode(news) !== sharedMode(olds)) changes = true;
    if (typeof news.members === "string" || SHARED_ARG_NAMES.some((name) => isUnknown(news[name])))
      changes = true;
    else {
      const stored = olds.members ?? {};
      const wanted = Object.keys(news.members);
      if (wanted.length !== Object.keys(stored).length || wanted.some((n) => !stored[n])) changes = true;
      // A member whose join failed and that is no longer declared gets back what it had.
      if (olds.failedToJoin?.some((n) => !stored[n])) changes = true;
      const listed = listedMembers(news.numbers);
      const before = listedMembers(olds.numbers);
      for (const phoneNumber of wanted) {
        if (changes) break;
        const member = stored[phoneNumber]!;
        changes =
          memberChanged(
            member.declared ?? memberSettings(olds, before.get(phoneNumber)),
            memberSettings(news, listed.get(phoneNumber)),
            member,
          ) || (member.onShared ?? sharedMode(olds)) !== sharedMode(news);
      }
    }
    return { changes, replaces };
  }

  async create(
    inputs: CheckedSetArgs & Record<string, unknown>,
  ): Promise<pulumi.dynamic.CreateResult<StoredSetOutputs>> {
    const args = this.validated(inputs);
    const members = Object.keys(args.members);
    await this.refuseConflictingValues(args, members);
    const group = groupOf(args, members, [], await this.journaledCopies(args, members));
    const preflights: PreflightMemo = new Map();
    const outcome = await this.forEachMember(args, members, "applied", async (phoneNumber) => {
      const outs = await this.numbers.takeOver(this.memberArgs(args, phoneNumber), {
        group,
        preflights,
        keepJournal: true,
      });
      return compactMember(args, outs);
    });
    const outs = setOutputs(
      args,
      outcome.done,
      outcome.failed.map((f) => f.phoneNumber),
    );
    const id = `${setCarrier(args) ?? "detected"}:${args.label}`;
    if (outcome.failed.length) throw partialFailure(id, outs, inputs, outcome.failed, members.length);
    return { id, outs };
  }

  /**
   * Reads every member. Inputs mirror the arguments, with each member's live values where they
   * differ from what it declares, so a refreshing preview shows drift under the member's number;
   * a member the account no longer has is shown as `released` and leaves the state.
   */
  async read(id: string, state?: StoredSetOutputs): Promise<pulumi.dynamic.ReadResult> {
    if (!state?.members) return { id, props: state };
    const props = setOutputsFromState(state);
    const args = props;
    const stored = Object.keys(props.members);
    const listed = listedMembers(args.numbers);
    const shown: Record<string, WebhookChanges & { released?: true }> = {};
    const outcome = await this.forEachMember(args, stored, "read", async (phoneNumber) => {
      const member = props.members[phoneNumber]!;
      // The state holds the member now: a journal entry kept by the create that added it goes
      // (once the state holds every copy it names).
      const refreshed = await this.numbers.refreshNumber(memberOutputs(args, phoneNumber, member));
      if (!refreshed) {
        shown[phoneNumber] = { released: true };
        return undefined;
      }
      const declared = memberSettings(args, listed.get(phoneNumber));
      const live = refreshed.inputs as WebhookChanges;
      const own = shownOverrides(listed.get(phoneNumber) ?? {});
      for (const field of Object.keys(declared) as WebhookField[])
        if (live[field] !== declared[field]) own[field] = live[field] ?? null;
      shown[phoneNumber] = own;
      return withDeclared(compactMember(args, refreshed.outs), member);
    });
    // A read that fails for some members drops nothing: they keep what the state had.
    if (outcome.failed.length)
      throw new WebhookError(failureMessage("read", outcome.failed, stored.length), "carrier");
    const outs = setOutputs(args, outcome.done, props.failedToJoin);
    const inputs: Record<string, unknown> = { ...declaredArgs(args), members: sortedRecord(shown) };
    return { id, props: outs, inputs };
  }

  async update(
    id: string,
    state: StoredSetOutputs,
    news: CheckedSetArgs & Record<string, unknown>,
  ): Promise<pulumi.dynamic.UpdateResult<StoredSetOutputs>> {
    const olds = setOutputsFromState(state);
    const args = this.validated(news);
    const wanted = args.members;
    const stored = olds.members ?? {};
    // A member whose join failed before is retried if still declared, else given back what it had.
    const unjoined = (olds.failedToJoin ?? []).filter((phoneNumber) => !stored[phoneNumber]);
    const all = [...new Set([...Object.keys(stored), ...Object.keys(wanted), ...unjoined])].sort();
    await this.refuseConflictingValues(args, Object.keys(wanted));
    const group = groupOf(
      args,
      Object.keys(wanted),
      Object.values(stored),
      await this.journaledCopies(args, all),
    );
    const listed = listedMembers(args.numbers);
    const before = listedMembers(olds.numbers);
    const preflights: PreflightMemo = new Map();
    const joining = Object.keys(wanted).filter((phoneNumber) => !stored[phoneNumber]);
    const originals = await this.originalsOf(olds, joining);
    const notes: string[] = [];
    const outcome = await this.forEachMember(args, all, "applied", async (phoneNumber) => {
      const member = stored[phoneNumber];
      if (!member && !wanted[phoneNumber]) {
        notes.push(...(await this.giveBackUnjoined(olds, phoneNumber, group)));
        return undefined;
      }
      if (!member) {
        const outs = await this.numbers.takeOver(this.memberArgs(args, phoneNumber), {
          group,
          preflights,
          originals,
          keepJournal: true,
        });
        return compactMember(args, outs);
      }
      if (!wanted[phoneNumber]) {
        // Leaving, it gives way to the members that stay on an object it shares with them.
        notes.push(
          ...(await this.numbers.restoreNumber(memberOutputs(olds, phoneNumber, member), {
            group,
            previous: member.previous,
          })),
        );
        return undefined;
      }
      const unchanged =
        !memberChanged(
          member.declared ?? memberSettings(olds, before.get(phoneNumber)),
          memberSettings(args, listed.get(phoneNumber)),
          member,
        ) &&
        (args.onDelete ?? "restore") === (olds.onDelete ?? "restore") &&
        sharedMode(args) === (member.onShared ?? sharedMode(olds));
      if (unchanged) {
        await this.numbers.journal().forget(member.provider ?? setCarrier(args)!, phoneNumber);
        return member;
      }
      const options: MemberOptions = {
        group,
        preflights,
        detected: member.provider !== undefined,
        previous: member.previous,
      };
      return compactMember(
        args,
        await this.numbers.converge(
          memberOutputs(olds, phoneNumber, member),
          this.memberArgs(args, phoneNumber),
          options,
        ),
      );
    });
    if (notes.length) await warnAll(notes);
    // A member that failed keeps its record (a leave or update is retried), or stays out (a join).
    // Its live values are read again: another member may have written an object they share. Not
    // an isolated member's: a read would forget the journal, which may hold a copy the failed
    // attempt could not remove.
    const kept = outcome.failed.map((f) => f.phoneNumber).filter((phoneNumber) => stored[phoneNumber]);
    const rereadable = kept.filter((phoneNumber) => !stored[phoneNumber]!.isolated);
    // No progress: only the failed members, after the progress of the update itself.
    const reread = await this.forEachMember(args, rereadable, undefined, async (phoneNumber) => {
      const refreshed = await this.numbers.refreshNumber(
        memberOutputs(olds, phoneNumber, stored[phoneNumber]!),
      );
      return refreshed && compactMember(olds, refreshed.outs);
    });
    // What it declared stays with it: the set's arguments now say what it did not get.
    for (const phoneNumber of kept) {
      const member = stored[phoneNumber]!;
      const record = reread.done[phoneNumber] ?? member;
      outcome.done[phoneNumber] = withDeclared(record, {
        declared: member.declared ?? memberSettings(olds, before.get(phoneNumber)),
        onShared: member.onShared ?? sharedMode(olds),
      });
    }
    const outs = setOutputs(
      args,
      outcome.done,
      outcome.failed.map((f) => f.phoneNumber).filter((phoneNumber) => !stored[phoneNumber]),
    );
    if (outcome.failed.length) throw partialFailure(id, outs, news, outcome.failed, all.length);
    return { outs };
  }

  /** Gives every member back its previous webhooks (per `onDelete`). Members that fail are retried by the next destroy. */
  async delete(_id: string, state: StoredSetOutputs): Promise<void> {
    const props = setOutputsFromState(state);
    const stored = props.members ?? {};
    const members = Object.keys(stored);
    const unjoined = (props.failedToJoin ?? []).filter((phoneNumber) => !stored[phoneNumber]);
    const group = groupOf(props, members, Object.values(stored));
    const notes: string[] = [];
    const outcome = await this.forEachMember(
      props,
      [...members, ...unjoined],
      "restored",
      async (phoneNumber) => {
        const member = stored[phoneNumber];
        if (!member) {
          notes.push(...(await this.giveBackUnjoined(props, phoneNumber, group)));
          return undefined;
        }
        notes.push(
          ...(await this.numbers.restoreNumber(memberOutputs(props, phoneNumber, member), {
            group,
            previous: member.previous,
          })),
        );
        return undefined;
      },
    );
    if (notes.length) await warnAll(notes);
    if (outcome.failed.length)
      throw new WebhookError(
        `${failureMessage("restore", outcome.failed, members.length)}. Every other member has its previous webhooks back; run \`pulumi destroy\` again to finish`,
        "carrier",
      );
  }

  /**
   * A member whose join failed and that the set no longer declares (or destroys): what its journal
   * entry recorded, it gets back, as a leaving member does (copies made for it deleted, an object
   * written in place given back), and the entry goes. Nothing to do without an entry, or with one
   * another resource has taken since (the number is its own now).
   */
  private async giveBackUnjoined(
    olds: SetOutputs,
    phoneNumber: string,
    group: NumberGroup,
  ): Promise<string[]> {
    const notes: string[] = [];
    for (const { provider, entry } of await this.journaled(olds, [phoneNumber])) {
      if (entry.takenBy !== olds.label) continue;
      const declared = memberSettings(olds, listedMembers(olds.numbers).get(phoneNumber));
      const managed = WEBHOOK_FIELDS.filter((field) => declared[field] !== undefined);
      const record: MemberState = {
        ids: {},
        webhooks: {},
        previous: Object.fromEntries(managed.map((field) => [field, entry.webhooks[field]])),
      };
      if (entry.carrierFields) record.previousCarrierFields = entry.carrierFields;
      // The copies the entry names need no record: restoreNumber reads them from the journal.
      if (!setCarrier(olds)) record.provider = provider;
      notes.push(
        ...(await this.numbers.restoreNumber(memberOutputs(olds, phoneNumber, record), {
          group,
          previous: record.previous,
        })),
      );
    }
    return notes;
  }

  /**
   * The journal entries of `members`, with their carrier: left by a run that died, or that failed
   * and kept them, before the state recorded those members.
   */
  private async journaled(
    args: Pick<CheckedSetArgs, "provider" | "select">,
    members: string[],
  ): Promise<Array<{ provider: CarrierName; entry: JournalEntry }>> {
    const journal = this.numbers.journal();
    const carrier = setCarrier(args);
    const reads = members.flatMap((phoneNumber) =>
      (carrier ? [carrier] : CARRIER_NAMES).map((provider) => async () => ({
        provider,
        entry: await journal.entry(provider, phoneNumber),
      })),
    );
    // A bounded number of files open at once: a set may have thousands of members.
    const read = await mapLimit(reads, JOURNAL_READS_AT_ONCE, (r) => r());
    return read.flatMap(({ provider, entry }) => (entry ? [{ provider, entry }] : []));
  }

  /**
   * The copies the journal entries of `members` name: the group must know them too, or a member
   * without such an entry would make a second copy of the same object (refused by Telnyx: the
   * copy's name is taken). Only isolating sets make copies.
   */
  private async journaledCopies(
    args: Pick<CheckedSetArgs, "onShared" | "provider" | "select">,
    members: string[],
  ): Promise<Isolation[]> {
    if (args.onShared !== "isolate") return [];
    return (await this.journaled(args, members)).flatMap(({ entry }) => entry.isolated);
  }

  /**
   * What the members had before the set took them over, by the object holding each setting: a
   * member that joins an object they share records the same originals. From the state, then from
   * the journal entries of the members that join (an earlier attempt that failed kept them).
   */
  private async originalsOf(olds: SetOutputs, joining: string[]): Promise<Map<string, string | null>> {
    const originals = new Map<string, string | null>();
    if (!joining.length) return originals; // only a joining member uses them
    const add = (provider: CarrierName, holders: Partial<Record<WebhookField, string>>, values: object) => {
      for (const [field, value] of Object.entries(values) as Array<[WebhookField, string | null]>) {
        const key = holders[field] && originalKey(provider, holders[field], field);
        if (key && !originals.has(key)) originals.set(key, value);
      }
    };
    for (const member of Object.values(olds.members ?? {})) {
      const provider = member.provider ?? setCarrier(olds);
      if (!provider) continue;
      const holders = (await this.numbers.carrier(provider)).holders({ ids: member.ids as CarrierIds });
      add(provider, holders, member.previous);
    }
    for (const { provider, entry } of await this.journaled(olds, joining))
      add(provider, entry.holders, entry.webhooks);
    return originals;
  }

  /** The members of a checked set: listed ones, then what `select` matches in the account. */
  private async findMembers(args: Omit<CheckedSetArgs, "members">): Promise<CheckedSetArgs["members"]> {
    if (typeof args.numbers === "string") return UNKNOWN;
    const members: Record<string, WebhookChanges> = {};
    for (const [phoneNumber, overrides] of listedMembers(args.numbers))
      members[phoneNumber] = shownOverrides(overrides);
    if (args.select) {
      const values = [args.select, ...Object.values(args.select), args.provider, args.accountSid];
      if (values.some(isUnknown)) return UNKNOWN;
      // A preview without any credentials (a pipeline without secrets) passes, members not known.
      if (!this.numbers.hasCredentials()) {
        await this.numbers.warnOnce(CARRIER_CHECKS_SKIPPED);
        return UNKNOWN;
      }
      const provider = setCarrier(args)!;
      const carrier = await this.numbers.carrier(provider);
      for (const phoneNumber of await carrier.select(args.select, { account: args.accountSid }))
        members[phoneNumber] ??= {};
    }
    return sortedRecord(members);
  }

  /**
   * Members that declare values of their own (entries of `numbers`) and share a carrier object
   * (Telnyx) would want two values on one object: refused before any member writes, naming each
   * object, field and number. Planning refuses it too, but concurrently, after one may have written.
   */
  private async refuseConflictingValues(args: CheckedSetArgs, phoneNumbers: string[]): Promise<void> {
    const listed = listedMembers(args.numbers);
    const provider = setCarrier(args);
    if (!provider || !carrierDescriptor(provider).sharedObjects) return;
    if (![...listed.values()].some((own) => Object.keys(own).length)) return;
    const carrier = await this.numbers.carrier(provider);
    const wanted = new Map<string, Map<string | null, string[]>>();
    // A bounded number at once: all of 100,000 members in flight together held them all in memory.
    await mapLimit(phoneNumbers, FINDS_AT_ONCE, async (phoneNumber) => {
      // A member that cannot be found, or a read that fails, is its own attempt's to report.
      const current = await carrier.find(phoneNumber, { account: args.accountSid }).catch(() => undefined);
      if (!current) return;
      const holders = carrier.holders(current);
      const declared = memberSettings(args, listed.get(phoneNumber));
      for (const [field, value] of Object.entries(declared) as Array<[WebhookField, string | null]>) {
        const holder = holders[field];
        if (!holder) continue;
        const key = `${field} on ${holder}`;
        const values = wanted.get(key) ?? new Map<string | null, string[]>();
        values.set(value, [...(values.get(value) ?? []), phoneNumber]);
        wanted.set(key, values);
      }
    });
    const conflicts = [...wanted]
      .filter(([, values]) => values.size > 1)
      .map(
        ([key, values]) =>
          `${key} (${[...values].map(([value, numbers]) => `${[...numbers].sort().join(", ")} ${numbers.length > 1 ? "set" : "sets"} ${describeValue(value)}`).join("; ")})`,
      );
    if (conflicts.length)
      throw new WebhookError(
        `Conflicting values among the members of ${args.label} for the objects they share: ${conflicts.sort().join("; ")}. ` +
          `One object holds one value for every number on it: give these members the same values, or manage them in separate sets. Nothing was written`,
        "conflict",
      );
  }

  /** The arguments of one member, as `PhoneNumberWebhooks` would take them. */
  private memberArgs(args: CheckedSetArgs, phoneNumber: string): CheckedArgs {
    const memberArgs: CheckedArgs = { phoneNumber };
    for (const name of SHARED_ARG_NAMES)
      if (args[name] !== undefined) Object.assign(memberArgs, { [name]: args[name] });
    const provider = setCarrier(args);
    if (provider) memberArgs.provider = provider;
    return { ...memberArgs, ...listedMembers(args.numbers).get(phoneNumber) };
  }

  /** The checked arguments with the members `check` found, or the failures as one error. */
  private validated(
    inputs: Record<string, unknown>,
  ): CheckedSetArgs & { members: Record<string, WebhookChanges> } {
    const checked = checkSetArgs(inputs, { allowPrivateHosts: this.numbers.allowPrivateHosts() });
    if (checked.failures.length)
      throw new WebhookError(
        checked.failures
          .map((f) => (f.reason.startsWith(f.property) ? f.reason : `${f.property}: ${f.reason}`))
          .join("; "),
        "invalid",
      );
    const members = inputs.members;
    if (members === undefined || typeof members === "string" || members === null) {
      // `check` could not select them without credentials: that is what to fix.
      if (!this.numbers.hasCredentials()) throw new WebhookError(NO_CREDENTIALS, "credentials");
      throw new WebhookError("the set's members are not known: run `pulumi up` again", "invalid");
    }
    return {
      ...(checked.inputs as Omit<CheckedSetArgs, "members">),
      members: members as Record<string, WebhookChanges>,
    };
  }

  /**
   * Runs `run` for every member, at most `concurrency` at a time, and collects what each resolved
   * to (`undefined`: the member leaves the state) and which failed, with why. With a `verb`, the
   * engine shows the progress while it runs ("fleet: 1,200 of 10,000 numbers applied, …").
   */
  private async forEachMember(
    args: Pick<CheckedSetArgs, "concurrency" | "label" | "provider" | "select" | "accountSid">,
    phoneNumbers: string[],
    verb: string | undefined,
    run: (phoneNumber: string) => Promise<MemberState | undefined>,
  ): Promise<{ done: Record<string, MemberState>; failed: MemberFailure[] }> {
    compactHeapFor(phoneNumbers.length);
    await this.expectMembers(args, phoneNumbers);
    const done: Record<string, MemberState> = {};
    const failed: MemberFailure[] = [];
    const workers = Math.min(args.concurrency ?? DEFAULT_CONCURRENCY, phoneNumbers.length);
    const queue = spreadOut(phoneNumbers, workers * RUNS_PER_WORKER);
    const progress =
      verb === undefined
        ? undefined
        : new ProgressMeter({
            total: phoneNumbers.length,
            verb,
            label: args.label,
            report: (line) => void status(line),
          }).start();
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const phoneNumber = queue[next++]!;
        try {
          const state = await run(phoneNumber);
          if (state) done[phoneNumber] = state;
          progress?.record("succeeded");
        } catch (error) {
          failed.push({ phoneNumber, reason: error instanceof Error ? error.message : String(error) });
          progress?.record("failed");
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: workers }, worker));
    } finally {
      progress?.finish();
    }
    failed.sort((a, b) => a.phoneNumber.localeCompare(b.phoneNumber));
    return { done, failed };
  }

  /**
   * Tells the set's carrier which numbers come next (`Carrier.expect`). A hint only: a carrier that
   * fails here fails each member's own find, which reports it.
   */
  private async expectMembers(
    args: Pick<CheckedSetArgs, "provider" | "select" | "accountSid">,
    phoneNumbers: string[],
  ): Promise<void> {
    const provider = setCarrier(args);
    if (!provider || phoneNumbers.length < 2) return;
    const carrier = await this.numbers.carrier(provider);
    await carrier.expect?.(phoneNumbers, { account: args.accountSid }).catch(() => undefined);
  }
}

/** Members the conflict check finds at once (each find is a cached lookup once the account is listed). */
const FINDS_AT_ONCE = 500;

/** Runs per worker in `spreadOut` (1,000 Telnyx members in groups of 10, K=16: 11.3 s with 1, 8.2 s with 4). */
const RUNS_PER_WORKER = 4;

/**
 * The order members start in: the sorted list cut into `runs` runs, taken one from each run in
 * turn ([a0, b0, c0, a1, b1, c1, …]). Neighbouring numbers often share a Telnyx application and
 * profile, whose reads and writes members share and serialise: started side by side, the
 * members in flight would wait on one or two groups' calls instead of making their own. Each run
 * still goes in order, so a group's later members find its objects cached; by the time a run's
 * next member starts, the one before it has usually finished. Same order when there are no more
 * members than runs.
 */
function spreadOut(phoneNumbers: string[], runs: number): string[] {
  if (runs <= 1 || phoneNumbers.length <= runs) return phoneNumbers;
  const runLength = Math.ceil(phoneNumbers.length / runs);
  const order: string[] = [];
  for (let i = 0; i < runLength; i++)
    for (let run = 0; run < runs; run++) {
      const phoneNumber = phoneNumbers[run * runLength + i];
      if (phoneNumber !== undefined) order.push(phoneNumber);
    }
  return order;
}

/**
 * The set as a `NumberGroup`: its members, and the copies its members are on (the state's, then
 * those only the journal knows).
 */
function groupOf(
  args: Pick<CheckedSetArgs, "label" | "onShared" | "allowSharedUpdate">,
  members: string[],
  stored: MemberState[],
  journaled: Isolation[] = [],
): NumberGroup {
  const copies = new Map<string, Isolation>();
  for (const member of stored)
    for (const isolation of member.isolated ?? []) copies.set(isolation.copyId, isolation);
  for (const isolation of journaled)
    if (!copies.has(isolation.copyId)) copies.set(isolation.copyId, isolation);
  return {
    label: args.label,
    members: new Set(members),
    copies: [...copies.values()],
    isolating: sharedMode(args) === "isolate",
  };
}

/**
 * True when a member's record differs from what it should be: its managed settings changed, its
 * live values differ from them (drift), or something overrides one of them.
 */
function memberChanged(applied: WebhookChanges, wanted: WebhookChanges, member: MemberState): boolean {
  for (const field of WEBHOOK_FIELDS) {
    if (applied[field] !== wanted[field]) return true;
    if (wanted[field] !== undefined && (member.webhooks[field] ?? null) !== wanted[field]) return true;
    if (wanted[field] && member.overriddenBy?.[field]) return true;
  }
  return false;
}

/** What the set keeps of one member's per-number outputs. */
function compactMember(
  args: Pick<CheckedSetArgs, "provider" | "select">,
  outs: PhoneNumberWebhooksOutputs,
): MemberState {
  const managed = WEBHOOK_FIELDS.filter((field) => outs[field] !== undefined);
  const member: MemberState = {
    ids: {},
    webhooks: Object.fromEntries(managed.map((f) => [f, outs.webhooks[f]])),
    previous: Object.fromEntries(managed.map((f) => [f, outs.previousWebhooks[f]])),
  };
  if (!setCarrier(args)) member.provider = outs.provider;
  for (const key of CARRIER_ID_KEYS) {
    const value = outs[key];
    if (typeof value === "string") member.ids[key] = value;
  }
  if (outs.previousCarrierFields) member.previousCarrierFields = outs.previousCarrierFields;
  if (outs.isolated?.length) member.isolated = outs.isolated;
  if (outs.overriddenBy) member.overriddenBy = outs.overriddenBy;
  return member;
}

/**
 * A member's record with what it declared and its `onShared`, kept while the set's arguments say
 * otherwise (its update failed): what it wrote, which its next update or leave starts from.
 */
function withDeclared(member: MemberState, applied: Pick<MemberState, "declared" | "onShared">): MemberState {
  const { declared: _declared, onShared: _onShared, ...rest } = member;
  const record: MemberState = rest;
  if (applied.declared) record.declared = applied.declared;
  if (applied.onShared) record.onShared = applied.onShared;
  return record;
}

/** One member's record, as the per-number lifecycle reads a `PhoneNumberWebhooks` state. */
function memberOutputs(
  args: Omit<CheckedSetArgs, "members">,
  phoneNumber: string,
  stored: MemberState,
): PhoneNumberWebhooksOutputs {
  const member = memberStateSchema.parse(stored);
  const provider = member.provider ?? setCarrier(args);
  if (!provider) throw new WebhookError(`The set's record of ${phoneNumber} names no carrier`, "invalid");
  const outs: PhoneNumberWebhooksOutputs = {
    phoneNumber,
    provider,
    ...((member.declared as DeclaredSettings | undefined) ??
      memberSettings(args, listedMembers(args.numbers).get(phoneNumber))),
    updatedWebhooks: {},
    message: "",
    webhooks: { ...UNSET_WEBHOOKS, ...member.webhooks },
    previousWebhooks: { ...UNSET_WEBHOOKS, ...member.previous },
    sharedWith: [],
    ...member.ids,
  };
  for (const name of ["onDelete", "allowSharedUpdate", "onShared"] as const)
    if (args[name] !== undefined) Object.assign(outs, { [name]: args[name] });
  if (member.onShared) outs.onShared = member.onShared;
  if (member.provider) outs.providerDetected = true;
  if (member.previousCarrierFields) outs.previousCarrierFields = member.previousCarrierFields;
  if (member.isolated) outs.isolated = member.isolated;
  if (member.overriddenBy) outs.overriddenBy = member.overriddenBy;
  return outs;
}

/** The arguments as declared (what the outputs repeat), without the members. */
function declaredArgs(args: Omit<CheckedSetArgs, "members">): Record<string, unknown> {
  const {
    members: _members,
    memberCount: _count,
    message: _message,
    failedToJoin: _failed,
    ...declared
  } = args as SetOutputs;
  return declared;
}

/** The outputs as the state holds them (member records encoded). */
function setOutputs(
  args: Omit<CheckedSetArgs, "members">,
  done: Record<string, MemberState>,
  failedToJoin: string[] = [],
): StoredSetOutputs {
  const members = sortedRecord(done);
  const count = Object.keys(members).length;
  const provider = setCarrier(args);
  const outs: SetOutputs = {
    ...declaredArgs(args),
    label: args.label,
    members,
    memberCount: count,
    message: `Successfully updated webhooks for ${count} number(s)${provider ? ` via ${provider}` : ""}`,
  };
  if (failedToJoin.length) outs.failedToJoin = [...failedToJoin].sort();
  return setOutputsToState(outs);
}

/** By number. Members are E.164 (`+` and digits): code-point order, without `localeCompare`'s cost. */
function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The members a change of the set acts on: every one when the set's own arguments changed (or it
 * is new), else those that join and those whose own settings, or live values shown after a
 * refresh, differ from the stored inputs.
 */
function actedOn(
  olds: Record<string, unknown>,
  args: CheckedSetArgs,
  wanted: Record<string, WebhookChanges>,
): string[] {
  const members = Object.keys(wanted);
  const shown = olds.members;
  if (!shown || typeof shown !== "object") return members;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const stored = olds as Partial<CheckedSetArgs>;
  const compared = SHARED_ARG_NAMES.filter(
    (name) => !["preflight", "switchHandlers", "onDelete", "onShared", "allowSharedUpdate"].includes(name),
  );
  if (
    !compared.every((name) => same(olds[name], args[name])) ||
    (stored.onDelete ?? "restore") !== (args.onDelete ?? "restore") ||
    sharedMode(stored) !== sharedMode(args)
  )
    return members;
  const listedBefore = listedMembers(stored.numbers);
  const listed = listedMembers(args.numbers);
  const before = shown as Record<string, unknown>;
  return members.filter(
    (phoneNumber) =>
      !(phoneNumber in before) ||
      !same(before[phoneNumber], wanted[phoneNumber]) ||
      !same(listedBefore.get(phoneNumber), listed.get(phoneNumber)),
  );
}

/** "3 of 1000 numbers failed to update: +1…: reason; …" */
function failureMessage(
  operation: string,
  failed: MemberFailure[],
  total: number,
  verb = "failed to",
): string {
  const shown = failed
    .slice(0, REASONS_SHOWN)
    .map((f) => (f.reason.includes(f.phoneNumber) ? f.reason : `${f.phoneNumber}: ${f.reason}`))
    // A reason is a sentence of its own; the list's separators do the punctuation.
    .map((reason) => reason.replace(/\.+$/, ""));
  const rest = failed.slice(REASONS_SHOWN).map((f) => f.phoneNumber);
  const more = rest.length ? `; and ${rest.length} more: ${rest.join(", ")}` : "";
  return `${failed.length} of ${total} number(s) ${verb} ${operation}: ${shown.join("; ")}${more}`;
}

/**
 * A create or update some members failed: the error carries the resource's id and outputs, which
 * the dynamic-provider host reports as a partially applied resource (`ErrorResourceInitFailed`):
 * the engine records them, so nothing applied is forgotten, and the next `up` updates the set.
 */
function partialFailure(
  id: string,
  outs: StoredSetOutputs,
  inputs: Record<string, unknown>,
  failed: MemberFailure[],
  total: number,
): Error {
  const message = `${failureMessage("apply", failed, total)}. The other members are applied and recorded; the next \`pulumi up\` retries only these`;
  const error = new WebhookError(message, "carrier") as WebhookError & {
    id: string;
    properties: object;
    reasons: string[];
  };
  // The host does not add its own `__provider` to a failure's outputs: without it, the next
  // operation on the state could not find the provider.
  error.id = id;
  error.properties = { ...outs, __provider: inputs.__provider };
  error.reasons = [message];
  return error;
}

/** A few notes as warnings; many (a large set restoring shared copies) summarised. */
async function warnAll(notes: string[]): Promise<void> {
  const shown = notes.slice(0, 10);
  for (const note of shown) await warn(note);
  if (notes.length > shown.length) await warn(`and ${notes.length - shown.length} similar notes`);
}

let sharedSet: PhoneNumberWebhooksSetProvider | undefined;

/** The set provider of this process, over the per-number one every resource shares. */
export function sharedSetProvider(): PhoneNumberWebhooksSetProvider {
  sharedSet ??= new PhoneNumberWebhooksSetProvider(sharedProvider());
  return sharedSet;
}
