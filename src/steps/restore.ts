import { isAbsolute, posix } from "node:path";
import { z } from "zod";
import { columnRef, stepBase, strict } from "../definitions/common.js";
import { quoteIdent, quoteTable, withSession } from "../db.js";
import type { RestoreSource } from "../providers/types.js";
import { defineStep } from "./types.js";
import { locateRestoreError } from "./restore-located.js";
import { backupSourceOf, backupSources, recoveryTarget, targetSchema } from "./restore-backups.js";

const SOURCES = [
  "snapshot",
  "before",
  "archive",
  "pointInTime",
  "pgbackrest",
  "barman",
  "basebackup",
] as const;

const from = strict({
  snapshot: z.string().min(1).optional().meta({ description: '"latest" or a snapshot id' }),
  before: z.iso
    .datetime({ offset: true, message: "expected an ISO 8601 time such as 2026-11-27T00:00:00Z" })
    .optional()
    .meta({ description: "the newest snapshot taken before this time" }),
  archive: z
    .string()
    .min(1)
    .refine((a) => !climbsOut(a), {
      message:
        'a relative archive path must stay inside the project (no ".." out of it); write an absolute path to restore a dump kept elsewhere',
    })
    .optional()
    .meta({
      description:
        "a pg_dump archive: file, directory, s3://bucket/key or s3://bucket/prefix/; custom or directory format, or plain SQL with format: plain",
    }),
  format: z.literal("plain").optional().meta({
    description:
      "with archive: the archive may be plain SQL (pg_dump -Fp), loaded with psql after every line is checked; an archive holding any psql meta-command (a backslash command such as \\! or \\copy) is refused. Without it only custom and directory archives are restored",
  }),
  pointInTime: z
    .union([
      z.literal("latest"),
      z.iso.datetime({ offset: true, message: 'expected "latest" or an ISO 8601 time' }),
    ])
    .optional()
    .meta({
      description:
        '"latest" or an ISO 8601 time: aws restores the instance to it; local replays the sandbox\'s WAL archive from the newest snapshot before it',
    }),
  ...backupSources,
})
  .refine((f) => SOURCES.filter((k) => f[k] !== undefined).length === 1, {
    message: `give exactly one of ${SOURCES.join(", ")}`,
  })
  .refine((f) => f.format === undefined || f.archive !== undefined, {
    message: "format applies to an archive: from: { archive: …, format: plain }",
  })
  .meta({ description: `what to restore: exactly one of ${SOURCES.join(", ")}` });

/**
 * A relative archive path that leaves the project once normalised (`../../etc/passwd`,
 * `dumps/../../x`). Absolute paths are the team's explicit choice and are allowed; so is s3://.
 */
export function climbsOut(path: string): boolean {
  if (path.startsWith("s3://") || isAbsolute(path)) return false;
  const normal = posix.normalize(path.split("\\").join("/"));
  return normal === ".." || normal.startsWith("../");
}

export const restoreSchema = strict({
  from,
  target: targetSchema.optional(),
  newestData: columnRef.optional().meta({
    description:
      'a timestamp column, "table.column", whose newest value dates the copy: its age when the copy is up is the measured RPO',
  }),
  ...stepBase,
})
  .refine(
    (o) =>
      o.target === undefined ||
      o.from.pgbackrest !== undefined ||
      o.from.barman !== undefined ||
      o.from.basebackup !== undefined ||
      o.from.snapshot !== undefined,
    {
      message:
        "target applies to a physical backup (pgbackrest, barman, basebackup) or a local snapshot; for a time on aws write from: { pointInTime: … }",
      path: ["target"],
    },
  )
  .meta({
    description:
      "Brings a copy up as a new staging database: the newest snapshot, a snapshot by id or taken before a time, a point in time, a pg_dump archive, or a pgBackRest, Barman or pg_basebackup backup replayed to a target. A drill restores once, before the steps that use the copy.",
  });

export type RestoreOptionsSchema = z.output<typeof restoreSchema>;

