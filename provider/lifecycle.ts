/**
 * The dynamic-provider lifecycle of `PhoneNumberWebhooks`: check, diff, create (take over a number
 * the account owns), read (drift), update and delete (give the number its previous webhooks back).
 * Carrier specifics stay behind the `Carrier` interface.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  refuseOverridden,
  type Carrier,
  type CarrierFields,
  type CarrierIds,
  type CarrierNumber,
  type CheckFailure,
  type Isolation,
  type NumberGroup,
  type NumberMove,
  type Overrides,
  type WriteStep,
} from "./carriers/carrier";
import { CARRIER_ID_KEYS, CARRIER_NAMES, carrierDescriptor, listNames, type CarrierName } from "./carriers";
import {
  configKeys,
  loadSettings,
  missingCredentials,
  NO_CREDENTIALS,
  settingWarnings,
  type ConfigSource,
  type Settings,
} from "./config";
import { warn } from "./engine-log";
import { notFoundMessage, successMessage, updateFailed, WebhookError } from "./errors";
import { TakeoverJournal } from "./journal";
import { preflightRefusal, preflightUrl, type PreflightOptions } from "./preflight";
import {
  ARG_NAMES,
  ARGS_SCHEMA,
  isUnknown,
  KEPT_OUTPUT_NAMES,
  KEPT_OUTPUTS_SCHEMA,
  sharedMode,
  type CheckedArgs,
  type KeptOutputs,
  type OnDelete,
  type PhoneNumberWebhooksOutputs,
  type PreflightOutcome,
} from "./schema";
import { checkArgs } from "./validation";
import {
  describeValue,
  hasUserinfo,
  isVoiceField,
  redactUrl,
  UNSET_WEBHOOKS,
  URL_FIELDS,
  WEBHOOK_FIELDS,
  type WebhookChanges,
  type WebhookField,
  type WebhookSettings,
} from "./webhooks";

export type { PhoneNumberWebhooksOutputs };

type NamedCarrier = Carrier<CarrierIds, CarrierName>;

export interface ProviderOptions {
  /** Stack configuration; `configure` sets it under the engine. */
  config?: ConfigSource;
  /** Environment to read credentials from when the configuration has none (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /**
   * For tests: the undici dispatcher preflight requests go through, say an `Agent` that trusts a
   * local server's self-signed certificate. Users never need it (`NODE_EXTRA_CA_CERTS` does that
   * for a whole process).
   */
  preflightDispatcher?: PreflightOptions["dispatcher"];
}

type PreflightResults = NonNullable<PhoneNumberWebhooksOutputs["preflightResults"]>;
/** Probes of one operation, by method, kind and URL: a URL many numbers switch to is probed once. */
export type PreflightMemo = Map<string, ReturnType<typeof preflightUrl>>;

/** How a `PhoneNumberWebhooksSet` runs the per-number operations for one of its members. */
export interface MemberOptions {
  /** The carrier was detected, not declared (default: `provider` is absent). */
  detected?: boolean;
  /** The set's members: see `NumberGroup`. */
  group?: NumberGroup;
  /** Keep the journal entry after a create: the set's state is written once, after every member. */
  keepJournal?: boolean;
  /** Probes shared by the members of one operation. */
  preflights?: PreflightMemo;
  /**
   * What the set's recorded members had before it took them over, by holder and field
   * (`originalKey`): a member that joins an object the set already wrote records those, not the
   * set's own values.
   */
  originals?: ReadonlyMap<string, string | null>;
  /**
   * The previous webhooks the set recorded for the member: the fields it manages only (its
   * outputs fill the others with null, which the number may never have answered).
   */
  previous?: Partial<WebhookSettings>;
}

/** How `previewNumber` asks about one number. */
export interface PreviewOptions {
  /**
   * Also plan the writes (default `true`). Not for an isolating number already taken over: its
   * plan depends on the copies its state records, which `check` does not see.
   */
  plan?: boolean;
  /** Plan every declared setting, not only those that differ: the number's onShared changed. */
  planAll?: boolean;
}

/** The key of `MemberOptions.originals`: a setting of an object a carrier's numbers may share. */
export function originalKey(carrier: string, holder: string, field: WebhookField): string {
  return `${carrier} ${holder} ${field}`;
}

export class PhoneNumberWebhooksProvider implements pulumi.dynamic.ResourceProvider {
  private settings?: Settings;
  private readonly carriers = new Map<CarrierName, Promise<NamedCarrier>>();
  /** Warnings given by this provider (one per process under the engine): each is given once. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: ProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    // First: a misspelt key is often why the settings below fail ("set twilio:authToken").
    for (const warning of settingWarnings(configKeys(req.config) ?? [])) await this.warnOnce(warning);
    const settings = loadSettings(req.config, this.options.env);
    // The host configures once per distinct serialized provider: keep carriers (their caches and
    // locks) unless the settings really changed.
    if (JSON.stringify(settings) !== JSON.stringify(this.settings)) this.carriers.clear();
    this.settings = settings;
  }

  /**
   * Validates the arguments, then carries forward from the stored inputs the outputs an update
   * keeps (see `keptFromState`): a preview of an update shows the checked inputs as its outputs.
   * Then asks the carrier what `up` would refuse (see `previewNumber`), since `check` is what runs
   * in a preview: the refusal is the failure, in `up`'s words. The carrier and identifiers found
   * join the inputs where they are not yet, as `read` gives them: the refresh right after a create
   * finds no difference.
   */
  async check(
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
  ): Promise<pulumi.dynamic.CheckResult> {
    const checked = checkArgs(news, { allowPrivateHosts: this.allowPrivateHosts() });
    const kept = keptFromState(olds ?? {}, news);
    const inputs = { ...checked.inputs, ...kept };
    if (checked.failures.length) return { inputs, failures: checked.failures };
    const found = await this.checkAtCarrier(olds ?? {}, inputs, sameNumber(olds ?? {}, news));
    if ("failure" in found) return { inputs, failures: [found.failure] };
    return { inputs: { ...inputs, ...found.kept }, failures: [] };
  }

