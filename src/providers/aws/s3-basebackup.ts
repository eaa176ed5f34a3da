import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { inputError } from "../../errors.js";
import { formatAge, formatBytes } from "../local/files.js";
import { basebackupSource, refuseTablespaces } from "../local/recovery/basebackup.js";
import { makeOwnedDir } from "../local/recovery/spool.js";
import { readTarFiles } from "../local/recovery/tar-safe.js";
import type { BackupPlan, LaidDown, PhysicalSource } from "../local/recovery/types.js";
import {
  classifyWal,
  listWalFolder,
  labelTimes,
  parseLabel,
  readBackupHistory,
  segmentOfLocation,
  walRange,
} from "../local/recovery/wal-folder.js";
import type { PhysicalBackupSource } from "../types.js";
import { download, headObject, listPrefix, namesUnder, readTarHead } from "./s3-objects.js";
import { getText, walToFetch } from "./s3-wal.js";
import { parseS3Url } from "./s3-url.js";

type BaseBackup = Extract<PhysicalBackupSource, { kind: "basebackup" }>;

export const usesS3 = (s: BaseBackup) => s.base.startsWith("s3://") || s.wal.startsWith("s3://");

/** Downloads at once: S3 answers many small GETs in parallel far faster than one after another. */
const JOBS = Math.min(16, Math.max(4, os.availableParallelism() * 2));

const HEAD = ["backup_label", "PG_VERSION"];

/**
 * pg_basebackup -Ft tars and a WAL archive where either (or both) is in S3. Plan reads only the
 * head of the base tar and the listings; layDown downloads into the run's spool and hands the
 * local copies to the folder source (basebackup.ts), so extraction, the restore_command script
 * and every check are the same code. WAL is downloaded before replay, from the backup's start
 * segment on: PostgreSQL's restore_command then reads a local folder (no S3 credentials reach
 * the server's processes, and a missing segment is a missing file, named as such).
 */
