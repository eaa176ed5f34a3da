import { z } from "zod";
import { checkName, strict } from "../definitions/common.js";
import { PIN_SEARCH_PATH } from "../roles.js";
import { quoteIdent, withSession, type Queryable } from "../db.js";
import { DrillError } from "../errors.js";
import { eachInSavepoint } from "./savepoint.js";
import { defineConnectionCheck } from "./types.js";

const HINT =
  "amcheck ships with PostgreSQL's contrib modules: install them (Debian: postgresql-contrib; RDS and Aurora have it), or remove the amcheck check";

/**
 * `bt_index_check(index, heapallindexed => true)` on every B-tree index: the index is ordered
 * and every heap tuple has its index entry. The extension may have to be created first, which
 * writes: that happens in a session of its own before the read-only one, and only ever on the
 * run's restored copy (verify has no other target), which is the run's to modify.
 */
export const amcheck = defineConnectionCheck({
  kind: "amcheck",
  session: "own",
  schema: strict({
    name: checkName,
    install: z.boolean().default(true).meta({
      description: "create the amcheck extension in the restored copy when it is missing",
    }),
    systemCatalogs: z
      .boolean()
      .default(false)
      .meta({ description: "also check pg_catalog's own indexes" }),
  }).meta({
    description:
      "Verifies every B-tree index against its table with PostgreSQL's amcheck (`bt_index_check`); creates the extension in the restored copy, never in production.",
  }),
  describe: (o) => o.name ?? "amcheck B-tree indexes",
  async run(o, ctx) {
    const session = { signal: ctx.signal, statementTimeoutMs: ctx.timeoutMs };
    // Creating the extension and granting its functions need the copy's superuser; the
    // checks themselves (which evaluate index expressions) run as the copy's working role.
    const ext = await withSession(
      ctx.admin,
      async (db) => {
        await db.query(PIN_SEARCH_PATH);
        const found = await ensureExtension(db, o.install);
        if (ctx.admin.user !== ctx.connection.user) await grantExecute(db, ctx.connection.user);
        return found;
      },
      { ...session, applicationName: "drill verify amcheck setup" },
    );
    return withSession(
      ctx.connection,
      async (db) => {
        const indexes = await listIndexes(db, o.systemCatalogs);
        const fn = `${quoteIdent(ext.schema)}.bt_index_check`;
        const results = await eachInSavepoint(db, indexes, (ix) =>
          db.query(`select ${fn}(index => $1::oid::regclass, heapallindexed => true)`, [ix.oid]),
        );
        const corrupt = results.flatMap((r, i) =>
          "error" in r
            ? [{ index: indexes[i]!.index, table: indexes[i]!.table, error: r.error }]
            : [],
        );
        return {
          measured: corrupt.length,
          expected: `= 0 of ${indexes.length} corrupt`,
          passed: corrupt.length === 0,
          details: { checked: indexes.length, corrupt, extensionCreated: ext.created },
          ...(corrupt.length > 0
            ? { message: corrupt.map((c) => `${c.index} on ${c.table}: ${c.error}`).join("; ") }
            : {}),
        };
      },
      { ...session, readOnly: true, applicationName: "drill verify amcheck" },
    );
  },
});

async function ensureExtension(
  db: Queryable,
  install: boolean,
): Promise<{ schema: string; created: boolean }> {
  const find = async () =>
    (
      await db.query<{ schema: string }>(
        `select n.nspname as schema from pg_extension e
           join pg_namespace n on n.oid = e.extnamespace where e.extname = 'amcheck'`,
      )
    ).rows[0]?.schema;
  const existing = await find();
  if (existing !== undefined) return { schema: existing, created: false };
  const available = await db.query("select 1 from pg_available_extensions where name = 'amcheck'");
  if (available.rows.length === 0) {
    throw new DrillError(
      "failed",
      "AMCHECK_UNAVAILABLE",
      "the amcheck extension is not available on the restored server",
      { hint: HINT },
    );
  }
  if (!install) {
    throw new DrillError(
      "failed",
      "AMCHECK_NOT_INSTALLED",
      "the amcheck extension is not installed in the restored copy",
      {
        hint: "set `install: true` on the check (it creates the extension in the copy, never in production), or create it in production so snapshots carry it",
      },
    );
  }
  try {
    await db.query("create extension if not exists amcheck with schema public");
  } catch (e) {
    // Two amcheck checks may race to create it; the loser finds it made.
    const raced = await find();
    if (raced !== undefined) return { schema: raced, created: false };
    throw e;
  }
  return { schema: (await find())!, created: true };
}

/** amcheck's functions are revoked from PUBLIC when it is created. */
async function grantExecute(db: Queryable, role: string): Promise<void> {
  const { rows } = await db.query<{ f: string }>(
    `select p.oid::regprocedure::text as f from pg_depend d
       join pg_extension e on e.oid = d.refobjid and d.refclassid = 'pg_extension'::regclass
       join pg_proc p on p.oid = d.objid and d.classid = 'pg_proc'::regclass
      where e.extname = 'amcheck' and d.deptype = 'e'`,
  );
  for (const { f } of rows) await db.query(`grant execute on function ${f} to ${quoteIdent(role)}`);
}

interface Index {
  oid: number;
  index: string;
  table: string;
}

async function listIndexes(db: Queryable, systemCatalogs: boolean): Promise<Index[]> {
  const { rows } = await db.query<Index>(
    `select ic.oid::int8 as oid,
            format('%I.%I', n.nspname, ic.relname) as index,
            format('%I.%I', tn.nspname, tc.relname) as table
       from pg_index i
       join pg_class ic on ic.oid = i.indexrelid
       join pg_am am on am.oid = ic.relam
       join pg_namespace n on n.oid = ic.relnamespace
       join pg_class tc on tc.oid = i.indrelid
       join pg_namespace tn on tn.oid = tc.relnamespace
      where am.amname = 'btree' and ic.relkind = 'i' and ic.relpersistence <> 't'
        and i.indisready and i.indisvalid
        -- Below FirstNormalObjectId are the objects initdb made: catalogs and their toast.
        and ($1 or ic.oid >= 16384)
      order by n.nspname, ic.relname`,
    [systemCatalogs],
  );
  return rows.map((r) => ({ ...r, oid: Number(r.oid) }));
}
