/**
 * Settings, from the stack configuration (`configure`) or else the environment: each carrier's
 * (credentials and endpoints, as its descriptor declares them) and the package's own. Credentials
 * live only in the provider process: never in inputs, outputs or the serialized provider.
 */
import { z } from "zod";
import type { CarrierSetting } from "./carriers/carrier";
import { CARRIERS, type CarrierName } from "./carriers";
import { WebhookError } from "./errors";
import { DEFAULT_JOURNAL_DIR } from "./journal";
import { DEFAULT_PREFLIGHT_TIMEOUT_MS } from "./preflight";
import { ALLOW_PRIVATE_HOSTS_KEY } from "./reachability";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry";
import { nearest } from "./spelling";

export interface Settings {
  /** Each carrier that has credentials, with its own settings (see its descriptor). */
  carriers: Partial<Record<CarrierName, unknown>>;
  retry: RetryPolicy;
  /** Where originals are kept until a takeover completes; `undefined` turns the journal off. */
  journalDir?: string;
  /** `check` accepts webhook hosts no carrier can reach (loopback, private): labs and tests only. */
  allowPrivateHosts: boolean;
  /** Every resource of the stack probes a new webhook URL before switching a number to it. */
  preflight: boolean;
  preflightTimeoutMs: number;
  /**
   * `check` asks the carriers what `pulumi up` would refuse (default `true`): the number, the
   * credentials, overrides and shared objects. The drift command turns it off: it reports what
   * differs, and a released number or a new override is drift there, not a failure.
   */
  previewChecks: boolean;
}

/** The package's own settings: a stack config key, then an environment variable. */
export const PACKAGE_SETTINGS = {
  requestTimeoutMs: {
    config: "phoneWebhooks:requestTimeoutMs",
    env: "PHONE_WEBHOOKS_REQUEST_TIMEOUT_MS",
    help: "how long one carrier request may take before it is retried",
  },
  retryTimeoutMs: {
    config: "phoneWebhooks:retryTimeoutMs",
    env: "PHONE_WEBHOOKS_RETRY_TIMEOUT_MS",
    help: "how long retries of one call may go on",
  },
  journalDir: {
    config: "phoneWebhooks:journalDir",
    env: "PHONE_WEBHOOKS_JOURNAL_DIR",
    help: 'where the takeover journal is kept ("off" turns it off)',
  },
  allowPrivateHosts: {
    config: ALLOW_PRIVATE_HOSTS_KEY,
    env: "PHONE_WEBHOOKS_ALLOW_PRIVATE_HOSTS",
    help: "accept webhook hosts no carrier can reach (loopback, private networks): labs and tests only",
  },
  preflight: {
    config: "phoneWebhooks:preflight",
    env: "PHONE_WEBHOOKS_PREFLIGHT",
    help: "probe a new webhook URL before switching a number to it, for every resource of the stack",
  },
  previewChecks: {
    config: "phoneWebhooks:previewChecks",
    env: "PHONE_WEBHOOKS_PREVIEW_CHECKS",
    help: "false: check validates the arguments only, and asks no carrier what pulumi up would refuse (the drift command sets it)",
  },
  preflightTimeoutMs: {
    config: "phoneWebhooks:preflightTimeoutMs",
    env: "PHONE_WEBHOOKS_PREFLIGHT_TIMEOUT_MS",
    help: "how long a preflight request may take before the URL counts as not answering",
  },
} as const satisfies Record<string, CarrierSetting>;

export interface ConfigSource {
  get(key: string): string | undefined;
}

const milliseconds = (key: string) =>
  z.coerce
    .number({ error: `${key} must be a number of milliseconds` })
    .int(`${key} must be a whole number of milliseconds`)
    .positive(`${key} must be positive`);