  /**
   * `check`'s questions to the carrier, when there is something to ask: a new number, or changed
   * arguments (an unchanged resource is not updated, so `up` refuses nothing for it), with every
   * value that locates the number known. `existing`: the state has the number (same carrier).
   * With no carrier credentials at all (a pipeline that previews without secrets), warns once and
   * asks nothing; a declared carrier without them fails.
   */
  private async checkAtCarrier(
    olds: Record<string, unknown>,
    inputs: Record<string, unknown>,
    existing: boolean,
  ): Promise<{ kept: KeptOutputs } | { failure: CheckFailure }> {
    if (!changedFromState(olds, inputs)) return { kept: {} };
    if ([inputs.phoneNumber, inputs.provider, inputs.accountSid].some(isUnknown)) return { kept: {} };
    const provider = inputs.provider as CarrierName | undefined;
    const ask = await this.askCarriers(provider);
    if (typeof ask === "string")
      return { failure: { property: provider ? "provider" : "phoneNumber", reason: ask } };
    if (!ask) return { kept: {} };
    const declared = provider !== undefined;
    const args = Object.fromEntries(
      Object.entries(inputs).filter(([key]) => !KEPT_NON_ARGUMENTS.includes(key)),
    ) as CheckedArgs;
    // An isolating number already taken over is planned with the copies its state records, which
    // `check` cannot see (a copy deleted in the portal leaves it on no object): up re-isolates it.
    try {
      const { carrier, current } = await this.previewNumber(args, {
        plan: !(existing && sharedMode(args) === "isolate"),
        planAll: existing && sharedMode(olds as CheckedArgs) !== sharedMode(args),
      });
      const kept: Record<string, unknown> = {};
      if (!provider) Object.assign(kept, { provider: carrier.name, providerDetected: true });
      // As `read` gives them (an isolating resource's, or one that was until now, as
      // `keptFromState` carries them).
      const ids = inputIds(
        carrier.name,
        current.ids,
        sharedMode(args) === "isolate" || olds.onShared === "isolate",
      );
      for (const [key, id] of Object.entries(ids)) if (inputs[key] === undefined) kept[key] = id;
      return { kept: kept as KeptOutputs };
    } catch (error) {
      const credentials = error instanceof WebhookError && error.kind === "credentials";
      return {
        failure: { property: credentials && declared ? "provider" : "phoneNumber", reason: messageOf(error) },
      };
    }
  }

  /** `warn`, once: every resource's `check` (or `configure`) may find the same thing. */
  async warnOnce(message: string): Promise<void> {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    await warn(message);
  }

  /**
   * Whether some carrier has credentials. Settings that fail to load count as some: the operation
   * that needs them reports why.
   */
  hasCredentials(): boolean {
    try {
      return Object.keys(this.loadedSettings().carriers).length > 0;
    } catch {
      return true;
    }
  }

  /**
   * Whether `check` asks the carriers what `up` would refuse, for a resource at `provider` (or one
   * to detect): `true`; `false` when `phoneWebhooks:previewChecks` is off, or no carrier has
   * credentials at all (warned once per process: a pipeline may preview without secrets); or, as
   * a string, the failure `up` would give: settings that do not load, a declared carrier without
   * credentials while others have them.
   */
  async askCarriers(provider?: CarrierName): Promise<boolean | string> {
    let settings: Settings;
    try {
      settings = this.loadedSettings();
    } catch (error) {
      return messageOf(error);
    }
    if (!settings.previewChecks) return false;
    if (Object.keys(settings.carriers).length === 0) {
      await this.warnOnce(CARRIER_CHECKS_SKIPPED);
      return false;
    }
    if (provider && settings.carriers[provider] === undefined) return missingCredentials(provider);
    return true;
  }

  /**
   * What `up` would refuse for one number, found without writing anything: not in the account (or
   * not visible to these credentials), credentials missing or refused, in both carriers' accounts,
   * a declared setting something overrides, `onDelete: "clear"` of a required field, a setting
   * the number's carrier object cannot hold, a shared object without consent. The same find (with
   * routing), refusals and planning as `takeOver` and `converge`, through the same caches, so the
   * same words; throws the refusal. A set asks it for each member, with its group.
   */
  async previewNumber(
    args: CheckedArgs,
    member: Pick<MemberOptions, "group"> & PreviewOptions = {},
  ): Promise<{ carrier: NamedCarrier; current: CarrierNumber }> {
    // Found as `takeOver` finds it (a takeover's options; `converge` asks the same of the state's).
    const { carrier, current } = await this.locate(args);
    const desired = managedSettings(args);
    refuseIneffective(carrier, current, desired, args.switchHandlers);
    refuseUnclearable(carrier, current, desired, args.onDelete);
    // A value not known yet cannot be planned with (it would be claimed as a value of its own).
    const unknown = [...Object.values(desired), args.onShared, args.allowSharedUpdate].some(isUnknown);
    if (unknown || member.plan === false) return { carrier, current };
    // What takeOver and converge plan: the settings that differ, or every one (see `planned`).
    const all = planningAll(args) || member.planAll === true;
    const differing = {
      ...switchedSettings(current, desired, args),
      ...changesTowards(current.webhooks, desired),
    };
    const changes = planned(current, desired, differing, all);
    if (Object.keys(changes).length === 0) return { carrier, current };
    const mode = sharedMode(args);
    try {
      await carrier.checkWrites(current, changes, {
        allowSharedUpdate: mode === "update",
        isolate: mode === "isolate",
        group: member.group,
        switchHandlers: args.switchHandlers,
      });
    } catch (error) {
      throw updateFailed(args.phoneNumber, carrier.name, error);
    }
    return { carrier, current };
  }

  async diff(
    _id: string,
    olds: PhoneNumberWebhooksOutputs,
    news: CheckedArgs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    if (isUnknown(news.phoneNumber) || news.phoneNumber !== olds.phoneNumber) replaces.push("phoneNumber");
    if (news.provider !== undefined && (isUnknown(news.provider) || news.provider !== olds.provider))
      replaces.push("provider");
    // Another account's number is another number. No longer naming it keeps the recorded account.
    if (news.accountSid !== undefined && (isUnknown(news.accountSid) || news.accountSid !== olds.accountSid))
      replaces.push("accountSid");

    let changes = replaces.length > 0;
    for (const field of WEBHOOK_FIELDS) {
      const wanted = news[field];
      if (wanted !== undefined) {
        // Against both what was applied and what the carrier holds now, so drift counts.
        if (isUnknown(wanted) || wanted !== olds[field] || wanted !== (olds.webhooks?.[field] ?? null))
          changes = true;
      } else if (olds[field] !== undefined) {
        changes = true; // no longer managed: goes back to its previous value
      }
    }
    // A declared setting that something else overrides (a refresh found it) is not in effect:
    // the update that follows says why, instead of the preview passing silently.
    if (WEBHOOK_FIELDS.some((field) => news[field] && olds.overriddenBy?.[field])) changes = true;
    if ((news.onDelete ?? "restore") !== (olds.onDelete ?? "restore")) changes = true;
    if (sharedMode(news) !== sharedMode(olds)) changes = true;
    // `preflight` is not compared: it decides how a switch is made, and changing it alone switches
    // nothing, so an update would probe nothing and write nothing.
    return { changes, replaces };
  }

