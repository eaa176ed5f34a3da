import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { pgEnv, withSession } from "../../db.js";
import type { LocalEnvironment } from "../../definitions/config.js";
import { platformError } from "../../errors.js";
import { maskToolOutput } from "../../redact.js";
import { ARCHIVE_DATABASE, restoreArchive } from "../local/archive.js";
import { findClientTools, findServerBinaries, majorVersion } from "../local/binaries.js";
import { formatBytes } from "../local/files.js";
import { serverUser } from "../local/os-user.js";
import { makeRunDir, runCluster, waitUntilPrimary } from "../local/run-cluster.js";
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
  const { runDir, cluster, dispose } = runCluster(ctx.root, opts.runId, bins, as);
  await makeRunDir(runDir, as);
  opts.onCreated(dispose);

  const { randomBytes } = await import("node:crypto");
  const password = randomBytes(18).toString("base64url");
  const startAt = Date.now();
  opts.progress("creating a fresh cluster");
  await cluster.init(password, opts.signal);
  await cluster.start({ signal: opts.signal });
  await waitUntilPrimary(cluster.connection(password), opts.signal);
  await withSession(
    cluster.connection(password),
    (db) => db.query(`create database ${ARCHIVE_DATABASE}`),
    {
      signal: opts.signal,
    },
  );
  const startMs = Date.now() - startAt;
  const conn = cluster.connection(password, ARCHIVE_DATABASE);
  const where = `s3://${a.bucket}/${a.key}`;
  const loadAt = Date.now();
  const { loadS3Archive } = await import("./s3-archive-load.js");
  const { format, streamed, result } = await loadS3Archive(s3, a, {
    tools,
    env: pgEnv(conn),
    args: ["--no-owner", "--no-privileges", "--exit-on-error", "-d", ARCHIVE_DATABASE],
    opts,
    declared,
  });
  opts.signal.throwIfAborted();
  if (result.code !== 0) {
    throw platformError(
      "ARCHIVE_RESTORE_FAILED",
      `loading ${where} failed (exit ${result.code}):\n${maskToolOutput(result.stderrTail.slice(-8)).join("\n")}`,
      `check that the archive is complete and was made by pg_dump ${tools.major} or older`,
    );
  }
  const loadMs = Date.now() - loadAt;
  return {
    connection: conn,
    source: { kind: "archive", id: where, takenAt: a.lastModified },
    details: {
      port: cluster.port,
      archive: where,
      format,
      bytes: streamed,
      startMs,
      loadMs,
      bytesPerSecond: Math.round(streamed / Math.max(loadMs / 1000, 0.001)),
    },
    dispose,
  };
}
