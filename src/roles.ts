import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { quoteIdent, type Queryable } from "./db.js";
import { platformError } from "./errors.js";

/**
 * Roles drill makes in a restored copy to run the copy's own code as (the scrub's and verify's
 * working role, the sql checks' reader). Each logs in itself with a new random password: a
 * `SET ROLE` from a superuser session is not enough, since code running under it can hand the
 * superuser back to itself (`RESET ROLE`, `set_config('role', 'none', …)`).
 */

/**
 * The first statement of every superuser session on a restored copy: a copy's database may set
 * its own search_path (`ALTER DATABASE … SET`, kept by a snapshot) to put its functions and views
 * before the catalog's, and an unqualified name would then run its code as the superuser.
 */
export const PIN_SEARCH_PATH =
  "select pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)";

/** Roles whose privileges would let a query run programs or touch the server's files. */
export const SERVER_POWERS = [
  "pg_read_server_files",
  "pg_write_server_files",
  "pg_execute_server_program",
];

/** Attributes only a superuser may write, by the pg_roles column that shows them. */
const TURN_OFF = {
  rolsuper: "nosuperuser",
  rolreplication: "noreplication",
  rolbypassrls: "nobypassrls",
};

export interface LoginRole {
  name: string;
  /**
   * BYPASSRLS: the role sees every row whatever the copy's policies say (the scrub must rewrite
   * and scan all of them). Setting it needs a superuser connection.
   */
  bypassRls?: boolean;
}

/**
 * Make (or repair) a login role on `client`, inside the caller's transaction, and return its new
 * password. A snapshot may bring a role of that name, made by whoever wrote the snapshot: its
 * attributes are reset, its settings cleared and every membership revoked before it is trusted.
 * The password travels as a SCRAM verifier, so it never appears in statement text or a log.
 */
export async function ensureLoginRole(db: Queryable, spec: LoginRole): Promise<string> {
  // The driver's escaping, imported on use: this module sits in the chunk `drill validate` loads.
  const { escapeLiteral } = await import("pg");
  const password = randomBytes(24).toString("hex");
  const role = quoteIdent(spec.name);
  // NOSUPERUSER, NOREPLICATION and NOBYPASSRLS may only be written by a superuser, even when
  // they change nothing; an RDS master user is not one, so they are named only when needed.
  const attrs = (extra: string) =>
    `login nocreatedb nocreaterole inherit connection limit -1 ${extra}` +
    ` password ${escapeLiteral(scramVerifier(password))}`;
  // Serialise concurrent setups (two verify steps on one copy) on a transaction lock.
  await db.query("select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext($1))", [spec.name]);
  const found = await db.query<Record<string, boolean>>(
    "select rolsuper, rolreplication, rolbypassrls from pg_catalog.pg_roles where rolname = $1",
    [spec.name],
  );
  const old = found.rows[0];
  const off = Object.entries(TURN_OFF)
    .filter(([column]) => old?.[column] && !(column === "rolbypassrls" && spec.bypassRls))
    .map(([, attribute]) => attribute);
  if (spec.bypassRls) off.push("bypassrls");
  if (old === undefined) {
    await db.query(`create role ${role} ${attrs(off.join(" "))}`);
    return password;
  }
  await db.query(`alter role ${role} ${attrs(off.join(" "))}`);
  await db.query(`alter role ${role} reset all`);
  const { rows } = await db.query<{ granted: string }>(
    `select pg_catalog.quote_ident(g.rolname) granted from pg_catalog.pg_auth_members m
       join pg_catalog.pg_roles g on g.oid = m.roleid join pg_catalog.pg_roles r on r.oid = m.member
      where r.rolname = $1`,
    [spec.name],
  );
  for (const { granted } of rows) await db.query(`revoke ${granted} from ${role}`);
  return password;
}

/** Refuse a role that could run programs or read files: a superuser, or a member of one. */
export async function assertNoServerPowers(
  db: Queryable,
  name: string,
  refusal: { code: string; hint: string; what: string },
): Promise<void> {
  const { rows } = await db.query<{ bad: string | null }>(
    `select pg_catalog.string_agg(r.rolname, ', ') bad from pg_catalog.pg_roles r
      where (r.rolsuper or r.rolname = any($2::text[]))
        and pg_catalog.pg_has_role($1, r.oid, 'MEMBER')`,
    [name, SERVER_POWERS],
  );
  if (rows[0]!.bad !== null) {
    throw platformError(
      refusal.code,
      `${refusal.what} ${name} still has the privileges of ${rows[0]!.bad}`,
      refusal.hint,
    );
  }
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677). */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const b64 = (b: Buffer) => b.toString("base64");
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
