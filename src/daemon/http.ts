import { createServer, type Server } from "node:http";

export interface Probes {
  /** The scheduler loop is alive. */
  healthy(): boolean;
  /** Project loaded, history reachable, not shutting down. */
  ready(): boolean;
  metrics(): Promise<{ contentType: string; text: string }>;
}

/** `/healthz`, `/readyz`, `/metrics`; everything else is 404. Resolves once listening. */
export async function serveProbes(
  probes: Probes,
  port: number,
  host: string,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const plain = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${text}\n`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return plain(405, "method not allowed");
    if (path === "/healthz")
      return probes.healthy() ? plain(200, "ok") : plain(503, "scheduler stalled");
    if (path === "/readyz") return probes.ready() ? plain(200, "ready") : plain(503, "not ready");
    if (path === "/metrics") {
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
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
