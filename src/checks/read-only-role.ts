import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { connectClient, pgClientConfig, quoteIdent } from "../db.js";
import { platformError } from "../errors.js";
import { errorText } from "../redact.js";
import type { ConnectionInfo } from "../types.js";

/** The role `sql` checks log in as: it reads every table and can do nothing else. */
export const CHECK_READER = "drill_check_reader";

/** Attributes only a superuser may write, by the pg_roles column that shows them. */
const TURN_OFF = {
  rolsuper: "nosuperuser",
  rolreplication: "noreplication",
  rolbypassrls: "nobypassrls",
};

/** Roles whose privileges would let a query run programs or touch the server's files. */
const FORBIDDEN = ["pg_read_server_files", "pg_write_server_files", "pg_execute_server_program"];

/**
 * Make (or repair) the check reader in the restored copy and return how to log in as it.
 *
 * Why a login role and not `SET ROLE` to a NOLOGIN one: SET ROLE is checked against the *session*
 * user, so a query running under SET ROLE from a superuser session can hand the superuser back to
 * itself with `set_config('role', 'none', true)` inside its own SELECT. Logged in as the reader,
 * the session user is the reader and there is nothing to go back to.
 *
 * A cluster snapshot may bring a role of that name, made by whoever wrote the snapshot: its
 * attributes are reset, its settings cleared and every membership revoked before it is trusted,
 * and the result is verified. The password is new every run and travels as a SCRAM verifier, so
 * it never appears in statement text or the server log.
 */
export async function ensureCheckReader(admin: ConnectionInfo): Promise<ConnectionInfo> {
  const { default: pg } = await import("pg");
  const client = new pg.Client(pgClientConfig(admin, { applicationName: "drill verify setup" }));
  // A server stopped under it (cleanup after SIGTERM) fails the pending query; unheard, the
  // socket's error event would end the process.
  client.on("error", () => {});
  const password = randomBytes(24).toString("hex");
  const role = quoteIdent(CHECK_READER);
  // NOSUPERUSER, NOREPLICATION and NOBYPASSRLS may only be written by a superuser, even when
  // they change nothing; an RDS master user is not one, so they are named only when needed.
  const attrs = (extra: string) =>
    `login nocreatedb nocreaterole inherit connection limit -1 ${extra}` +
    ` password ${client.escapeLiteral(scramVerifier(password))}`;
  await connectClient(client, admin);
  try {
    await client.query("begin");
    // Serialise concurrent setups (two verify steps on one copy) on a transaction lock.
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [CHECK_READER]);
    const found = await client.query<Record<string, boolean>>(
      "select rolsuper, rolreplication, rolbypassrls from pg_roles where rolname = $1",
      [CHECK_READER],
    );
    const old = found.rows[0];
    if (old === undefined) await client.query(`create role ${role} ${attrs("")}`);
    else {
      const off = Object.entries(TURN_OFF)
        .filter(([column]) => old[column])
        .map(([, attribute]) => attribute);
      await client.query(`alter role ${role} ${attrs(off.join(" "))}`);
      await client.query(`alter role ${role} reset all`);
      const { rows } = await client.query<{ granted: string }>(
        `select g.rolname granted from pg_auth_members m
           join pg_roles g on g.oid = m.roleid join pg_roles r on r.oid = m.member
          where r.rolname = $1`,
        [CHECK_READER],
      );
      for (const { granted } of rows) {
        await client.query(`revoke ${quoteIdent(granted)} from ${role}`);
      }
    }
    await grantReads(client, role);
    await client.query("commit");
    await verify(client);
  } catch (e) {
    await client.query("rollback").catch(() => {});
    if (e instanceof Error && e.name === "DrillError") throw e;
    throw platformError(
      "CHECK_READER",
      `could not prepare the read-only role for sql checks: ${errorText(e)}`,
      "verify logs in as a role that may only read; the connection user must be able to create roles",
      e,
    );
  } finally {
    await client.end().catch(() => {});
  }
  return { ...admin, user: CHECK_READER, password };
}

type Client = InstanceType<(typeof import("pg"))["default"]["Client"]>;

/** pg_read_all_data from 14 on; before, SELECT on every table of every user schema. */
async function grantReads(client: Client, role: string): Promise<void> {
  const { rows } = await client.query<{ v: string }>(
    "select current_setting('server_version_num') v",
  );
  if (Number(rows[0]!.v) >= 140000) {
    await client.query(`grant pg_read_all_data to ${role}`);
    return;
  }
  const schemas = await client.query<{ s: string }>(
    `select nspname s from pg_namespace
      where nspname !~ '^pg_' and nspname <> 'information_schema'`,
  );
  for (const { s } of schemas.rows) {
    const q = quoteIdent(s);
    await client.query(`grant usage on schema ${q} to ${role}`);
    await client.query(`grant select on all tables in schema ${q} to ${role}`);
  }
}

/** Refuse to run checks as a reader that could do more than read. */
async function verify(client: Client): Promise<void> {
  const { rows } = await client.query<{ bad: string | null }>(
    `select string_agg(r.rolname, ', ') bad from pg_roles r
      where (r.rolsuper or r.rolname = any($2::text[]))
        and pg_has_role($1, r.oid, 'MEMBER')`,
    [CHECK_READER, FORBIDDEN],
  );
  if (rows[0]!.bad !== null) {
    throw platformError(
      "CHECK_READER_UNSAFE",
      `the read-only role ${CHECK_READER} still has the privileges of ${rows[0]!.bad}`,
      "the restored copy grants it through a built-in role; sql checks will not run as it",
    );
  }
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677). */
function scramVerifier(password: string): string {
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const b64 = (b: Buffer) => b.toString("base64");
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