export function s3BasebackupSource(
  source: BaseBackup,
  ctx: { s3(): Promise<S3Client>; now(): number },
): PhysicalSource {
  const base = source.base.startsWith("s3://") ? parseS3Url(source.base) : undefined;
  if (base && (base.key === "" || base.key.endsWith("/")))
    throw inputError(
      "BASEBACKUP_MISSING",
      `from.basebackup.base: ${source.base} is a prefix, not a tar`,
      "give s3://bucket/…/base.tar (or base.tar.gz) of pg_basebackup -Ft",
    );
  const walUrl = source.wal.startsWith("s3://") ? parseS3Url(source.wal) : undefined;
  const wal = walUrl && {
    bucket: walUrl.bucket,
    prefix: walUrl.key === "" || walUrl.key.endsWith("/") ? walUrl.key : `${walUrl.key}/`,
  };
  const baseDir = base ? base.key.slice(0, base.key.lastIndexOf("/") + 1) : "";
  const baseName = base ? path.posix.basename(base.key) : path.basename(source.base);

  /** Name → size of every file of the WAL archive. */
  const walNames = async (signal: AbortSignal) => {
    if (wal) return listPrefix(await ctx.s3(), wal.bucket, wal.prefix);
    const st = await fs.stat(source.wal).catch(() => undefined);
    if (!st?.isDirectory())
      throw inputError(
        "WAL_FOLDER_MISSING",
        `from.basebackup.wal: ${source.wal} is not a folder`,
        "give the folder archive_command or pg_receivewal writes to, or s3://bucket/prefix/",
      );
    signal.throwIfAborted();
    const f = await listWalFolder(source.wal);
    return new Map([...f.segments, ...f.backups, ...f.histories].map((n) => [n, 0] as const));
  };

  const readBase = async (signal: AbortSignal) => {
    if (!base) {
      const st = await fs.stat(source.base).catch(() => undefined);
      if (!st?.isFile()) throw missingBase(source.base);
      const files = await readTarFiles(source.base, [...HEAD, "tablespace_map"]);
      const siblings = await fs.readdir(path.dirname(source.base));
      return { bytes: st.size, files, siblings, headBytesRead: null };
    }
    const s3 = await ctx.s3();
    const head = await headObject(s3, base, signal);
    if (!head) throw missingBase(source.base);
    const [read, siblings] = await Promise.all([
      readTarHead(s3, base, HEAD, [...HEAD, "tablespace_map"], signal),
      namesUnder(s3, base.bucket, baseDir, signal),
    ]);
    return {
      bytes: head.bytes,
      files: read.files,
      siblings: [...siblings.keys()],
      headBytesRead: read.bytesRead,
    };
  };

  return {
    kind: "basebackup",
    async plan(signal) {
      const b = await readBase(signal);
      const label = b.files.get("backup_label");
      const version = Number(/^(\d+)/.exec(b.files.get("PG_VERSION")?.trim() ?? "")?.[1]);
      if (!label || !version)
        throw inputError(
          "BASEBACKUP_NOT_A_BACKUP",
          `from.basebackup.base: ${source.base} has no backup_label or PG_VERSION at its top`,
          "give the base.tar pg_basebackup -Ft wrote (not a tar of a stopped data folder)",
        );
      refuseTablespaces(source.base, b.files.get("tablespace_map"), b.siblings);
      const l = parseLabel(label);
      const listed = classifyWal([...(await walNames(signal)).keys()]);
      if (wal && listed.segments.length === 0 && !b.siblings.some((n) => n.startsWith("pg_wal.")))
        throw inputError(
          "WAL_PREFIX_EMPTY",
          `from.basebackup.wal: no WAL segments under ${source.wal}`,
          "give the prefix archive_command or pg_receivewal uploads to (s3://bucket/prefix/)",
        );
      const startSegment = segmentOfLocation(l["START WAL LOCATION"]);
      const hist = startSegment ? await backupHistory(listed.backups, startSegment) : undefined;
      const { startedAt, stoppedAt, stopSegment, when } = labelTimes(l, hist);
      const range = walRange(listed.segments, source.wal);
      const age = when ? `, ${formatAge(ctx.now() - Date.parse(when))} ago` : "";
      return {
        set: {
          id: l["LABEL"] ? `${baseName} (${l["LABEL"]})` : baseName,
          ...(startedAt ? { startedAt } : {}),
          ...(stoppedAt ? { stoppedAt } : {}),
          ...(startSegment ? { startSegment } : {}),
          ...(stopSegment ? { stopSegment } : {}),
          postgresMajor: version,
          bytes: b.bytes,
        },
        wal: range,
        description: `pg_basebackup ${source.base} (${formatBytes(b.bytes)}, PostgreSQL ${version}${age}) + WAL ${range.first ?? "none"} to ${range.last ?? "none"} from ${source.wal} → new cluster`,
        details: {
          base: source.base,
          walFolder: source.wal,
          label: l["LABEL"] ?? null,
          ...(b.headBytesRead !== null ? { baseHeadBytesRead: b.headBytesRead } : {}),
        },
      } satisfies BackupPlan;
    },

    async layDown(plan, o): Promise<LaidDown> {
      const started = Date.now();
      let localBase = source.base;
      const fetched = { baseBytes: 0, walFiles: 0, walBytes: 0, downloadMs: 0 };
      if (base) {
        const dir = path.join(o.spoolDir, "base");
        await fs.mkdir(dir, { mode: 0o700 });
        const s3 = await ctx.s3();
        const beside = await namesUnder(s3, base.bucket, baseDir, o.signal);
        // Saved under fixed names: nothing in the key picks a path in the spool.
        const local = baseName.endsWith(".gz") ? "base.tar.gz" : "base.tar";
        const items = [
          { key: base.key, name: local, size: plan.set.bytes ?? 0 },
          ...["pg_wal.tar", "pg_wal.tar.gz"]
            .filter((n) => beside.has(n))
            .map((name) => ({ key: baseDir + name, name, size: beside.get(name)! })),
        ];
        o.progress(`downloading ${source.base} (${formatBytes(plan.set.bytes ?? 0)})`);
        fetched.baseBytes = await download(s3, base.bucket, items, dir, {
          signal: o.signal,
          jobs: 2,
          progress: () => {},
        });
        localBase = path.join(dir, local);
      }
      let localWal = source.wal;
      if (wal) {
        localWal = path.join(o.spoolDir, "wal");
        // The server user's: its restore_command reads the segments from here.
        await makeOwnedDir(localWal, o.as);
        // Listed again: for `latest`, WAL archived since the plan belongs in the copy.
        const items = walToFetch(await walNames(o.signal), plan.set.startSegment, wal.prefix);
        const total = items.reduce((n, i) => n + i.size, 0);
        o.progress(
          `downloading ${items.length} WAL files (${formatBytes(total)}) from ${source.wal}`,
        );
        fetched.walFiles = items.length;
        fetched.walBytes = await download(await ctx.s3(), wal.bucket, items, localWal, {
          signal: o.signal,
          jobs: JOBS,
          progress: (n, bytes) => {
            if (n % 50 === 0)
              o.progress(`downloaded ${n} of ${items.length} WAL files (${formatBytes(bytes)})`);
          },
        });
      }
      fetched.downloadMs = Date.now() - started;
      const local = basebackupSource({ ...source, base: localBase, wal: localWal }, ctx.now);
      const laid = await local.layDown(plan, o);
      // Extracted: the tars' space is not needed during replay (the spool goes with the run).
      if (base) await fs.rm(path.join(o.spoolDir, "base"), { recursive: true, force: true });
      return { ...laid, details: { ...laid.details, s3: fetched } };
    },

    async listWal(signal) {
      return classifyWal([...(await walNames(signal)).keys()]).segments;
    },
  };

  async function backupHistory(backups: string[], startSegment: string) {
    if (!wal) return readBackupHistory(source.wal, backups, startSegment);
    const name = backups.find((b) => b.startsWith(startSegment) && b.endsWith(".backup"));
    if (!name) return undefined;
    return parseLabel(await getText(await ctx.s3(), wal.bucket, wal.prefix + name));
  }
}

const missingBase = (where: string) =>
  inputError(
    "BASEBACKUP_MISSING",
    `from.basebackup.base: ${where} is not a file`,
    "give base.tar or base.tar.gz of pg_basebackup -Ft",
  );
