import { connectClient, pgClientConfig, quoteIdent } from "../db.js";
import { platformError } from "../errors.js";
import { errorText } from "../redact.js";
import { assertNoServerPowers, ensureLoginRole, PIN_SEARCH_PATH } from "../roles.js";
import type { ConnectionInfo } from "../types.js";

/** The role `sql` checks log in as: it reads every table and can do nothing else. */
export const CHECK_READER = "drill_check_reader";

/**
 * Make (or repair) the check reader in the restored copy and return how to log in as it.
 *
 * Why a login role and not `SET ROLE` to a NOLOGIN one: SET ROLE is checked against the *session*
 * user, so a query running under SET ROLE from a superuser session can hand the superuser back to
 * itself with `set_config('role', 'none', true)` inside its own SELECT. Logged in as the reader,
 * the session user is the reader and there is nothing to go back to. A role of that name brought
 * by a snapshot is reset (roles.ts) and the result verified.
 */
export async function ensureCheckReader(admin: ConnectionInfo): Promise<ConnectionInfo> {
  const { default: pg } = await import("pg");
  const client = new pg.Client(pgClientConfig(admin, { applicationName: "drill verify setup" }));
  // A server stopped under it (cleanup after SIGTERM) fails the pending query; unheard, the
  // socket's error event would end the process.
  client.on("error", () => {});
  let password: string;
  await connectClient(client, admin);
  try {
    await client.query(PIN_SEARCH_PATH);
    await client.query("begin");
    password = await ensureLoginRole(client, { name: CHECK_READER });
    await grantReads(client, quoteIdent(CHECK_READER));
    await client.query("commit");
    await assertNoServerPowers(client, CHECK_READER, {
      code: "CHECK_READER_UNSAFE",
      what: "the read-only role",
      hint: "the restored copy grants it through a built-in role; sql checks will not run as it",
    });
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
