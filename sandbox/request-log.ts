/** The log of carrier requests the sandbox received, and the calls per endpoint. */
import type { Carrier } from "./carriers";
import type { FaultKind } from "./faults";

export interface RequestLogEntry {
  carrier: Carrier;
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Query parameters (decoded; the last one wins when a name repeats). */
  query: Record<string, string>;
  /** Normalised endpoint, e.g. "POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json". */
  endpoint: string;
  /** HTTP status sent; 0 when no response was sent (a "drop" or "hang" fault, or a closed sandbox). */
  status: number;
  /** Time from the request's arrival to its response, latency included. */
  ms: number;
  /** The injected fault that answered this request, if any. */
  fault?: FaultKind;
  /** The request body as its carrier parsed it (a form, JSON), or the raw text if it did not parse. */
  body?: unknown;
}

/** Past this many entries the older half is dropped, so a long-running sandbox stays bounded. */
const MAX_LOG = 200_000;

export class RequestLog {
  private log: RequestLogEntry[] = [];
  private readonly countMap = new Map<string, number>();

  /** Logs the entry as it is; the server fills in its status and time once answered. */
  record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log = this.log.slice(-MAX_LOG / 2);
    this.countMap.set(entry.endpoint, (this.countMap.get(entry.endpoint) ?? 0) + 1);
  }

  /** A copy, oldest first. */
  entries(): RequestLogEntry[] {
    return structuredClone(this.log);
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.countMap);
  }

  clear(): void {
    this.log = [];
    this.countMap.clear();
  }
}
