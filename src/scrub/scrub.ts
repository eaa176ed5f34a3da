import { randomBytes } from "node:crypto";
import type { Scrubber } from "../definitions/scrubber.js";
import { withSession, type Queryable } from "../db.js";
import type { ConnectionInfo } from "../types.js";
import { displayName, readCatalog, rewrittenInPlace } from "./catalog.js";
import { dropForeignServers } from "./foreign.js";
import { mergeUnits, rewriteInPlace, rewriteUnits } from "./in-place.js";
import { refreshMaterializedViews } from "./matviews.js";
import { Keys } from "./keys.js";
import { settleLargeObjects, type LargeObjectsReport } from "./large-objects.js";
import { buildNameLookup, compileEnv, scanForNames } from "./names.js";
import { checkLeaks, type LeakOptions, type LeakReport, prepareLeakScan } from "./scan.js";
import { planScrub, type ScrubberSource, type TablePlan, type Unclassified } from "./plan.js";
import { PoolRegistry, loadPools } from "./pools.js";
import { captureCrossTable, captureTable, type TableDefinition } from "./preserve.js";
import { rewriteTable } from "./rewrite.js";
import { rewriteFailure } from "./rewrite-failure.js";
import { compileTable, type CompiledTable } from "./sql.js";
import { mapLimit } from "../pool.js";

export interface ScrubOptions {
  /** Shown in messages: `scrubbers/shop.yaml`; with `locate`, rules are named by line. */
  file: string;
  locate?: ScrubberSource["locate"];
  workers: number;
  leakScan: LeakOptions | false;
  signal: AbortSignal;
  progress(message: string): void;
}

export interface TableReport {
  table: string;
  rows: number;
  columns: number;
  durationMs: number;
  rowsPerSecond: number;
  collisionsResolved?: number;
}

export interface ScrubReport {
  outcome: "passed" | "failed";
  findings: string[];
  tables: TableReport[];
  totals: { tables: number; rows: number; durationMs: number; rowsPerSecond: number };
  unclassified: Unclassified[];
  /** Foreign servers, user mappings, foreign tables (and views over them) dropped: see foreign.ts. */
  foreignDropped?: string[];
  /** The unclassified columns as a YAML block to paste under `tables:`, value-based guesses. */
  unclassifiedYaml?: string;
  leakScan?: LeakReport;
  largeObjects?: LargeObjectsReport;
}

/** The run's working schema (pools, lookup tables): random, so no production schema is touched. */
export const workSchemaName = (): string => `drill_scrub_${randomBytes(6).toString("hex")}`;

const rate = (rows: number, ms: number) => (ms > 0 ? Math.round((rows * 1000) / ms) : 0);

/**
 * Scrub a restored database with a scrubber: check every column is classified, then rewrite each
 * table that has anything to transform (in parallel), re-create what spans tables, and prove
 * with the leak scan that no sampled original value, pattern or canary is left.
 */
