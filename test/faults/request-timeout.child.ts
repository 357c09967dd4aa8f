/**
 * Run by request-timeout.test.ts as `node --expose-gc --always-turbofan --import tsx <this file>`:
 * one request that never answers, sent through the provider's `retryingFetch` while garbage is
 * collected every 20 ms. Prints `{"provider": "..."}`: "answered ok after N ms" when the hung
 * attempt was ended after attemptTimeoutMs and retried, "failed ... after N ms" when only the
 * caller's backstop (the Telnyx client's own timeout) ended it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { retryingFetch, type RetryPolicy } from "../../provider/retry";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const POLICY: RetryPolicy = { attemptTimeoutMs: 300, maxElapsedMs: 1500, baseDelayMs: 50, maxDelayMs: 100 };
const BACKSTOP_MS = POLICY.maxElapsedMs + POLICY.attemptTimeoutMs;

async function oneHang(url: string, send: typeof fetch): Promise<string> {
  const backstop = new AbortController();
  const timer = setTimeout(() => backstop.abort(new Error("backstop")), BACKSTOP_MS);
  const collecting = setInterval(gc!, 20);
  const started = Date.now();
  try {
    const res = await send(url, {
      method: "GET",
      headers: { accept: "application/json" },
      signal: backstop.signal,
    });
    return `answered ${await res.text()} after ${Date.now() - started} ms`;
  } catch (error) {
    return `failed (${(error as Error).message}) after ${Date.now() - started} ms`;
  } finally {
    clearInterval(collecting);
    clearTimeout(timer);
  }
}

async function main() {
  let requests = 0;
  // The first request of each pair never answers; its retry does.
  const server = http.createServer((_req, res) => {
    requests += 1;
    if (requests % 2 === 1) return;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const provider = await oneHang(url, retryingFetch(POLICY));
    process.stdout.write(JSON.stringify({ provider }) + "\n");
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

void main();
