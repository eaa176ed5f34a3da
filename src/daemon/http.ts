import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { platformError } from "../errors.js";
import { errorText } from "../redact.js";

export interface Probes {
  /** The scheduler loop is alive. */
  healthy(): boolean;
  /** Project loaded, history reachable, not shutting down. */
  ready(): boolean;
  metrics(): Promise<{ contentType: string; text: string }>;
}

/**
 * What one client may hold of the server. A slow-loris client (sockets that dribble header
 * bytes, or send nothing) is cut off after `headersTimeoutMs` however busy it keeps the socket,
 * with a 408. At `maxConnections` further connections are refused at once (never queued), so
 * a flood costs a bounded number of sockets, and frees them within the header timeout.
 */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** How often the two request timeouts are checked: they fire up to this much late. */
  checkIntervalMs: number;
}

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 64,
  checkIntervalMs: 1_000,
};

export interface ProbeServerOptions {
  port: number;
  host: string;
  /** When it returns a token, /metrics wants `Authorization: Bearer <token>`; probes stay open. */
  metricsToken?: () => string | undefined;
  limits?: Partial<HttpLimits>;
}

/** `/healthz`, `/readyz`, `/metrics`; everything else is 404. Resolves once listening. */
export async function serveProbes(
  probes: Probes,
  opts: ProbeServerOptions,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const limits = { ...HTTP_LIMITS, ...opts.limits };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
        res.end(`${text}\n`);
      };
      if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "method not allowed");
      if (path === "/healthz")
        return probes.healthy() ? plain(200, "ok") : plain(503, "scheduler stalled");
      if (path === "/readyz") return probes.ready() ? plain(200, "ready") : plain(503, "not ready");
      if (path === "/metrics") {
        const denied = refusal(req, opts.metricsToken?.());
        if (denied) return plain(401, "unauthorized", { "www-authenticate": denied });
        probes.metrics().then(
          ({ contentType, text }) => {
            res.writeHead(200, { "content-type": contentType });
            res.end(text);
          },
          () => plain(500, "metrics unavailable"),
        );
        return;
      }
      plain(404, "not found (try /healthz, /readyz, /metrics)");
    },
  );
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  }).catch((e: unknown) => {
    const hint = "choose another port with --port or daemon.port in config";
    throw platformError("DAEMON_PORT", `cannot serve HTTP: ${errorText(e)}`, hint, e);
  });
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address ? address.port : opts.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The WWW-Authenticate challenge when the request lacks the token, else undefined. Both sides
 * are hashed first, so the comparison takes the same time whatever the token's length or the
 * position of the first wrong character.
 */
function refusal(req: IncomingMessage, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1];
  if (given === undefined) return 'Bearer realm="drill metrics"';
  const digest = (s: string) => createHash("sha256").update(s).digest();
  if (timingSafeEqual(digest(given), digest(token))) return undefined;
  return 'Bearer realm="drill metrics", error="invalid_token"';
}
