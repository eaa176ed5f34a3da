import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { pgEnv } from "../../db.js";
import type { LocalEnvironment } from "../../definitions/config.js";
import { platformError } from "../../errors.js";
import { maskToolOutput } from "../../redact.js";
import { PG_RESTORE_ARGS, restoreArchive, tocDetails } from "../local/archive.js";
import { startArchiveCluster } from "../local/archive-cluster.js";
import { needsSuperuser, restoreList } from "../local/archive-toc.js";
import { findClientTools, findServerBinaries, majorVersion } from "../local/binaries.js";
import { formatBytes } from "../local/files.js";
import { serverUser } from "../local/os-user.js";
import type { RestoredCopy, RestoreOptions, RestorePlan } from "../types.js";
import { planS3Archive, type S3Archive } from "./s3-archive-find.js";

export interface S3ArchiveContext {
  root: string;
  s3(): Promise<S3Client>;
  postgres?: LocalEnvironment["postgres"];
  clientSearchDirs?: string[];
}

/** An archive source: `s3://…` is looked up in S3 (unless offline), a path as the local provider does. */
export async function planArchive(
  where: string,
  s3: S3Client | undefined,
  declared?: "plain",
): Promise<RestorePlan> {
  if (where.startsWith("s3://")) return planS3Archive(where, s3, declared);
  const { detectArchiveFormat } = await import("../local/archive.js");
  const { format, size } = await detectArchiveFormat(where, declared);
  return {
    source: { kind: "archive", id: path.basename(where) },
    description: `pg_dump ${format} archive ${path.basename(where)} (${formatBytes(size)}) → new local cluster`,
    details: { path: where, format, bytes: size },
  };
}

/**
 * Load a pg_dump archive from S3 into a fresh local cluster: the cluster is made here, the
 * archive fed to pg_restore or psql by s3-archive-load.ts (streamed, or downloaded when it is a
 * directory archive). A local path goes to the local provider's archive restore.
 */
export async function restoreArchiveFromPlan(
  ctx: S3ArchiveContext,
  plan: RestorePlan,
  opts: RestoreOptions,
): Promise<RestoredCopy> {
  const bins = await findServerBinaries(ctx.postgres ?? "embedded");
  const as = await serverUser();
  const a = plan.details.s3 as S3Archive | undefined;
  const declared =
    plan.details.declared === "plain" || plan.details.format === "plain" ? "plain" : undefined;
  if (!a) {
    if (typeof plan.details.path !== "string") {
      // An offline plan: look the archive up now.
      const fresh = await planS3Archive(plan.source.id, await ctx.s3(), declared);
      return restoreArchiveFromPlan(ctx, fresh, opts);
    }
    const dirs = ctx.clientSearchDirs ? { clientSearchDirs: ctx.clientSearchDirs } : {};
    return restoreArchive({ root: ctx.root, bins, as, ...dirs }, plan.details.path, opts, declared);
  }
  const s3 = await ctx.s3();
  const tools = await findClientTools(await majorVersion(bins.postgres), ctx.clientSearchDirs);
  opts.signal.throwIfAborted();
  const fresh = await startArchiveCluster({ root: ctx.root, bins, as }, opts);
  const where = `s3://${a.bucket}/${a.key}`;
  const loadAt = Date.now();
  const { loadS3Archive } = await import("./s3-archive-load.js");
  const { format, streamed, result, toc } = await loadS3Archive(s3, a, {
    tools,
    // Loaded as the working role: the archive's own code never runs as a superuser.
    env: pgEnv(fresh.connection),
    args: PG_RESTORE_ARGS,
    list: (input) => restoreList(tools.pg_restore, input, fresh.admin, fresh.runDir, opts.signal),
    opts,
    declared,
  });
  opts.signal.throwIfAborted();
  if (result.code !== 0) {
    // The tool quotes rows it could not load (a COPY value, a duplicate key): values are cut.
    const tail = maskToolOutput(result.stderrTail.slice(-8));
    throw (
      needsSuperuser(where, tail) ??
      platformError(
        "ARCHIVE_RESTORE_FAILED",
        `loading ${where} failed (exit ${result.code}):\n${tail.join("\n")}`,
        `check that the archive is complete and was made by pg_dump ${tools.major} or older`,
      )
    );
  }
  const loadMs = Date.now() - loadAt;
  return {
    connection: fresh.connection,
    admin: fresh.admin,
    source: { kind: "archive", id: where, takenAt: a.lastModified },
    details: {
      port: fresh.cluster.port,
      archive: where,
      format,
      bytes: streamed,
      startMs: fresh.startMs,
      loadMs,
      bytesPerSecond: Math.round(streamed / Math.max(loadMs / 1000, 0.001)),
      ...tocDetails(toc),
    },
    dispose: fresh.dispose,
  };
}
