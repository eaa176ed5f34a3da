/**
 * The daemon's HTTP server against hostile clients: a slow loris that dribbles header bytes, a
 * flood of idle sockets past the connection cap, and /metrics without the right bearer token.
 * Timeouts are made short (injected), so nothing here sleeps for long.
 */
import { randomBytes } from "node:crypto";
import { request, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../src/daemon/daemon.js";
import { daemonSchema } from "../../src/definitions/config.js";
import { createLogger } from "../../src/log.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";

const TOKEN = `metrics-${randomBytes(16).toString("hex")}`;
const LIMITS = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 300,
  maxConnections: 4,
  checkIntervalMs: 50,
};
// The latest a timeout may fire: its check runs every checkIntervalMs; a margin for a busy CI.
const LATE_MS = 1500;

let port = 0;
let logs = "";
const abort = new AbortController();
let done: Promise<number>;

beforeAll(async () => {
  const root = await makeProject({
    "config/drill.yaml":
      'environments:\n  sandbox: { provider: local }\ndaemon:\n  port: 0\n  metricsToken: "${METRICS_TOKEN}"\n',
  });
  const sink = new Writable({ write: (c: Buffer, _e, cb) => void ((logs += c.toString()), cb()) });
  done = runDaemon({
    root,
    env: { METRICS_TOKEN: TOKEN },
    log: createLogger("debug", sink),
    signal: abort.signal,
    watch: false,
    httpLimits: LIMITS,
    onListening: (p) => (port = p),
  });
  while (port === 0) await new Promise((r) => setImmediate(r));
});