export function sourceOf(
  o: RestoreOptionsSchema,
  resolvePath: (p: string) => string,
  now = Date.now(),
): RestoreSource {
  const backup = backupSourceOf(o.from, recoveryTarget(o.target, now));
  if (backup) return backup;
  if (o.from.archive !== undefined) {
    const a = o.from.archive;
    return {
      kind: "archive",
      path: a.startsWith("s3://") ? a : resolvePath(a),
      ...(o.from.format ? { format: o.from.format } : {}),
    };
  }
  if (o.from.pointInTime !== undefined) {
    const time = o.from.pointInTime;
    return { kind: "pointInTime", time: time === "latest" ? "latest" : new Date(time) };
  }
  if (o.from.before !== undefined) return { kind: "before", before: new Date(o.from.before) };
  return {
    kind: "snapshot",
    snapshot: o.from.snapshot ?? "latest",
    ...(o.target !== undefined ? { target: recoveryTarget(o.target, now) } : {}),
  };
}

export const restore = defineStep({
  kind: "restore",
  schema: restoreSchema,
  defaultTimeoutMs: 30 * 60_000,
  measures: ["rpoMs"],
  // An archive or a backup tool's repository is not production; a snapshot or a point in time is
  // read from it.
  touchesProduction: (o) =>
    o.from.archive === undefined &&
    o.from.pgbackrest === undefined &&
    o.from.barman === undefined &&
    o.from.basebackup === undefined,
  async plan(o, ctx) {
    const plan = await ctx.provider
      .planRestore(sourceOf(o, ctx.resolvePath))
      .catch((e: unknown) => Promise.reject(locateRestoreError(e, ctx.step.path, ctx.resources)));
    return { source: plan.source, plan: plan.description, ...plan.details };
  },
  async run(o, ctx) {
    const plan = await ctx.provider
      .planRestore(sourceOf(o, ctx.resolvePath, ctx.clock.now()))
      .catch((e: unknown) => Promise.reject(locateRestoreError(e, ctx.step.path, ctx.resources)));
    ctx.progress(plan.description);
    const copy = await ctx.provider.restore(plan, {
      runId: ctx.runId,
      signal: ctx.signal,
      progress: ctx.progress,
      onCreated: (dispose) => ctx.defer(`restored copy (${plan.source.id})`, dispose),
    });
    const readyAt = ctx.clock.now();
    ctx.setTarget({
      connection: copy.connection,
      ...(copy.admin ? { admin: copy.admin } : {}),
      source: copy.source,
      readyAt,
    });
    const details: Record<string, unknown> = { source: copy.source, ...copy.details };
    const replayed = reachedRpo(copy.details);
    const rpoObjective = ctx.drill.objectives?.rpo ?? null;
    if (o.newestData) {
      const newest = await newestValue(o.newestData, ctx);
      details.newestData = { column: o.newestData, value: newest?.toISOString() ?? null };
      // A replayed copy is "as of" its target, not of the moment it came up.
      const asOf = replayed && copy.source.takenAt ? Date.parse(copy.source.takenAt) : readyAt;
      const aged = newest ? Math.max(0, asOf - newest.getTime()) : null;
      const worse = replayed?.ms != null && aged !== null ? Math.max(aged, replayed.ms) : aged;
      ctx.measure(
        "rpoMs",
        worse,
        rpoObjective,
        worse !== aged ? "WAL replay reached" : `newestData ${o.newestData}`,
      );
    } else if (replayed && replayed.ms !== null) {
      ctx.measure("rpoMs", replayed.ms, rpoObjective, "WAL replay reached");
    }
    return { outcome: "passed", details };
  },
});

/** A physical restore's reached RPO (details.recovery.reachedRpoMs), when it replayed WAL. */
function reachedRpo(details: Record<string, unknown>): { ms: number | null } | undefined {
  const r = details.recovery;
  if (typeof r !== "object" || r === null || !("reachedRpoMs" in r)) return undefined;
  const ms = (r as { reachedRpoMs: unknown }).reachedRpoMs;
  return { ms: typeof ms === "number" ? ms : null };
}

async function newestValue(
  ref: string,
  ctx: Parameters<typeof restore.run>[1],
): Promise<Date | null> {
  const parts = ref.split(".");
  const column = parts.pop()!;
  const table = parts.join(".");
  return withSession(
    ctx.target!.connection,
    async (db) => {
      const { rows } = await db.query<{ newest: Date | null }>(
        `select max(${quoteIdent(column)})::timestamptz as newest from ${quoteTable(table)}`,
      );
      return rows[0]?.newest ?? null;
    },
    { signal: ctx.signal, readOnly: true, statementTimeoutMs: 60_000 },
  );
}