  async create(
    inputs: CheckedArgs & KeptOutputs,
  ): Promise<pulumi.dynamic.CreateResult<PhoneNumberWebhooksOutputs>> {
    const outs = await this.takeOver(this.validated(inputs), { detected: providerDetected(inputs) });
    return { id: `${outs.provider}:${outs.phoneNumber}`, outs };
  }

  /**
   * Create, for one number: finds it, records its webhooks (journal first), writes the declared
   * ones and reads them back. A set runs it for each member that joins.
   */
  async takeOver(args: CheckedArgs, member: MemberOptions = {}): Promise<PhoneNumberWebhooksOutputs> {
    const { carrier, current } = await this.locate(args);
    const desired = managedSettings(args);
    refuseIneffective(carrier, current, desired, args.switchHandlers);
    refuseUnclearable(carrier, current, desired, args.onDelete);
    const differing = {
      ...switchedSettings(current, desired, args),
      ...changesTowards(current.webhooks, desired),
    };
    const changes = planned(current, desired, differing, planningAll(args));
    // Before the journal and the first write: a refused switch leaves no trace.
    const preflight = await this.preflight(carrier.name, current, differing, args, member.preflights);
    // The originals are on disk before the first write: they survive a crash between two writes.
    const journal = this.journal();
    const before = { ...(current.webhooksBeforeThisRun ?? current.webhooks) };
    const holders = carrier.holders(current);
    for (const field of WEBHOOK_FIELDS) {
      const key = holders[field] && originalKey(carrier.name, holders[field], field);
      if (key && member.originals?.has(key)) before[field] = member.originals.get(key)!;
    }
    const previous = await journal.remember(
      carrier.name,
      args.phoneNumber,
      before,
      holders,
      member.group?.label,
      current.carrierFields,
    );
    let applied: Applied;
    try {
      applied = await applyChanges(carrier, current, changes, {
        ...args,
        // A run that died after making a copy left it in the journal: re-used, never orphaned.
        isolated: previous.isolated,
        onCopyMade: (isolation) =>
          journal.rememberIsolation(carrier.name, args.phoneNumber, previous.webhooks, isolation),
        group: member.group,
      });
    } catch (error) {
      const leftover = error instanceof WebhookError && error.partiallyApplied;
      // A set keeps a failed member's entry too: another member may have written an object they
      // share (Telnyx), and the member's next attempt must still record the originals.
      if (!previous.recovered && !leftover && !member.keepJournal)
        await journal.forget(carrier.name, args.phoneNumber);
      throw error;
    }
    const { number, isolated } = await readBack(
      carrier,
      current,
      applied,
      previous.isolated,
      switchesRouting(current, args),
    );
    const outs = buildOutputs(args, carrier.name, number, previous.webhooks, isolated, applied.notes);
    keepCarrierFields(outs, previous.carrierFields);
    if (member.detected ?? args.provider === undefined) outs.providerDetected = true;
    if (preflight) outs.preflightResults = preflight;
    // From here the state holds previousWebhooks; a stale entry must not outlive the resource.
    // Copies made for the number are the exception: if the engine never writes this state (killed
    // first), the next create must still know them, or the number would stay on them for good.
    // The next read, update or delete (which only run once the state holds them) forgets them.
    // A set keeps every member's entry until then: its state is written once, after all members.
    if (!isolated.length && !member.keepJournal) await journal.forget(carrier.name, args.phoneNumber);
    return outs;
  }

  async read(id: string, props?: PhoneNumberWebhooksOutputs): Promise<pulumi.dynamic.ReadResult> {
    const [idProvider, idNumber] = id.split(":") as [CarrierName, string];
    const stored = props ?? ({ phoneNumber: idNumber, provider: idProvider } as PhoneNumberWebhooksOutputs);
    const refreshed = await this.refreshNumber(stored);
    return refreshed ? { id, props: refreshed.outs, inputs: refreshed.inputs } : {};
  }

  /**
   * Read, for one number: its live configuration as outputs, and as inputs that mirror what was
   * declared with the live values (so a preview shows drift as an update); `undefined` when the
   * account no longer has the number.
   */
  async refreshNumber(
    stored: PhoneNumberWebhooksOutputs,
  ): Promise<{ outs: PhoneNumberWebhooksOutputs; inputs: Record<string, unknown> } | undefined> {
    const { phoneNumber } = stored;
    const carrier = await this.carrier(stored.provider);
    // In the account the state recorded: credentials that cannot act on it fail the read, which
    // drops nothing (finding none of the numbers elsewhere would drop every resource).
    const current = await carrier.find(phoneNumber, {
      account: stored.accountSid ?? undefined,
      routing: true,
    });
    // Gone from the account: drop out of the state instead of failing every later run.
    if (!current) {
      await this.journal().forget(carrier.name, phoneNumber);
      return undefined;
    }
    const previous = stored.previousWebhooks ?? current.webhooks;
    // The copies stay ours while the number is elsewhere (drift): destroy still deletes them. A
    // copy only the journal names (a run that died after making it, before the state heard of it)
    // joins them, so that the refreshed state moves the number back and deletes it too.
    const journal = this.journal();
    const journaled = await journal.entry(carrier.name, phoneNumber);
    const outs = buildOutputs(
      stored,
      carrier.name,
      current,
      previous,
      unionOfIsolations(stored.isolated ?? [], journaled?.isolated ?? []),
    );
    keepCarrierFields(outs, stored.previousCarrierFields);
    if (stored.providerDetected) outs.providerDetected = true;
    if (stored.preflightResults) outs.preflightResults = stored.preflightResults;
    // The state this read was given holds every copy the entry names: the entry can go. Else it
    // stays (a preview's read writes no state) until an up or destroy uses it.
    const inState = (i: Isolation) => stored.isolated?.some((s) => s.copyId === i.copyId);
    if (journaled?.isolated.every(inState)) await journal.forget(carrier.name, phoneNumber);
    // Inputs mirror what was declared, with the live values of the managed settings, so a preview
    // shows drift as an update and nothing else; and the outputs an update keeps, which `check`
    // carries into the new inputs, so that a preview of an update knows them.
    const inputs: Record<string, unknown> = { phoneNumber, provider: carrier.name };
    if (stored.providerDetected) inputs.providerDetected = true;
    Object.assign(inputs, inputIds(carrier.name, outs, stored.onShared === "isolate"));
    Object.assign(inputs, liveDeclared(stored, current));
    if (stored.onDelete !== undefined) inputs.onDelete = stored.onDelete;
    if (stored.allowSharedUpdate !== undefined) inputs.allowSharedUpdate = stored.allowSharedUpdate;
    if (stored.onShared !== undefined) inputs.onShared = stored.onShared;
    return { outs, inputs };
  }