export async function scrubDatabase(
  conn: ConnectionInfo,
  scrubber: Scrubber,
  opts: ScrubOptions,
): Promise<ScrubReport> {
  const keys = new Keys(scrubber.secret);
  const session = { signal: opts.signal, applicationName: "drill scrub" };
  return withSession(
    conn,
    async (db) => {
      // Before anything reads the copy (sampling for guesses too): a foreign table is a door to
      // another server, maybe production.
      const foreignDropped = await dropForeignServers(db);
      if (foreignDropped.length > 0)
        opts.progress(`dropped (a door to another server): ${foreignDropped.join(", ")}`);
      const catalog = await readCatalog(db);
      const plan = planScrub(catalog, scrubber, opts);
      const findings: string[] = [];
      let unclassifiedYaml: string | undefined;
      if (plan.unclassified.length > 0) {
        // Suggestions from the copy's own values (never shown), printed ready to paste.
        const { guessUnclassified } = await import("./unclassified.js");
        const guessed = await guessUnclassified(db, catalog, plan.unclassified, opts.file);
        plan.unclassified = guessed.unclassified;
        unclassifiedYaml = guessed.yaml;
        opts.progress(guessed.yaml);
        const lines = plan.unclassified.map(
          (u) => `${u.table}.${u.column} (suggested: ${u.suggestion})`,
        );
        const message = `${plan.unclassified.length} column(s) not classified in ${opts.file}: ${lines.join(", ")}`;
        if (scrubber.unknownColumns === "fail") {
          return {
            ...emptyReport(plan.unclassified),
            unclassifiedYaml,
            findings: [`${message}; classify each (keep included) or set unknownColumns: warn`],
          };
        }
        findings.push(`warning: ${message}`);
      }
      const objects = await settleLargeObjects(db, scrubber, opts.file);
      if (objects.finding)
        return {
          ...emptyReport(plan.unclassified),
          findings: [...findings, objects.finding],
          largeObjects: objects.report,
        };
      const work = plan.tables.filter((t) => t.rewrite);
      const workSchema = workSchemaName();
      const pools = new PoolRegistry(workSchema);
      const env = compileEnv(scrubber, workSchema, keys, pools.pool);
      // Generated columns are never selected: PostgreSQL recomputes them on the in-place insert.
      const compiled = new Map<TablePlan, CompiledTable>(
        work.map((t) => [
          t,
          compileTable(
            { ...t.table, columns: t.table.columns.filter((c) => !c.generated) },
            t.rules,
            env,
          ),
        ]),
      );
      const swapped = work.filter((t) => !rewrittenInPlace(t.table));
      const inPlace = work.filter((t) => rewrittenInPlace(t.table));
      const defs = new Map<TablePlan, TableDefinition>();
      for (const t of swapped) defs.set(t, await captureTable(db, t.table.oid, t.table.qualified));
      const cross = await captureCrossTable(
        db,
        swapped.map((t) => t.table.oid),
        inPlace.flatMap((t) => [t.table.oid, ...(t.table.partitions ?? []).map((p) => p.oid)]),
      );

      // A fresh name: never a production schema, which `drop … cascade` would take with it.
      await db.query(`create schema ${workSchema}`);
      try {
        return await rewriteAll();
      } finally {
        await db.query(`drop schema if exists ${workSchema} cascade`).catch(() => {});
      }

      async function rewriteAll(): Promise<ScrubReport> {
        opts.progress(`drawing ${pools.all.length} fake pool(s)`);
        const names = scanForNames(
          (fn, signal) =>
            withSession(conn, fn, {
              ...session,
              signal: signal ? AbortSignal.any([opts.signal, signal]) : opts.signal,
            }),
          env,
          work,
        );
        await loadPools(db, pools.all, keys);
        await buildNameLookup(db, env, work, compiled, names);

        const scan = opts.leakScan
          ? await prepareLeakScan(db, plan.tables, opts.leakScan, keys, opts.progress)
          : undefined;

        opts.progress(
          `rewriting ${work.length} table(s) with ${Math.min(opts.workers, work.length)} worker(s)`,
        );
        const started = performance.now();
        await inTransaction(db, [...cross.dropViews, ...cross.dropForeignKeys]);
        const units = rewriteUnits(work, (t) => !defs.has(t));
        const done = await mapLimit(units, opts.workers, ({ plan: t, leaf }) =>
          withSession(
            conn,
            async (w) => {
              await keys.apply(w);
              const start = performance.now();
              const c = compiled.get(t)!;
              const r = await (
                defs.has(t)
                  ? rewriteTable(w, t.table, c, defs.get(t)!)
                  : rewriteInPlace(w, t.table, c, workSchema, leaf)
              ).catch(async (e: unknown) => {
                throw await rewriteFailure(w, t.table, c, e);
              });
              return { r, start, end: performance.now() };
            },
            session,
          ),
        );
        const reports = work.map((t): TableReport => {
          const r = mergeUnits(done.filter((_, i) => units[i]!.plan === t));
          opts.progress(
            `${displayName(t.table)}: ${r.rows} rows in ${Math.round(r.durationMs)} ms`,
          );
          return {
            table: displayName(t.table),
            // Planted canary rows are removed after the scan: not the copy's rows.
            rows: r.rows - (scan?.canaries.some((c) => c.table === t.table) ? 1 : 0),
            columns: [...t.rules.values()].filter((x) => x !== "keep").length,
            durationMs: Math.round(r.durationMs),
            rowsPerSecond: rate(r.rows, r.durationMs),
            ...(r.collisionsResolved > 0 ? { collisionsResolved: r.collisionsResolved } : {}),
          };
        });
        opts.progress("re-creating foreign keys and views");
        await inTransaction(db, [...cross.addForeignKeys, ...cross.createViews]);
        const durationMs = Math.round(performance.now() - started);
        // Statistics of the dropped tables held original values (most common values, histograms).
        for (const t of work) await db.query(`analyze ${t.table.qualified}`);

        const rows = reports.reduce((n, r) => n + r.rows, 0);
        const report: ScrubReport = {
          outcome: "passed",
          findings,
          tables: reports,
          totals: {
            tables: reports.length,
            rows,
            durationMs,
            rowsPerSecond: rate(rows, durationMs),
          },
          unclassified: plan.unclassified,
          ...(foreignDropped.length > 0 ? { foreignDropped } : {}),
          ...(unclassifiedYaml ? { unclassifiedYaml } : {}),
          largeObjects: objects.report,
        };
        if (scan) {
          opts.progress("leak scan");
          await keys.apply(db);
          report.leakScan = await checkLeaks(db, scan, scrubber, compiled);
          findings.push(...report.leakScan.findings);
        }
        // After the scan removed its canary rows: a view built before would keep them.
        opts.progress("refreshing materialized views");
        const fresh = scan?.canaries.length ? [] : cross.materialized;
        const refreshed = await refreshMaterializedViews(db, workSchema, new Set(fresh));
        for (const v of new Set([...cross.materialized, ...refreshed]))
          await db.query(`analyze ${v}`);
        await db.query("vacuum full pg_catalog.pg_statistic");
        report.outcome = findings.some((f) => !f.startsWith("warning:")) ? "failed" : "passed";
        return report;
      }
    },
    session,
  );
}

const emptyReport = (unclassified: Unclassified[]): ScrubReport => ({
  outcome: "failed",
  findings: [],
  tables: [],
  totals: { tables: 0, rows: 0, durationMs: 0, rowsPerSecond: 0 },
  unclassified,
});

async function inTransaction(db: Queryable, statements: string[]): Promise<void> {
  if (statements.length === 0) return;
  await db.query("begin");
  try {
    for (const s of statements) await db.query(s);
    await db.query("commit");
  } catch (e) {
    await db.query("rollback").catch(() => {});
    throw e;
  }
}
