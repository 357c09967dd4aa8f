/**
 * A local HTTPS webhook endpoint for preflight tests and the bench, with a self-signed certificate for 127.0.0.1 made by
 * openssl at test time. The first path segment says how to answer: a status code (`/404/voice`)
 * or `hang` (never answer). Webhooks are https only, so tests trust the certificate the way a user
 * would trust a private CA: an undici `Agent` given to the provider (carrier tests), or
 * `NODE_EXTRA_CA_CERTS` in the environment of the `pulumi` process (end-to-end tests).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ArrivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class PreflightServer {
  private constructor(
    /** Every request, in order of arrival. */
    readonly arrived: ArrivedRequest[],
    private readonly server: https.Server,
    private readonly dir: string,
    /** The PEM certificate, to trust as a CA. */
    readonly cert: string,
  ) {}

  /** The certificate's file, for `NODE_EXTRA_CA_CERTS`. */
  get certFile(): string {
    return join(this.dir, "cert.pem");
  }

  static async start(): Promise<PreflightServer> {
    const dir = mkdtempSync(join(tmpdir(), "phone-webhooks-preflight-"));
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"].concat([
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ]),
      { stdio: "ignore" },
    );
    const pem = readFileSync(cert, "utf8");
    const arrived: ArrivedRequest[] = [];
    const server = https.createServer({ key: readFileSync(key), cert: pem }, (req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const path = req.url ?? "";
        arrived.push({ method: req.method ?? "", path, headers: req.headers, body });
        const mode = path.split(/[/?]/)[1] ?? "";
        if (mode === "hang") return; // never answers
        res.writeHead(/^\d{3}$/.test(mode) ? Number(mode) : 200, { "Content-Type": "text/xml" });
        res.end("<Response/>");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new PreflightServer(arrived, server, dir, pem);
  }

  /** `https://127.0.0.1:<port>/<mode>/<name>`: answers `mode` (a status, or `hang`). */
  url(mode: string | number, name = "hook"): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/${mode}/${name}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An https URL on 127.0.0.1 where nothing listens: a port that was free a moment ago. */
export async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `https://127.0.0.1:${port}/closed/hook`;
}