  async update(
    _id: string,
    olds: PhoneNumberWebhooksOutputs,
    news: CheckedArgs & KeptOutputs,
  ): Promise<pulumi.dynamic.UpdateResult<PhoneNumberWebhooksOutputs>> {
    const outs = await this.converge(olds, this.validated(news), { detected: providerDetected(news) });
    return { outs };
  }

  /** Update, for one number: makes its webhooks what `args` declare, from what `olds` recorded. */
  async converge(
    olds: PhoneNumberWebhooksOutputs,
    args: CheckedArgs,
    member: MemberOptions = {},
  ): Promise<PhoneNumberWebhooksOutputs> {
    const carrier = await this.carrier(olds.provider);
    const current = await carrier.find(olds.phoneNumber, {
      stored: storedNumber(olds),
      account: olds.accountSid ?? undefined,
      routing: true,
      originals: true,
    });
    if (!current) throw new WebhookError(notFoundMessage(olds.phoneNumber, [carrier.name]), "not-found");
    // A set records the previous webhooks of the settings it manages only: a setting it starts to
    // manage had, before, what the number answers for it now (its objects' originals).
    const previous = member.previous
      ? { ...UNSET_WEBHOOKS, ...(current.webhooksBeforeThisRun ?? current.webhooks), ...member.previous }
      : (olds.previousWebhooks ?? current.webhooks);
    const declared = managedSettings(args);
    refuseIneffective(carrier, current, declared, args.switchHandlers);
    refuseUnclearable(carrier, current, declared, args.onDelete);
    // A setting no longer declared goes back to what the number had before.
    const desired = { ...declared };
    for (const field of WEBHOOK_FIELDS)
      if (olds[field] !== undefined && !(field in desired)) desired[field] = previous[field];
    const differing = {
      ...switchedSettings(current, declared, args),
      ...changesTowards(current.webhooks, desired),
    };
    // A new onShared decides afresh where every setting lives (an object written in place with
    // consent is given back before the number is isolated, or refused): all of them are planned.
    const changes = planned(
      current,
      desired,
      differing,
      sharedMode(args) !== sharedMode(olds) || planningAll(args),
    );
    // Only the declared URLs are probed: a setting going back to its previous value is not a choice.
    const switched = Object.fromEntries(Object.entries(differing).filter(([field]) => field in declared));
    const preflight = await this.preflight(carrier.name, current, switched, args, member.preflights);
    const journal = this.journal();
    const isolatedBefore = unionOfIsolations(
      olds.isolated ?? [],
      (await journal.entry(carrier.name, olds.phoneNumber))?.isolated ?? [],
    );
    const applied = await applyChanges(carrier, current, changes, {
      ...args,
      isolated: isolatedBefore,
      onCopyMade: (isolation) =>
        journal.rememberIsolation(carrier.name, args.phoneNumber, previous, isolation),
      group: member.group,
      previous,
      written: declaredBefore(olds),
    });
    const { number, isolated } = await readBack(
      carrier,
      current,
      applied,
      isolatedBefore,
      switchesRouting(current, args),
    );
    const outs = buildOutputs(args, carrier.name, number, previous, isolated, applied.notes);
    keepCarrierFields(outs, olds.previousCarrierFields);
    // The state holds the copies now: the journal's copy of them can go, unless a later run must
    // find them (made here, and the engine might die before writing the state).
    if (!applied.moves.length) await journal.forget(carrier.name, args.phoneNumber);
    if (member.detected ?? olds.providerDetected) outs.providerDetected = true;
    // An outcome stays while its URL does: a URL switched without a probe, or dropped, loses it.
    const kept = Object.entries(olds.preflightResults ?? {}).filter(
      ([field]) => field in declared && !(field in switched),
    );
    const results: PreflightResults = { ...Object.fromEntries(kept), ...preflight };
    if (Object.keys(results).length) outs.preflightResults = results;
    return outs;
  }

  async delete(_id: string, props: PhoneNumberWebhooksOutputs): Promise<void> {
    const notes = await this.restoreNumber(props);
    for (const note of notes) await warn(note);
  }

  /**
   * Delete, for one number: gives it back what `props` recorded as its previous webhooks (or
   * clears or leaves them, per `onDelete`). Resolves to notes worth a warning.
   */
  async restoreNumber(props: PhoneNumberWebhooksOutputs, member: MemberOptions = {}): Promise<string[]> {
    const mode = props.onDelete ?? "restore";
    const journal = this.journal();
    if (mode === "retain") {
      await journal.forget(props.provider, props.phoneNumber);
      return [];
    }
    const carrier = await this.carrier(props.provider);
    const current = await carrier.find(props.phoneNumber, {
      account: props.accountSid ?? undefined,
      originals: true,
    });
    // Already gone: nothing to give back.
    if (!current) {
      await journal.forget(props.provider, props.phoneNumber);
      return [];
    }
    const previous = props.previousWebhooks ?? UNSET_WEBHOOKS;
    const unclearable = carrier.unclearableFields(current).fields;
    const target: WebhookChanges = {};
    for (const field of WEBHOOK_FIELDS) {
      if (props[field] === undefined) continue; // never managed: never touched
      target[field] = mode === "clear" && !unclearable.includes(field) ? null : previous[field];
    }
    // An isolated holder is restored by moving the number back ("clear" too: emptying the shared
    // original would change its other numbers) and the copy made for it is deleted.
    const isolated = unionOfIsolations(
      props.isolated ?? [],
      (await journal.entry(props.provider, props.phoneNumber))?.isolated ?? [],
    );
    const applied = await applyChanges(carrier, current, changesTowards(current.webhooks, target), {
      phoneNumber: props.phoneNumber,
      allowSharedUpdate: props.allowSharedUpdate,
      onShared: props.onShared,
      restoring: true,
      isolated,
      group: member.group,
      // "clear" empties what it can in place; the copies a number is kept on hold its previous ones.
      previous: mode === "clear" ? undefined : (member.previous ?? props.previousWebhooks),
      // "clear" empties the webhooks only: what routes the number to them stays.
      previousCarrierFields: mode === "clear" ? undefined : props.previousCarrierFields,
      written: declaredBefore(props),
    });
    await journal.forget(props.provider, props.phoneNumber);
    return applied.notes;
  }

