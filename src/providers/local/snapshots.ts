import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession } from "../../db.js";
import { inputError } from "../../errors.js";
import { privateDir } from "../../private-files.js";
import type { ConnectionInfo } from "../../types.js";
import { copyTree, treeSize, writeFileAtomic } from "./files.js";

export interface SnapshotMeta {
  id: string;
  takenAt: string;
  size: number;
  postgresVersion: string;
  startWal: string;
  stopWal: string;
  /** Where the backup started and ended in WAL (absent in snapshots of older drills). */
  startLsn?: string;
  stopLsn?: string;
  durationMs: number;
}

export type SnapshotChoice = { latest: true } | { id: string } | { before: Date };

/**
 * Left out of a base backup, as pg_basebackup does: runtime files, WAL (copied separately, only
 * what the backup needs), and folders whose contents are rebuilt on start.
 */
const SKIP_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_label.old",
  "current_logfiles",
]);
const EMPTY_DIRS = [
  "pg_wal",
  "pg_replslot",
  "pg_stat_tmp",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
  "log",
];
const skipInBackup = (rel: string) => {
  const [top, ...rest] = rel.split(path.sep);
  if (rest.length === 0) return SKIP_FILES.has(top!);
  if (EMPTY_DIRS.includes(top!)) return true;
  const base = rest.at(-1)!;
  return base === "pg_internal.init" || base.startsWith("pgsql_tmp");
};

/** Physical snapshots of the sandbox primary, like RDS automated snapshots. */
export class Snapshots {
  constructor(
    readonly dir: string,
    readonly keep = 3,
  ) {}

  dataDir(id: string) {
    return path.join(this.dir, id, "data");
  }

  /** Whole snapshots, newest first; temp folders of a crashed take are not listed. */
  async list(): Promise<SnapshotMeta[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const metas = await Promise.all(
      names
        .filter((n) => n.startsWith("snap-"))
        .map((n) =>
          fs.readFile(path.join(this.dir, n, "meta.json"), "utf8").then(
            (t) => JSON.parse(t) as SnapshotMeta,
            () => undefined,
          ),
        ),
    );
    return metas
      .filter((m) => m !== undefined)
      .sort((a, b) => b.takenAt.localeCompare(a.takenAt) || b.id.localeCompare(a.id));
  }

  /** `latest` with none yet gives undefined (the caller takes one); other misses are input errors. */
  async pick(choice: SnapshotChoice): Promise<SnapshotMeta | undefined> {
    const all = await this.list();
    if ("latest" in choice) return all[0];
    const known = all.map((m) => m.id).join(", ") || "none yet";
    if ("id" in choice) {
      const found = all.find((m) => m.id === choice.id);
      if (!found)
        throw inputError("UNKNOWN_SNAPSHOT", `unknown snapshot "${choice.id}" (known: ${known})`);
      return found;
    }
    const found = all.find((m) => new Date(m.takenAt).getTime() < choice.before.getTime());
    if (!found) {
      throw inputError(
        "NO_SNAPSHOT_BEFORE",
        `no snapshot taken before ${choice.before.toISOString()} (known: ${all.map((m) => `${m.id} at ${m.takenAt}`).join(", ") || "none yet"})`,
      );
    }
    return found;
  }

  /**
   * An online base backup of the running primary with the non-exclusive backup API, without
   * pg_basebackup (the embedded package lacks it). Start and stop must share one connection.
   */
  async take(
    primary: { dataDir: string; connection: ConnectionInfo },
    signal?: AbortSignal,
  ): Promise<SnapshotMeta> {
    const started = Date.now();
    await privateDir(this.dir);
    const tmp = path.join(this.dir, `.tmp-${randomBytes(4).toString("hex")}`);
    const data = path.join(tmp, "data");
    try {
      const meta = await withSession(
        primary.connection,
        async (db) => {
          const label = `drill-${new Date().toISOString()}`;
          const start = await db.query<{ f: string; lsn: string }>(
            "select pg_walfile_name(lsn) as f, lsn::text from pg_backup_start($1, true) as lsn",
            [label],
          );
          await copyTree(primary.dataDir, data, {
            skip: skipInBackup,
            ...(signal ? { signal } : {}),
          });
          const stop = await db.query<{
            labelfile: string;
            spcmapfile: string | null;
            f: string;
            lsn: string;
            v: string;
          }>(
            `select labelfile, spcmapfile, pg_walfile_name(lsn) as f, lsn::text, current_setting('server_version') as v
             from pg_backup_stop(false)`,
          );
          const s = stop.rows[0]!;
          await fs.writeFile(path.join(data, "backup_label"), s.labelfile, { mode: 0o600 });
          if (s.spcmapfile)
            await fs.writeFile(path.join(data, "tablespace_map"), s.spcmapfile, { mode: 0o600 });
          return {
            startWal: start.rows[0]!.f,
            stopWal: s.f,
            startLsn: start.rows[0]!.lsn,
            stopLsn: s.lsn,
            postgresVersion: s.v,
            takenAt: new Date(),
          };
        },
        { ...(signal ? { signal } : {}), applicationName: "drill-snapshot" },
      );
      await copyWal(
        path.join(primary.dataDir, "pg_wal"),
        path.join(data, "pg_wal"),
        meta.startWal,
        meta.stopWal,
      );
      const size = await treeSize(data);
      const id = await this.freeId(meta.takenAt);
      const full: SnapshotMeta = {
        id,
        takenAt: meta.takenAt.toISOString(),
        size,
        postgresVersion: meta.postgresVersion,
        startWal: meta.startWal,
        stopWal: meta.stopWal,
        startLsn: meta.startLsn,
        stopLsn: meta.stopLsn,
        durationMs: Date.now() - started,
      };
      await writeFileAtomic(path.join(tmp, "meta.json"), `${JSON.stringify(full, null, 2)}\n`);
      // The rename is what makes a snapshot exist: a crash before it leaves only a .tmp folder.
      await fs.rename(tmp, path.join(this.dir, id));
      await this.prune();
      return full;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  /** Keep the newest `keep`; also sweep temp folders crashed takes left. */
  async prune(): Promise<void> {
    const all = await this.list();
    for (const old of all.slice(this.keep))
      await fs.rm(path.join(this.dir, old.id), { recursive: true, force: true });
    for (const n of await fs.readdir(this.dir).catch(() => [] as string[])) {
      if (n.startsWith(".tmp-")) {
        const st = await fs.stat(path.join(this.dir, n)).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 3_600_000)
          await fs.rm(path.join(this.dir, n), { recursive: true, force: true });
      }
    }
  }

  private async freeId(at: Date): Promise<string> {
    const base = `snap-${at
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z")}`;
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      if (!(await fs.stat(path.join(this.dir, id)).catch(() => undefined))) return id;
    }
  }
}

/** The WAL segments from the backup's start to its stop (same timeline), plus timeline history. */
async function copyWal(from: string, to: string, startWal: string, stopWal: string): Promise<void> {
  await fs.mkdir(path.join(to, "archive_status"), { recursive: true, mode: 0o700 });
  const tli = startWal.slice(0, 8);
  for (const name of await fs.readdir(from)) {
    const segment =
      /^[0-9A-F]{24}$/.test(name) &&
      name.slice(0, 8) === tli &&
      name >= startWal &&
      name <= stopWal;
    if (segment || name.endsWith(".history"))
      await fs.copyFile(path.join(from, name), path.join(to, name));
  }
}