export function loadSettings(
  config: ConfigSource | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const read = (setting: CarrierSetting): string | undefined => {
    const value = config?.get(setting.config) ?? env[setting.env];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const readMilliseconds = (setting: CarrierSetting): number | undefined => {
    const value = read(setting);
    if (value === undefined) return undefined;
    const result = milliseconds(setting.config).safeParse(value);
    if (result.success) return result.data;
    throw new WebhookError(result.error.issues[0]?.message ?? `${setting.config} is invalid`, "credentials");
  };
  const readBoolean = (setting: CarrierSetting, fallback = false): boolean => {
    const value = read(setting)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === "false") return false;
    if (value === "true") return true;
    throw new WebhookError(
      `${setting.config} must be true or false (got ${JSON.stringify(value)})`,
      "invalid",
    );
  };

  const journal = read(PACKAGE_SETTINGS.journalDir);
  const retry = { ...DEFAULT_RETRY_POLICY };
  retry.attemptTimeoutMs = readMilliseconds(PACKAGE_SETTINGS.requestTimeoutMs) ?? retry.attemptTimeoutMs;
  retry.maxElapsedMs = readMilliseconds(PACKAGE_SETTINGS.retryTimeoutMs) ?? retry.maxElapsedMs;

  const carriers: Settings["carriers"] = {};
  for (const carrier of CARRIERS) {
    const values = Object.fromEntries(
      Object.entries(carrier.settings).map(([key, setting]) => [key, read(setting)]),
    );
    const loaded = carrier.loadSettings(values);
    if (loaded !== undefined) carriers[carrier.name] = loaded;
  }
  return {
    carriers,
    retry,
    journalDir: journal === "off" ? undefined : (journal ?? DEFAULT_JOURNAL_DIR),
    allowPrivateHosts: readBoolean(PACKAGE_SETTINGS.allowPrivateHosts),
    preflight: readBoolean(PACKAGE_SETTINGS.preflight),
    previewChecks: readBoolean(PACKAGE_SETTINGS.previewChecks, true),
    preflightTimeoutMs: readMilliseconds(PACKAGE_SETTINGS.preflightTimeoutMs) ?? DEFAULT_PREFLIGHT_TIMEOUT_MS,
  };
}

/** "No twilio credentials: set ...": for a carrier that is needed and has none. */
export function missingCredentials(name: CarrierName): string {
  const { credentials } = CARRIERS.find((c) => c.name === name)!;
  return `No ${name} credentials: set ${credentials.config} with \`pulumi config set --secret\`, or ${credentials.env} in the environment`;
}

export const NO_CREDENTIALS =
  `No carrier credentials: set ${CARRIERS.map((c) => c.credentials.config).join(", or ")}, with \`pulumi config set --secret\`; ` +
  `or the environment variables ${CARRIERS.map((c) => c.credentials.env).join(" and ")}`;

/**
 * The keys of the stack configuration the provider was given, when the host says: Pulumi's
 * dynamic-provider host hands `configure` a `Config` over the whole stack configuration, kept as
 * `rawConfig` (it has no public way to list it). `undefined` when it does not have one.
 */
export function configKeys(config: ConfigSource): string[] | undefined {
  const parsed = z.object({ rawConfig: z.record(z.string(), z.unknown()) }).safeParse(config);
  return parsed.success ? Object.keys(parsed.data.rawConfig) : undefined;
}

/** `twilio:authToken` → [`twilio`, `authToken`]. */
const splitKey = (key: string): [string, string] => {
  const colon = key.indexOf(":");
  return colon < 0 ? ["", key] : [key.slice(0, colon), key.slice(colon + 1)];
};

/**
 * Warnings for the stack config keys this package would silently ignore. Its own namespace
 * (`phoneWebhooks:`) is its alone: every key it does not read is named, with the nearest it does.
 * The carriers' namespaces (`twilio:`, `telnyx:`, from the registry) are shared with other Pulumi
 * providers, whose keys are none of ours: there (and anywhere else) only a near miss of a key of
 * ours is named: one letter off, or the same letters in another case (`twilio:authtoken`).
 */
export function settingWarnings(keys: readonly string[]): string[] {
  const own = Object.values(PACKAGE_SETTINGS).map((s) => s.config);
  const [ownNamespace] = splitKey(own[0]!);
  const carrierKeys = CARRIERS.flatMap((c) => Object.values<CarrierSetting>(c.settings).map((s) => s.config));
  const carrierNamespaces = new Set(carrierKeys.map((k) => splitKey(k)[0]));
  const known = new Set([...own, ...carrierKeys]);
  const warnings: string[] = [];
  for (const key of keys) {
    if (known.has(key)) continue;
    const [namespace, name] = splitKey(key);
    if (namespace === ownNamespace) {
      const near = nearest(
        name,
        own.map((k) => splitKey(k)[1]),
      );
      warnings.push(
        `Stack config ${key} is not a setting of pulumi-phone-webhooks and is ignored: ` +
          (near ? `did you mean ${ownNamespace}:${near}?` : `its settings are ${own.join(", ")}`),
      );
      continue;
    }
    // Elsewhere (a carrier's namespace, or ours spelt in another case), only a near miss.
    const near = nearest(key, [...known], 1);
    if (!near) continue;
    const shared = carrierNamespaces.has(namespace)
      ? ` (other Pulumi providers share the ${namespace}: namespace: if one of them reads ${key}, ignore this)`
      : "";
    warnings.push(`Stack config ${key} is not read by pulumi-phone-webhooks: did you mean ${near}?${shared}`);
  }
  return warnings;
}