  /**
   * The arguments as `check` normalises them (methods upper case), or the failures as an error.
   * The outputs `check` carried forward are not arguments: they are left out.
   */
  private validated(inputs: CheckedArgs & KeptOutputs): CheckedArgs {
    const args = Object.fromEntries(
      Object.entries(inputs).filter(([key]) => !KEPT_NON_ARGUMENTS.includes(key)),
    );
    const checked = checkArgs(args, { allowPrivateHosts: this.allowPrivateHosts() });
    if (checked.failures.length)
      throw new WebhookError(
        checked.failures
          .map((f) => (f.reason.startsWith(`${f.property}:`) ? f.reason : `${f.property}: ${f.reason}`))
          .join("; "),
        "invalid",
      );
    return ARGS_SCHEMA.parse(checked.inputs);
  }

  /**
   * `phoneWebhooks:allowPrivateHosts`. Settings that fail to load (a malformed credential) are
   * reported by the operation that needs them, not by `check`: here they count as not set.
   */
  allowPrivateHosts(): boolean {
    try {
      return this.loadedSettings().allowPrivateHosts;
    } catch {
      return false;
    }
  }

  /**
   * When preflight is on (the argument, else stack config), probes every URL the changes switch
   * the number to, in parallel, and refuses the whole switch when one does not answer like a live
   * endpoint. Resolves to the outcomes, or `undefined` when nothing was probed.
   */
  private async preflight(
    carrier: CarrierName,
    current: CarrierNumber,
    changes: WebhookChanges,
    args: CheckedArgs,
    shared?: PreflightMemo,
  ): Promise<PreflightResults | undefined> {
    const settings = this.loadedSettings();
    if (!(args.preflight ?? settings.preflight)) return undefined;
    const probes = URL_FIELDS.flatMap((field) => {
      const url = changes[field];
      if (!url) return []; // cleared, or not changing
      const options: PreflightOptions = {
        property: field,
        url,
        method: preflightMethod(field, args, current),
        phoneNumber: current.phoneNumber,
        carrier,
        kind: isVoiceField(field) ? "voice" : "sms", // statusCallbackUrl reports calls
        timeoutMs: settings.preflightTimeoutMs,
        dispatcher: this.options.preflightDispatcher,
      };
      // A set switches many numbers to the same URL: it is probed once per operation.
      const key = `${options.method} ${options.kind} ${url}`;
      let result = shared?.get(key);
      if (!result) {
        result = preflightUrl(options);
        shared?.set(key, result);
      }
      return [result.then((result) => ({ options, result }))];
    });
    if (probes.length === 0) return undefined;
    const outcomes = await Promise.all(probes);
    const refusals = outcomes.flatMap(({ options, result }) => preflightRefusal(options, result) ?? []);
    if (refusals.length) throw new WebhookError(refusals.join("; "), "invalid");
    const results: PreflightResults = {};
    for (const { options, result } of outcomes) {
      const outcome: PreflightOutcome = { ms: result.ms, ok: result.ok };
      if (result.status !== undefined) outcome.status = result.status;
      results[options.property as keyof PreflightResults] = outcome;
    }
    return results;
  }

  journal(): TakeoverJournal {
    return new TakeoverJournal(this.loadedSettings().journalDir);
  }

  private loadedSettings(): Settings {
    this.settings ??= loadSettings(this.options.config, this.options.env);
    return this.settings;
  }

  /** One carrier per name and process: resources (and sets) share its caches and locks. */
  carrier(name: CarrierName): Promise<NamedCarrier> {
    let carrier = this.carriers.get(name);
    if (!carrier) {
      const { carriers, retry } = this.loadedSettings();
      const settings = carriers[name];
      if (settings === undefined) throw new WebhookError(missingCredentials(name), "credentials");
      carrier = carrierDescriptor(name).create(settings, retry);
      carrier.catch(() => this.carriers.delete(name));
      this.carriers.set(name, carrier);
    }
    return carrier;
  }

  /** Finds the number at its carrier, detecting the carrier when `provider` is not given. */
  private async locate(args: CheckedArgs): Promise<{ carrier: NamedCarrier; current: CarrierNumber }> {
    const { phoneNumber } = args;
    // A takeover records what the number answered before any resource of this package wrote it.
    const options = { account: args.accountSid, routing: true, originals: true };
    if (args.provider) {
      const carrier = await this.carrier(args.provider);
      const current = await carrier.find(phoneNumber, options);
      if (!current) throw new WebhookError(notFoundMessage(phoneNumber, [carrier.name]), "not-found");
      return { carrier, current };
    }
    const settings = this.loadedSettings();
    // A named account (a subaccount) is searched only at carriers that have them.
    const configured = CARRIER_NAMES.filter(
      (name) =>
        settings.carriers[name] !== undefined &&
        (args.accountSid === undefined || carrierDescriptor(name).subaccounts),
    );
    if (configured.length === 0) throw new WebhookError(NO_CREDENTIALS, "credentials");
    const carriers = await Promise.all(configured.map((p) => this.carrier(p)));
    const found = await Promise.all(
      carriers.map(async (carrier) => ({ carrier, current: await carrier.find(phoneNumber, options) })),
    );
    const matches = found.filter(
      (f): f is { carrier: NamedCarrier; current: CarrierNumber } => f.current !== undefined,
    );
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      const names = matches.map((m) => m.carrier.name);
      throw new WebhookError(
        `Phone number ${phoneNumber} is in both the ${names.join(" and the ")} account: set provider to ${listNames(names, "or")} to choose`,
        "conflict",
      );
    }
    const unsearched = CARRIER_NAMES.filter((name) => !configured.includes(name));
    const note = unsearched.length ? ` (${unsearched.join(" and ")} not searched: no credentials)` : "";
    throw new WebhookError(`${notFoundMessage(phoneNumber, CARRIER_NAMES)}${note}`, "not-found");
  }
}

/** Outputs `check` may carry into the inputs that are not arguments a user declares. */
const KEPT_NON_ARGUMENTS: readonly string[] = KEPT_OUTPUT_NAMES.filter(
  (name) => !(ARG_NAMES as readonly string[]).includes(name),
);

/** The warning of a preview without any carrier credentials (once per provider process). */
export const CARRIER_CHECKS_SKIPPED =
  "Carrier checks skipped: no carrier credentials are set, so the preview checked the arguments only. " +
  "Whether each number is in the account, the credentials work, and no shared object or override refuses " +
  `the change is checked by pulumi up (${NO_CREDENTIALS.replace(/^No carrier credentials: /, "")})`;

/**
 * Whether the arguments differ from the stored inputs in what an update would act on (or there
 * are none: a create). An unchanged resource is not updated: `up` refuses nothing for it.
 */