afterAll(async () => {
  abort.abort();
  expect(await done).toBe(0);
  expect(logs).toContain('"msg":"daemon started"');
  expect(logs).not.toContain(TOKEN);
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a connection of its own: its answer, or the error code of a refused one. */
function get(path: string, headers: Record<string, string> = {}, host = "127.0.0.1") {
  return new Promise<Answer | string>((resolve) => {
    const req = request({ host, port, path, headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

/** A raw socket, with what it received and when it was closed. */
function rawSocket() {
  const opened = Date.now();
  const s: Socket = connect(port, "127.0.0.1");
  const state = { received: "", closedAfterMs: -1 };
  s.on("data", (d: Buffer) => (state.received += d.toString()));
  s.on("error", () => {});
  const connected = new Promise<void>((r) => s.once("connect", () => r()));
  const closed = new Promise<void>((r) =>
    s.once("close", () => {
      state.closedAfterMs = Date.now() - opened;
      r();
    }),
  );
  return { s, state, connected, closed };
}

describe("where the daemon listens", () => {
  it("on 127.0.0.1 unless told otherwise: other interfaces of this machine are refused", async () => {
    expect(daemonSchema.parse({}).host).toBe("127.0.0.1");
    expect(logs).toMatch(/"host":"127\.0\.0\.1"/);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    // A machine with loopback only has no other interface to try.
    if (outside) expect(await get("/healthz", {}, outside)).toBe("ECONNREFUSED");
    expect(await get("/healthz")).toMatchObject({ status: 200 });
  });
});

describe("/metrics with daemon.metricsToken", () => {
  it("answers 401 with a Bearer challenge without the token or with a wrong one", async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
      { authorization: "Bearer" },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, // same length, last character differs
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, 8)}` },
    ];
    for (const headers of wrong) {
      const a = (await get("/metrics", headers)) as Answer;
      expect(a.status, JSON.stringify(headers)).toBe(401);
      expect(a.headers["www-authenticate"]).toMatch(/^Bearer realm="drill metrics"/);
      expect(a.body).not.toContain("drill_");
    }
    const invalid = (await get("/metrics", { authorization: "Bearer nope" })) as Answer;
    expect(invalid.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("answers 200 with the metrics for the right token; the probes need none", async () => {
    for (const scheme of ["Bearer", "bearer"]) {
      const a = (await get("/metrics", { authorization: `${scheme} ${TOKEN}` })) as Answer;
      expect(a.status).toBe(200);
      expect(a.body).toContain("drill_daemon_uptime_seconds");
    }
    expect(await get("/healthz")).toMatchObject({ status: 200 });
    expect(await get("/readyz")).toMatchObject({ status: 200 });
  });

  it("must come from the environment, and be long enough", async () => {
    const check = async (line: string, env: Record<string, string> = {}) => {
      const root = await makeProject({
        "config/drill.yaml": `environments:\n  sandbox: { provider: local }\ndaemon:\n  ${line}\n`,
      });
      return runMain(["validate"], root, env);
    };
    const literal = await check("metricsToken: 0123456789abcdef0123");
    expect([literal.code, literal.stderr]).toEqual([
      2,
      'config/drill.yaml:4:17 daemon.metricsToken: write the token as "${VARIABLE}" and set that variable: a token in a file ends up in the repository\n',
    ]);
    const short = await check('metricsToken: "${T}"', { T: "short" });
    expect([short.code, short.stderr]).toEqual([
      2,
      "config/drill.yaml:4:17 daemon.metricsToken: at least 16 characters (openssl rand -hex 32 makes one)\n",
    ]);
    expect((await check('metricsToken: "${T}"', { T: TOKEN })).code).toBe(0);
  });
});

describe("slow clients", () => {
  it("a slow loris cannot hold it: others are answered meanwhile, and it is cut off", async () => {
    const loris = rawSocket();
    await loris.connected;
    loris.s.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n`);
    let dribbled = 0;
    const drip = setInterval(() => {
      if (!loris.s.destroyed) loris.s.write(`X-Drip-${dribbled++}: y\r\n`);
    }, 40);
    try {
      // While it dribbles, every other request is answered at once.
      for (const path of ["/healthz", "/readyz"]) {
        expect(await get(path)).toMatchObject({ status: 200 });
        expect(loris.state.closedAfterMs).toBe(-1);
      }
      await loris.closed;
    } finally {
      clearInterval(drip);
    }
    // Cut off by the header timeout although it never stopped sending.
    expect(loris.state.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(dribbled).toBeGreaterThan(LIMITS.headersTimeoutMs / 40 - 3);
    expect(loris.state.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs);
    expect(loris.state.closedAfterMs).toBeLessThan(LIMITS.headersTimeoutMs + LATE_MS);
  });

  it("a kept-alive connection left idle is closed after the keep-alive timeout", async () => {
    const c = rawSocket();
    await c.connected;
    c.s.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    await c.closed;
    expect(c.state.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.state.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.keepAliveTimeoutMs);
    // Node closes a second after the timeout it announces (Keep-Alive: timeout=N), so a client
    // never sends on a connection the server is closing.
    expect(c.state.closedAfterMs).toBeLessThan(LIMITS.keepAliveTimeoutMs + 1000 + LATE_MS);
  });

  it("past the connection cap, new sockets are refused at once; idle ones are cut off and it answers again", async () => {
    const idle = Array.from({ length: LIMITS.maxConnections }, rawSocket);
    await Promise.all(idle.map((c) => c.connected));
    // Over the cap: closed at once, not queued behind the idle ones.
    const over = Array.from({ length: 3 }, rawSocket);
    await Promise.all(over.map((c) => c.closed));
    for (const c of over) expect(c.state.closedAfterMs).toBeLessThan(LIMITS.headersTimeoutMs);
    const started = Date.now();
    expect(await get("/healthz")).toBe("ECONNRESET");
    // The idle sockets hold their places only until the header timeout.
    await Promise.all(idle.map((c) => c.closed));
    for (const c of idle) expect(c.state.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(await get("/healthz")).toMatchObject({ status: 200 });
    expect(Date.now() - started).toBeLessThan(LIMITS.headersTimeoutMs + LATE_MS);
  });
});
