/**
 * The sandbox's carrier registry: every carrier it plays, one line each. The types of seeds, of
 * `state()`, of the credentials and of `sandbox.control`'s carrier methods follow from here.
 */
import type { CarrierTypes, Release as ReleaseOf, SandboxCarrier } from "./carrier";
import { signalwireSandbox } from "./signalwire";
import { telnyxSandbox } from "./telnyx";
import { twilioSandbox } from "./twilio";

export const SANDBOX_CARRIERS = [twilioSandbox, telnyxSandbox, signalwireSandbox] as const;

type Registered = (typeof SANDBOX_CARRIERS)[number];
type TypesOf<C> = C extends SandboxCarrier<string, infer T extends CarrierTypes> ? T : never;
type Named<N extends string> = Extract<Registered, { name: N }>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;

/** A carrier's name, as the provider's registry has it. */
export type Carrier = Registered["name"];
export const SANDBOX_CARRIER_NAMES = SANDBOX_CARRIERS.map((c) => c.name) as readonly Carrier[] as readonly [
  Carrier,
  ...Carrier[],
];

/** A number given up through a carrier's API. */
export type Release = ReleaseOf<Carrier>;

/** A seed: any subset of the state, in the carriers' own field names, a section per carrier. */
export type SandboxSeed = { [N in Carrier]?: TypesOf<Named<N>>["seed"] };
/** What `control.state()` returns: the seed's shape, every default filled in. It is itself a valid seed. */
export type SandboxState = { [N in Carrier]: TypesOf<Named<N>>["dump"] };
/** The live state, a section per carrier. */
export type NormalizedState = { [N in Carrier]: TypesOf<Named<N>>["state"] };
/** The credentials the sandbox accepts now, as the control API's info endpoint shows them. */
export type SandboxCredentials = { [N in Carrier]: TypesOf<Named<N>>["credentials"] };
/** The control methods the carriers add to `sandbox.control`. */
export type CarrierControls = UnionToIntersection<TypesOf<Registered>["control"]>;
/** Each carrier's base URL on a sandbox: `<name>BaseUrl`. */
export type CarrierBaseUrls = { [N in Carrier as `${N}BaseUrl`]: string };
/** The validation switches of the carriers that have validation: `validate<Name>`. */
export type CarrierValidationOptions = {
  [
    C in Registered as C["validation"] extends undefined ? never : `validate${Capitalize<C["name"]>}`
  ]?: boolean;
};

/** The environment variable of a setting by the provider's convention: `twilio` + `authToken` is `TWILIO_AUTH_TOKEN`. */
type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? H extends Uppercase<H>
    ? H extends Lowercase<H>
      ? `${H}${SnakeCase<T>}`
      : `_${H}${SnakeCase<T>}`
    : `${H}${SnakeCase<T>}`
  : S;
type EnvName<N extends string, Key extends string> = Uppercase<`${N}_${SnakeCase<Key>}`>;
/** The environment variables that point the phone-webhooks provider at a sandbox. */
export type SandboxProviderEnvironment = UnionToIntersection<
  { [N in Carrier]: Record<EnvName<N, TypesOf<Named<N>>["settingKey"]>, string> }[Carrier]
>;
