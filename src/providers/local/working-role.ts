import { withSession, type Queryable } from "../../db.js";
import { platformError } from "../../errors.js";
import { errorText } from "../../redact.js";
import { assertNoServerPowers, ensureLoginRole, PIN_SEARCH_PATH } from "../../roles.js";
import type { ConnectionInfo } from "../../types.js";

/**
 * The role a restored copy's own code runs as. A backup is untrusted input: functions in its
 * CHECK constraints, indexes, triggers, defaults, materialized views and SECURITY DEFINER
 * functions run during restore, scrub and verify as whoever causes them (or owns them), and a
 * superuser is one `COPY … TO PROGRAM` away from a shell on the runner. The copy is therefore
 * loaded, scrubbed and verified by this role: no superuser, no role creation, no replication,
 * no server files or programs; it owns every object of the copy so the scrub can rewrite them.
 */
export const WORKING_ROLE = "drill_owner";

/** Databases nobody works in: left as they are. */
const TEMPLATES = ["template0", "template1"];

export interface WorkingCopy {
  /** The working role's connection: what restore, scrub and verify use. */
  connection: ConnectionInfo;
  /** The superuser's, for statements that run no restored code (roles, grants, cleanup, keep). */
  admin: ConnectionInfo;
  details: { role: string; eventTriggersDisabled: string[]; ownersChanged: number };
}

/**
 * Make (or repair) the working role with a new password, and give it the databases. `admin` is a
 * superuser connection to any database of the cluster; the returned connections name `database`.
 * Runs before the restored data is loaded (an archive) or reachable by anyone (a snapshot).
 */
export async function createWorkingRole(
  admin: ConnectionInfo,
  database: string,
  signal: AbortSignal,
): Promise<{ connection: ConnectionInfo; admin: ConnectionInfo }> {
  const password = await adminSession(admin, signal, async (db) => {
    await db.query("begin");
    const password = await ensureLoginRole(db, { name: WORKING_ROLE, bypassRls: true });
    // The scrub plants and removes canary rows with replica-mode triggers (PostgreSQL 15+; on
    // older servers the scrub plants no canaries).
    const { rows: v } = await db.query<{ n: number }>(
      "select pg_catalog.current_setting('server_version_num')::int as n",
    );
    if (v[0]!.n >= 150000)
      await db.query(`grant set on parameter session_replication_role to ${WORKING_ROLE}`);
    const { rows } = await db.query<{ name: string }>(
      `select pg_catalog.quote_ident(datname) as name from pg_catalog.pg_database
        where datname <> all($1::text[])`,
      [TEMPLATES],
    );
    // Owning a database lets the scrub drop it and vacuum its large objects.
    for (const d of rows) await db.query(`alter database ${d.name} owner to ${WORKING_ROLE}`);
    await db.query("commit");
    await assertNoServerPowers(db, WORKING_ROLE, {
      code: "WORKING_ROLE_UNSAFE",
      what: "the working role",
      hint: "the restored copy grants it through a built-in role; drill will not run the copy's code as it",
    });
    return password;
  });
  return {
    connection: { ...admin, database, user: WORKING_ROLE, password },
    admin: { ...admin, database },
  };
}

/**
 * Hand a restored cluster over to the working role: in every database, first every event trigger
 * is disabled (they fire on DDL as the session user, and PostgreSQL 15 has no setting to skip
 * them), then every object outside the system schemas is given to the role. ALTER … OWNER runs
 * no user code, so the superuser can do it; from then on a SECURITY DEFINER function, a
 * materialized view's refresh or an index expression runs as the role, not as a superuser.
 */
