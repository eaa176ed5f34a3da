import { promises as fs } from "node:fs";
import path from "node:path";
import { inputError, platformError } from "../../../errors.js";
import type { PhysicalBackupSource } from "../../types.js";
import { formatAge, formatBytes } from "../files.js";
import { run } from "../os-user.js";
import { extractTar, readTarFiles } from "./tar-safe.js";
import type { BackupPlan, LaidDown, LayDownOptions, PhysicalSource } from "./types.js";
import {
  fetchScript,
  listWalFolder,
  labelTimes,
  parseLabel,
  readBackupHistory,
  segmentOfLocation,
  walRange,
} from "./wal-folder.js";
import { makeOwnedDir, writeOwned } from "./spool.js";
import { findTablespaces, layDownTablespaces } from "./tablespaces.js";

type BaseBackup = Extract<PhysicalBackupSource, { kind: "basebackup" }>;

/**
 * pg_basebackup -Ft tars (base.tar[.gz], pg_wal.tar[.gz] beside it with -X stream) and a WAL
 * archive folder. Tablespaces (<oid>.tar beside base.tar) go into the run's spool (tablespaces.ts).
 */
export function basebackupSource(source: BaseBackup, now: () => number): PhysicalSource {
  const local = (p: string, field: string) => {
    if (p.startsWith("s3://")) {
      throw inputError(
        "BASEBACKUP_S3_UNSUPPORTED",
        `from.basebackup.${field}: s3:// is not built yet for pg_basebackup sources`,
        "download the tar and WAL to a folder and give absolute paths",
      );
    }
    return p;
  };
  const base = local(source.base, "base");
  const wal = local(source.wal, "wal");

  const listWal = async () => {
    const st = await fs.stat(wal).catch(() => undefined);
    if (!st?.isDirectory())
      throw inputError(
        "WAL_FOLDER_MISSING",
        `from.basebackup.wal: ${wal} is not a folder`,
        "give the folder archive_command or pg_receivewal writes to",
      );
    return listWalFolder(wal);
  };

  return {
    kind: "basebackup",
    async plan(signal) {
      const st = await fs.stat(base).catch(() => undefined);
      if (!st?.isFile())
        throw inputError(
          "BASEBACKUP_MISSING",
          `from.basebackup.base: ${base} is not a file`,
          "give base.tar or base.tar.gz of pg_basebackup -Ft",
        );
      const files = await readTarFiles(base, ["backup_label", "PG_VERSION", "tablespace_map"]);
      signal.throwIfAborted();
      const label = files.get("backup_label");
      const version = Number(/^(\d+)/.exec(files.get("PG_VERSION")?.trim() ?? "")?.[1]);
      if (!label || !version)
        throw inputError(
          "BASEBACKUP_NOT_A_BACKUP",
          `from.basebackup.base: ${base} has no backup_label or PG_VERSION at its top`,
          "give the base.tar pg_basebackup -Ft wrote (not a tar of a stopped data folder)",
        );
      const tablespaces = await findTablespaces(base, files.get("tablespace_map"));
      const l = parseLabel(label);
      const folder = await listWal();
      const startSegment = segmentOfLocation(l["START WAL LOCATION"]);
      const hist = startSegment
        ? await readBackupHistory(wal, folder.backups, startSegment)
        : undefined;
      const { startedAt, stoppedAt, stopSegment, when } = labelTimes(l, hist);
      const range = walRange(folder.segments, wal);
      const set = {
        id: l["LABEL"] ? `${path.basename(base)} (${l["LABEL"]})` : path.basename(base),
        ...(startedAt ? { startedAt } : {}),
        ...(stoppedAt ? { stoppedAt } : {}),
        ...(startSegment ? { startSegment } : {}),
        ...(stopSegment ? { stopSegment } : {}),
        postgresMajor: version,
        bytes: st.size,
      };
      const plan: BackupPlan = {
        set,
        wal: range,
        description: `pg_basebackup ${path.basename(base)} (${formatBytes(st.size)}, PostgreSQL ${version}${when ? `, ${formatAge(now() - Date.parse(when))} ago` : ""}) + WAL ${range.first ?? "none"} to ${range.last ?? "none"} → new cluster`,
        details: {
          base,
          walFolder: wal,
          label: l["LABEL"] ?? null,
          ...(tablespaces.length > 0 ? { tablespaces: tablespaces.map((t) => t.oid) } : {}),
        },
      };
      return plan;
    },

    async layDown(_plan, o: LayDownOptions): Promise<LaidDown> {
      const started = Date.now();
      o.progress(`extracting ${path.basename(base)}`);
      const main = await extractTar(base, o.dataDir, o.as, o.signal);
      // The map as extracted is the one PostgreSQL would read: its tablespaces, checked again.
      const map = await fs
        .readFile(path.join(o.dataDir, "tablespace_map"), "utf8")
        .catch(() => undefined);
      const spaces = await layDownTablespaces(await findTablespaces(base, map), o);
      const walDir = path.join(o.dataDir, "pg_wal");
      // The server user's, as tar extracts pg_wal.tar as that user.
      await makeOwnedDir(walDir, o.as);
      await makeOwnedDir(path.join(walDir, "archive_status"), o.as);
      let streamed: { entries: number; bytes: number } | undefined;
      for (const name of ["pg_wal.tar", "pg_wal.tar.gz"]) {
        const file = path.join(path.dirname(base), name);
        if (await fs.stat(file).catch(() => undefined)) {
          o.progress(`extracting ${name}`);
          streamed = await extractTar(file, walDir, o.as, o.signal);
        }
      }
      // restore_command runs as the server user: an archive it cannot read would look like
      // missing WAL, so say what it is before replay starts.
      const readable = await run("test", ["-r", wal, "-a", "-x", wal], { as: o.as }).then(
        () => true,
        () => false,
      );
      if (!readable)
        throw platformError(
          "WAL_FOLDER_UNREADABLE",
          `the "${o.as?.name ?? "server"}" user cannot read the WAL folder ${wal}`,
          `PostgreSQL runs as "${o.as?.name ?? "this user"}" and fetches WAL itself: give it read access (chmod/chgrp or an ACL)`,
        );
      const script = path.join(o.spoolDir, "fetch-wal-folder");
      await writeOwned(script, fetchScript(wal), o.as, 0o700);
      return {
        fetchWal: `${script} %f %p`,
        walFolder: wal,
        details: {
          extractMs: Date.now() - started,
          bytesExtracted: main.bytes + spaces.bytes + (streamed?.bytes ?? 0),
          files: main.entries + spaces.entries,
          ...(streamed ? { walStreamedInBackup: streamed.entries } : {}),
        },
      };
    },

    async listWal() {
      return (await listWal()).segments;
    },
  };
}

/**
 * An S3 source's tablespaces (not downloaded yet, so refused): `siblings`, the names beside the
 * base tar under its prefix. A local folder's are restored (findTablespaces).
 */
export function refuseTablespaces(base: string, map: string | undefined, siblings: string[]) {
  const tars = siblings.filter((n) => /^\d+\.tar(\.gz)?$/.test(n));
  if ((map && map.trim() !== "") || tars.length > 0) {
    throw platformError(
      "TABLESPACES_UNSUPPORTED",
      `${base}: the backup has tablespaces (${tars.join(", ") || "tablespace_map"}); drill does not restore pg_basebackup tablespaces yet`,
      "move the tables to pg_default, or restore this backup by hand",
    );
  }
}