function changedFromState(olds: Record<string, unknown>, inputs: Record<string, unknown>): boolean {
  if (olds.phoneNumber === undefined) return true;
  const same = (name: string) => JSON.stringify(olds[name] ?? null) === JSON.stringify(inputs[name] ?? null);
  const args = (value: Record<string, unknown>) =>
    value as Pick<CheckedArgs, "onShared" | "allowSharedUpdate">;
  return (
    !["phoneNumber", "provider", "accountSid", ...WEBHOOK_FIELDS].every(same) ||
    (olds.onDelete ?? "restore") !== (inputs.onDelete ?? "restore") ||
    sharedMode(args(olds)) !== sharedMode(args(inputs))
  );
}

/** The stored inputs are of the same number at the same carrier: an update, not a create or replacement. */
function sameNumber(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  const provider = news.provider ?? undefined;
  return (
    olds.phoneNumber !== undefined &&
    olds.phoneNumber === news.phoneNumber &&
    (provider === undefined || olds.provider === undefined || provider === olds.provider)
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What `check` carries forward from the stored inputs (where `read` and every update put them)
 * into the new ones: the outputs an update keeps as they are, which the new inputs do not declare.
 * The engine previews an update of a dynamic resource by returning its checked inputs as its
 * outputs (the host does not preview updates), so these are what a preview knows of them besides
 * the arguments. Only for the same number on the same carrier: anything else is a replacement,
 * which looks the number up afresh. Malformed stored values are dropped.
 */
function keptFromState(olds: Record<string, unknown>, news: Record<string, unknown>): KeptOutputs {
  const stored: Record<string, unknown> = {};
  for (const name of KEPT_OUTPUT_NAMES) {
    const parsed = KEPT_OUTPUTS_SCHEMA.shape[name].safeParse(olds[name]);
    // A null may stand for an identifier, never for an argument (`accountSid`): it would fail `check`.
    const allowed = parsed.success && parsed.data !== undefined;
    if (allowed && (parsed.data !== null || KEPT_NON_ARGUMENTS.includes(name))) stored[name] = parsed.data;
  }
  const declared = news.provider ?? undefined;
  if (
    stored.provider === undefined ||
    isUnknown(news.phoneNumber) ||
    news.phoneNumber !== olds.phoneNumber ||
    (declared !== undefined && declared !== stored.provider)
  )
    return {};
  // A declared value stands as declared (a new `accountSid` is a replacement, not the stored one);
  // a declared provider also makes `providerDetected` false.
  if (declared !== undefined) delete stored.providerDetected;
  for (const name of Object.keys(stored))
    if (news[name] !== undefined && news[name] !== null) delete stored[name];
  // An isolating update may move the number onto copies: the preview shows their ids as unknown.
  const carrier = (declared ?? olds.provider) as CarrierName;
  if (news.onShared === "isolate" || olds.onShared === "isolate")
    for (const name of isolatedIdKeys(carrier)) delete stored[name];
  return stored as KeptOutputs;
}

function isolatedIdKeys(carrier: CarrierName): readonly string[] {
  return carrierDescriptor(carrier)?.isolatedIdKeys ?? [];
}

/**
 * The carrier's identifiers as `read` and `check` put them among the inputs: those set (a null
 * carries nothing, and costs state), and not those an `isolating` resource may change, which
 * `keptFromState` does not carry either (a preview shows them unknown).
 */
function inputIds(
  carrier: CarrierName,
  ids: Partial<Record<(typeof CARRIER_ID_KEYS)[number], unknown>>,
  isolating: boolean,
): Record<string, string> {
  const changing = isolating ? isolatedIdKeys(carrier) : [];
  const set: Record<string, string> = {};
  for (const key of CARRIER_ID_KEYS) {
    const id = ids[key];
    if (typeof id === "string" && !changing.includes(key)) set[key] = id;
  }
  return set;
}

/** True when the carrier was looked up rather than declared, now or when the state was written. */
function providerDetected(inputs: CheckedArgs & KeptOutputs): boolean {
  return inputs.provider === undefined || inputs.providerDetected === true;
}

/** The number as the state last saw it (outputs written by create, update or read). */
function storedNumber(olds: PhoneNumberWebhooksOutputs): CarrierNumber | undefined {
  if (!olds.webhooks) return undefined;
  return {
    phoneNumber: olds.phoneNumber,
    webhooks: { ...UNSET_WEBHOOKS, ...olds.webhooks },
    ids: storedIds(olds.provider, olds),
    sharedWith: olds.sharedWith ?? [],
  };
}

/** The carrier's identifiers as the state recorded them. */
function storedIds(carrier: CarrierName, olds: Partial<PhoneNumberWebhooksOutputs>): CarrierIds {
  const ids: Record<string, string | null> = {};
  for (const key of carrierDescriptor(carrier).idKeys) {
    const value = olds[key as keyof PhoneNumberWebhooksOutputs];
    if (typeof value === "string" || value === null) ids[key] = value;
  }
  return ids;
}

/**
 * What answers for each setting `stored` manages: the number's own value, or what overrides it (a
 * Messaging Service's URL). A password added in the console is not ours to store in plain inputs:
 * it is masked (diff reads the outputs).
 */
function liveDeclared(
  stored: Partial<Record<WebhookField, string | null>>,
  current: CarrierNumber,
): WebhookChanges {
  const live: WebhookChanges = {};
  for (const field of WEBHOOK_FIELDS) {
    if (stored[field] === undefined) continue;
    const override = current.overrides?.[field];
    const value = override ? override.effective : current.webhooks[field];
    live[field] = value !== null && value !== stored[field] && hasUserinfo(value) ? redactUrl(value) : value;
  }
  return live;
}

/** The settings a resource declared when its state was written: what it wrote. */
function declaredBefore(olds: Partial<Record<WebhookField, string | null>>): WebhookChanges {
  const declared: WebhookChanges = {};
  for (const field of WEBHOOK_FIELDS) if (olds[field] !== undefined) declared[field] = olds[field];
  return declared;
}

/** The settings the arguments declare (the managed ones), methods upper case. */
function managedSettings(args: CheckedArgs): WebhookChanges {
  const desired: WebhookChanges = {};
  for (const field of WEBHOOK_FIELDS) {
    const value = args[field];
    if (value !== undefined) desired[field] = value;
  }
  return desired;
}

/**
 * The method a URL is probed with: the declared one (else the number's) for `voiceUrl` and
 * `smsUrl`; POST for fallbacks and the status callback, the carriers' default for them.
 */
function preflightMethod(field: WebhookField, args: CheckedArgs, current: CarrierNumber): "GET" | "POST" {
  const methodField = field === "voiceUrl" ? "voiceMethod" : field === "smsUrl" ? "smsMethod" : undefined;
  if (!methodField) return "POST";
  const method = args[methodField] ?? current.webhooks[methodField];
  return method === "GET" ? "GET" : "POST";
}

/**
 * With `onShared: "isolate"` or `"update"`, where a setting lives matters as much as its value: a
 * value another resource wrote on an object the number shares is not this one's to rely on (its
 * destroy takes it away). So every declared setting is planned: isolated, or claimed on the shared
 * object (another resource of the run then gives way), and the carrier writes none that is already
 * the number's own.
 */
function planningAll(args: CheckedArgs): boolean {
  return sharedMode(args) !== "refuse";
}

/**
 * What is planned: the settings that differ, or with `all`, every desired one; and, always, those
 * the number answers only because another resource wrote them (in this run, or in place with
 * consent: what it answered before differs). Planned, they ask for consent as a write would, so a
 * resource never relies on another's write, which that one gives back when it goes.
 */
function planned(
  current: CarrierNumber,
  desired: WebhookChanges,
  differing: WebhookChanges,
  all: boolean,
): WebhookChanges {
  const before = current.webhooksBeforeThisRun;
  const borrowed = Object.entries(desired).filter(
    ([field, value]) => before !== undefined && (before[field as WebhookField] ?? null) !== (value ?? null),
  );
  const plannedAll = all ? Object.entries(desired) : [];
  return {
    ...Object.fromEntries([...plannedAll, ...borrowed].map(([f, v]) => [f, v ?? null])),
    ...differing,
  };
}

/** Only what differs from the live configuration is written. */
function changesTowards(live: WebhookSettings, desired: WebhookChanges): WebhookChanges {
  const changes: WebhookChanges = {};
  for (const field of Object.keys(desired) as WebhookField[]) {
    if (desired[field] !== live[field]) changes[field] = desired[field] ?? null;
  }
  return changes;
}

/**
 * A declared setting that something else overrides would "succeed" and change nothing. An override
 * the write itself ends (`switchable`) is not refused when the resource consents (`switchHandlers`).
 */
function refuseIneffective(
  carrier: Carrier,
  current: CarrierNumber,
  desired: WebhookChanges,
  switchHandlers: boolean | undefined,
): void {
  try {
    refuseOverridden(current.phoneNumber, desired, overridesInEffect(current, switchHandlers));
  } catch (error) {
    throw updateFailed(current.phoneNumber, carrier.name, error);
  }
}

/** The overrides a write leaves in place: all, but those it switches with consent. */
function overridesInEffect(current: CarrierNumber, switchHandlers: boolean | undefined): Overrides {
  const overrides = Object.entries(current.overrides ?? {});
  return Object.fromEntries(overrides.filter(([, o]) => !(switchHandlers === true && o.switchable)));
}

/**
 * Declared settings a consented switch makes effective (`switchHandlers`, a `switchable` override):
 * written even where the number has the value already, since it does not answer with it until then.
 */
function switchedSettings(
  current: CarrierNumber,
  desired: WebhookChanges,
  args: Pick<CheckedArgs, "switchHandlers">,
): WebhookChanges {
  if (args.switchHandlers !== true) return {};
  const switched = Object.entries(desired).filter(
    ([field, value]) => value != null && current.overrides?.[field as WebhookField]?.switchable,
  );
  return Object.fromEntries(switched);
}

/** The writes may switch what routes the number (a consented, `switchable` override): it is read again. */
function switchesRouting(current: CarrierNumber, args: Pick<CheckedArgs, "switchHandlers">): boolean {
  return args.switchHandlers === true && Object.values(current.overrides ?? {}).some((o) => o.switchable);
}

/** `onDelete: "clear"` must be possible before the number is taken over, not discovered at destroy. */
function refuseUnclearable(
  carrier: Carrier,
  current: CarrierNumber,
  desired: WebhookChanges,
  onDelete?: OnDelete,
) {
  if (onDelete !== "clear") return;
  const unclearable = carrier.unclearableFields(current);
  const blocked = unclearable.fields.filter((f) => f in desired);
  if (blocked.length)
    throw new WebhookError(
      `onDelete: "clear" cannot empty ${blocked.join(", ")} of ${current.phoneNumber}: ${carrier.name} requires ` +
        `${blocked.length > 1 ? "them" : "it"} on its ${unclearable.holder}. Use onDelete: "restore" or "retain"`,
      "invalid",
    );
}

interface ApplyOptions extends Pick<CheckedArgs, "phoneNumber" | "allowSharedUpdate" | "onShared"> {
  restoring?: boolean;
  previous?: Partial<WebhookSettings>;
  previousCarrierFields?: CarrierFields;
  written?: WebhookChanges;
  /** The copies this resource made before (state, journal). */
  isolated?: Isolation[];
  onCopyMade?: (isolation: Isolation) => Promise<void>;
  group?: NumberGroup;
  switchHandlers?: boolean;
}

/** What `applyChanges` did: the webhooks as written, the number's moves, and notes for `message`. */
interface Applied {
  webhooks: WebhookSettings;
  moves: NumberMove[];
  notes: string[];
}

/**
 * Runs the carrier's writes in order and verifies each answer. If one fails, or reads back other
 * than written, the writes already made are undone, newest first, and the error says so.
 */
async function applyChanges(
  carrier: Carrier,
  current: CarrierNumber,
  changes: WebhookChanges,
  args: ApplyOptions,
): Promise<Applied> {
  const live = { ...current.webhooks };
  // A restore always plans: the objects the number is on may have copies kept, or a backup, to settle.
  if (Object.keys(changes).length === 0 && !args.restoring) return { webhooks: live, moves: [], notes: [] };
  const mode = sharedMode(args);
  let steps: WriteStep[];
  try {
    steps = await carrier.planWrites(current, changes, {
      allowSharedUpdate: mode === "update",
      restoring: args.restoring,
      isolate: mode === "isolate",
      isolated: args.isolated,
      onCopyMade: args.onCopyMade,
      group: args.group,
      previous: args.previous,
      previousCarrierFields: args.previousCarrierFields,
      written: args.written,
      switchHandlers: args.switchHandlers,
    });
  } catch (error) {
    throw updateFailed(args.phoneNumber, carrier.name, error);
  }
  // A step counts as attempted before its write returns: a write that reached the carrier and then
  // failed (no answer, a refused answer) is undone too. Each step knows whether it may have landed.
  const done: WriteStep[] = [];
  for (const step of steps) {
    done.push(step);
    try {
      const answered = await step.write();
      const wrong = step.fields.filter((f) => (answered[f] ?? null) !== (changes[f] ?? null));
      if (wrong.length)
        throw new WebhookError(
          `Verification failed: ${wrong.map((f) => `${f} reads back as ${describeValue(answered[f])} instead of ${describeValue(changes[f])}`).join(", ")}`,
          "carrier",
        );
      Object.assign(live, answered);
    } catch (error) {
      if (step.final) {
        const failure = updateFailed(args.phoneNumber, carrier.name, error);
        failure.partiallyApplied = true;
        failure.message += `. The webhooks were written, and stay; tidying up after them failed: ${CONVERGE}`;
        throw failure;
      }
      const undoProblems = await undoSteps(done);
      const failure = updateFailed(args.phoneNumber, carrier.name, error);
      if (undoProblems.length) {
        failure.partiallyApplied = true;
        failure.message += `. Putting back the earlier writes failed too (${undoProblems.join("; ")}): ${CONVERGE}`;
      } else if (done.length > 1)
        failure.message += `. The earlier writes (${done
          .slice(0, -1)
          .map((s) => s.target)
          .join(", ")}) were put back`;
      throw failure;
    }
  }
  const moves = steps.flatMap((step) => step.moved?.() ?? []);
  const notes = steps.flatMap((step) => step.note?.() ?? []);
  return { webhooks: live, moves, notes };
}

/**
 * The number after the writes. When it moved between objects, the carrier describes it again (its
 * new identifiers and neighbours; Telnyx answers from what the moves answered, without a call);
 * the copies it is on now are the ones this resource holds. When the writes `switched` what routes
 * it, the carrier describes it again with its routing (from what the write answered).
 */
async function readBack(
  carrier: Carrier,
  current: CarrierNumber,
  applied: Applied,
  isolatedBefore: Isolation[],
  switched = false,
): Promise<{ number: CarrierNumber; isolated: Isolation[] }> {
  let number: CarrierNumber = { ...current, webhooks: applied.webhooks };
  if (switched) {
    const found = await carrier.find(current.phoneNumber, {
      account: current.ids.accountSid ?? undefined,
      routing: true,
    });
    if (!found) throw new WebhookError(notFoundMessage(current.phoneNumber, [carrier.name]), "not-found");
    number = found;
  } else if (applied.moves.length) {
    const found = await carrier.find(current.phoneNumber, { account: current.ids.accountSid ?? undefined });
    if (!found) throw new WebhookError(notFoundMessage(current.phoneNumber, [carrier.name]), "not-found");
    // A move changes which objects hold the webhooks (Telnyx), not what overrides them (Twilio).
    number = { ...found, overrides: current.overrides };
  }
  let isolated = [...isolatedBefore];
  for (const { direction, isolation } of applied.moves) {
    isolated = isolated.filter((i) => i.holds !== isolation.holds);
    if (direction === "isolated") isolated.push(isolation);
  }
  // A copy the number is not on now (moved back by a destroy that died, or in the portal) stays
  // recorded: only a restore deletes copies, and it must know every copy made.
  const order = (i: Isolation) => (i.holds === "voice" ? 0 : 1);
  return { number, isolated: isolated.sort((a, b) => order(a) - order(b)) };
}

/** The copies of the state and of the journal (a run that died after making one), once each. */
function unionOfIsolations(stored: Isolation[], journaled: Isolation[]): Isolation[] {
  const extra = journaled.filter((j) => !stored.some((s) => s.copyId === j.copyId || s.holds === j.holds));
  return [...stored, ...extra];
}

/** What a failure that left changes behind asks for. */
const CONVERGE = "run `pulumi up` again to converge";

/** A warning in the engine's output (see engine-log.ts), else on stderr. */
export { warn };

async function undoSteps(done: WriteStep[]): Promise<string[]> {
  const problems: string[] = [];
  for (const step of [...done].reverse()) {
    try {
      await step.undo();
    } catch (error) {
      problems.push(`${step.target}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

function buildOutputs(
  args: Partial<Pick<CheckedArgs, WebhookField | "onDelete" | "allowSharedUpdate" | "onShared">> & {
    phoneNumber: string;
  },
  provider: CarrierName,
  current: CarrierNumber,
  previous: WebhookSettings,
  isolated: Isolation[] = [],
  notes: string[] = [],
): PhoneNumberWebhooksOutputs {
  const updatedWebhooks: { voice?: string; sms?: string } = {};
  if (args.voiceUrl) updatedWebhooks.voice = redactUrl(args.voiceUrl);
  if (args.smsUrl) updatedWebhooks.sms = redactUrl(args.smsUrl);
  const outs: PhoneNumberWebhooksOutputs = {
    phoneNumber: args.phoneNumber,
    provider,
    updatedWebhooks,
    message: [
      successMessage(Object.keys(updatedWebhooks).length, args.phoneNumber, provider),
      ...[isolatedNote(args.phoneNumber, isolated), ...notes].filter(Boolean),
    ].join("; "),
    webhooks: { ...UNSET_WEBHOOKS, ...current.webhooks },
    previousWebhooks: { ...UNSET_WEBHOOKS, ...previous },
    sharedWith: current.sharedWith,
  };
  const overriddenBy = Object.entries(current.overrides ?? {}).map(([field, o]) => [field, o.by]);
  if (overriddenBy.length) outs.overriddenBy = Object.fromEntries(overriddenBy);
  // The managed settings as declared: they tell update and delete which settings are this resource's.
  for (const key of [...WEBHOOK_FIELDS, "onDelete", "allowSharedUpdate", "onShared"] as const)
    if (args[key] !== undefined) Object.assign(outs, { [key]: args[key] });
  if (isolated.length) outs.isolated = isolated;
  for (const key of CARRIER_ID_KEYS) if (current.ids[key] !== undefined) outs[key] = current.ids[key];
  return outs;
}

/**
 * The carrier's own previous values, recorded when the number was taken over, stay in the outputs
 * as they were (none for a carrier that keeps none: its state looks as it always did).
 */
function keepCarrierFields(outs: PhoneNumberWebhooksOutputs, fields: CarrierFields | undefined): void {
  if (fields !== undefined) outs.previousCarrierFields = { ...fields };
}

/** What the state says was isolated, for `message`: the same words however many runs it took. */
function isolatedNote(phoneNumber: string, isolated: Isolation[]): string {
  if (!isolated.length) return "";
  const copies = isolated.map(
    (i) => `${i.objectType.replace(/_/g, " ")} ${i.copyId} (a copy of ${i.originalId})`,
  );
  return `${phoneNumber} is isolated on objects made for it: ${copies.join(", ")}; the other numbers on the originals are untouched`;
}

let shared: PhoneNumberWebhooksProvider | undefined;

/**
 * The provider instance of this process. Every resource's serialized provider calls into it, so
 * resources share one set of carrier clients (and their caches and locks) per `pulumi` operation.
 */
export function sharedProvider(): PhoneNumberWebhooksProvider {
  shared ??= new PhoneNumberWebhooksProvider();
  return shared;
}