export async function handOver(
  adminConn: ConnectionInfo,
  database: string,
  signal: AbortSignal,
): Promise<WorkingCopy> {
  const { connection, admin } = await createWorkingRole(adminConn, database, signal);
  const { rows: databases } = await withSession(
    admin,
    (db) =>
      db.query<{ name: string }>(
        `select datname as name from pg_catalog.pg_database
          where datallowconn and datname <> all($1::text[]) order by datname`,
        [TEMPLATES],
      ),
    { signal, applicationName: "drill hand-over" },
  );
  const eventTriggersDisabled: string[] = [];
  let ownersChanged = 0;
  for (const { name } of databases) {
    await adminSession({ ...admin, database: name }, signal, async (db) => {
      await db.query("begin");
      const { rows: triggers } = await db.query<{ name: string }>(
        `select pg_catalog.quote_ident(evtname) as name from pg_catalog.pg_event_trigger
          where evtenabled <> 'D' order by evtname`,
      );
      // ALTER EVENT TRIGGER itself fires no event trigger.
      for (const t of triggers) await db.query(`alter event trigger ${t.name} disable`);
      eventTriggersDisabled.push(...triggers.map((t) => `${name}: ${t.name}`));
      const { rows } = await db.query<{ sql: string }>(OWNERSHIP_SQL, [WORKING_ROLE]);
      for (let i = 0; i < rows.length; i += 500) {
        await db.query(
          rows
            .slice(i, i + 500)
            .map((r) => r.sql)
            .join(";\n"),
        );
      }
      ownersChanged += rows.length;
      await db.query("commit");
    });
  }
  return {
    connection,
    admin,
    details: { role: WORKING_ROLE, eventTriggersDisabled, ownersChanged },
  };
}

/**
 * A superuser session that reads the catalog by qualified names only: a restored database may
 * set its own search_path (`ALTER DATABASE … SET`), which would let it shadow what we call.
 */
async function adminSession<T>(
  conn: ConnectionInfo,
  signal: AbortSignal,
  fn: (db: Queryable) => Promise<T>,
): Promise<T> {
  try {
    return await withSession(
      conn,
      async (db) => {
        await db.query(PIN_SEARCH_PATH);
        return fn(db);
      },
      { signal, applicationName: "drill hand-over" },
    );
  } catch (e) {
    signal.throwIfAborted();
    if (e instanceof Error && e.name === "DrillError") throw e;
    throw platformError(
      "HAND_OVER_FAILED",
      `could not hand the restored copy over to the working role ${WORKING_ROLE} (database ${conn.database}): ${errorText(e)}`,
      "drill runs the copy's own code only as a role that is not a superuser",
      e,
    );
  }
}

/** Outside system schemas and extensions, not the role's yet. */
const mine = (catalog: string, alias: string, owner: string) =>
  `${owner} <> $1::text::regrole and not exists (select from pg_catalog.pg_depend d
     where d.classid = '${catalog}'::regclass and d.objid = ${alias}.oid and d.deptype = 'e')`;
const USER_SCHEMA = `n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`;

/**
 * One ALTER … OWNER per object: schemas (those of pg_database_owner already follow the
 * database), relations (an index, a toast table and a sequence owned by a column follow their
 * table), routines, types (array and row types follow theirs; on 15 a range's multirange does
 * not), large objects, foreign servers (the scrub drops them).
 */
const OWNERSHIP_SQL = `
select pg_catalog.format('alter schema %I owner to %I', n.nspname, $1::text) as sql
  from pg_catalog.pg_namespace n
 where ${USER_SCHEMA} and n.nspowner <> 'pg_database_owner'::regrole
   and ${mine("pg_namespace", "n", "n.nspowner")}
union all
select pg_catalog.format('alter %s %s owner to %I',
         case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
           when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end,
         c.oid::regclass, $1::text)
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where ${USER_SCHEMA} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
   and ${mine("pg_class", "c", "c.relowner")}
   and (c.relkind <> 'S' or not exists (select from pg_catalog.pg_depend d
     where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')
       and d.refclassid = 'pg_class'::regclass))
union all
select pg_catalog.format('alter routine %s owner to %I', p.oid::regprocedure, $1::text)
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
 where ${USER_SCHEMA} and ${mine("pg_proc", "p", "p.proowner")}
union all
select pg_catalog.format('alter %s %s owner to %I',
         case t.typtype when 'd' then 'domain' else 'type' end, t.oid::regtype, $1::text)
  from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
 where ${USER_SCHEMA} and t.typtype in ('b', 'c', 'd', 'e', 'r', 'm')
   and (t.typrelid = 0 or (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c')
   and not exists (select from pg_catalog.pg_type e where e.typarray = t.oid)
   and ${mine("pg_type", "t", "t.typowner")}
union all
select pg_catalog.format('alter large object %s owner to %I', l.oid, $1::text)
  from pg_catalog.pg_largeobject_metadata l
 where ${mine("pg_largeobject_metadata", "l", "l.lomowner")}
union all
select pg_catalog.format('alter server %I owner to %I', s.srvname, $1::text)
  from pg_catalog.pg_foreign_server s
 where ${mine("pg_foreign_server", "s", "s.srvowner")}`;
