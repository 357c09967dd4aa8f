/**
 * Warnings and progress lines from the provider process, to the Pulumi CLI.
 *
 * `pulumi.log.warn` needs a connection to the engine, which Pulumi's dynamic-provider host never
 * makes: in its process the SDK falls back to `console.warn`, and the engine shows what a plugin
 * writes to stderr as a message of the stack (`warning: [runtime] …`, severity `info#err` in
 * `--json`), not as a warning. The engine starts the host as every provider plugin,
 * `node …/cmd/dynamic-provider/index.js <engine address>`: the address of its Engine service,
 * whose `Log` call is how any provider reports a diagnostic. A warning goes there (a real warning:
 * `N warnings` in the summary, severity `warning` in `--json`, under the stack since `check` is
 * not told which resource it checks), and to `pulumi.log.warn` when that fails or the process is
 * not the host (tests, mocks).
 */
import { createRequire } from "node:module";

/** How long one warning may take to reach the engine before it is written to stderr instead. */
const LOG_TIMEOUT_MS = 5_000;

interface EngineLogClient {
  log(message: string, kind: "warning" | "status"): Promise<void>;
}

let engine: Promise<EngineLogClient | undefined> | undefined;

/** A warning in the engine's output, else on stderr. */
export async function warn(message: string): Promise<void> {
  try {
    const client = await (engine ??= connect(process.argv));
    if (client) return await client.log(message, "warning");
  } catch {
    // The engine is gone or refused the call: stderr still reaches the CLI.
  }
  try {
    const pulumi = await import("@pulumi/pulumi");
    await pulumi.log.warn(message);
  } catch {
    process.stderr.write(`warning: ${message}\n`);
  }
}

/**
 * A status line of the operation in progress: an ephemeral info message (`LogRequest.ephemeral`),
 * which the CLI shows while the step runs (the row's info column in the interactive display, a
 * line per message in `--non-interactive` output, `"ephemeral": true` in `--event-log`) and leaves
 * out of the diagnostics summary. It carries no resource URN: the dynamic-provider host does not
 * tell the provider which resource it acts for (pulumi/pulumi#9434), so the engine shows it under
 * the stack. Dropped where there is no engine (tests, mocks): progress is not worth a fallback.
 */
export async function status(message: string): Promise<void> {
  try {
    const client = await (engine ??= connect(process.argv));
    await client?.log(message, "status");
  } catch {
    // A lost progress line is harmless; the next one says the same and more.
  }
}

/**
 * The engine's address when this process is Pulumi's dynamic-provider host: its script is
 * `cmd/dynamic-provider/index.js` of `@pulumi/pulumi`, and its first argument `host:port`.
 */
export function engineAddress(argv: readonly string[]): string | undefined {
  const [, script, address] = argv;
  if (!script || !/[\\/]cmd[\\/]dynamic-provider(?:[\\/]index\.js)?$/.test(script)) return undefined;
  return address && /^[\w.-]+:\d+$/.test(address) ? address : undefined;
}

/** A client of the engine's Log call, through the gRPC modules `@pulumi/pulumi` ships with. */
async function connect(argv: readonly string[]): Promise<EngineLogClient | undefined> {
  const address = engineAddress(argv);
  if (!address) return undefined;
  // Resolved from the SDK's own location: its gRPC library and generated stubs, whatever the layout.
  const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
  const grpc = sdkRequire("@grpc/grpc-js") as {
    credentials: { createInsecure(): unknown };
    Metadata: new () => unknown;
  };
  const services = sdkRequire("@pulumi/pulumi/proto/engine_grpc_pb") as {
    EngineClient: new (
      address: string,
      credentials: unknown,
    ) => {
      log(
        request: unknown,
        metadata: unknown,
        options: { deadline: number },
        callback: (error: Error | null) => void,
      ): void;
    };
  };
  const messages = sdkRequire("@pulumi/pulumi/proto/engine_pb") as {
    LogRequest: new () => {
      setSeverity(s: number): void;
      setMessage(m: string): void;
      setEphemeral(e: boolean): void;
    };
    LogSeverity: { INFO: number; WARNING: number };
  };
  const client = new services.EngineClient(address, grpc.credentials.createInsecure());
  return {
    log: (message, kind) =>
      new Promise<void>((resolve, reject) => {
        const request = new messages.LogRequest();
        request.setSeverity(kind === "warning" ? messages.LogSeverity.WARNING : messages.LogSeverity.INFO);
        request.setMessage(message);
        if (kind === "status") request.setEphemeral(true);
        client.log(request, new grpc.Metadata(), { deadline: Date.now() + LOG_TIMEOUT_MS }, (error) =>
          error ? reject(error) : resolve(),
        );
      }),
  };
}
