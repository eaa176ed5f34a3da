import { promises as fs } from "node:fs";
import path from "node:path";
import { withSession } from "../../db.js";
import { platformError } from "../../errors.js";
import { sleep } from "../../sleep.js";
import type { ConnectionInfo } from "../../types.js";
import type { RunAs } from "./os-user.js";

/**
 * The sandbox primary's continuous archiving (archive_mode=on), so that a snapshot plus the WAL
 * after it restores to any moment since, as RDS's point-in-time restore does. The folder holds
 * what archive_command writes: 24-hex segment names, `<tli>.history`, `<segment>.<off>.backup`.
 */

const SEGMENT = /^[0-9A-F]{24}$/;
const ARCHIVED = /^([0-9A-F]{24})(\.[0-9A-F]{8}\.backup|\.partial)?$/;
/** A temp name of archive_command's copy; only a killed copy leaves one behind. */
export const TEMP_PREFIX = ".tmp-";
/** Marks the lines of postgresql.conf drill rewrites on every start. */
const MARK = "# drill: WAL archive";

/** A word for /bin/sh: single-quoted, so nothing inside it is expanded. */
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A postgresql.conf string value: quotes doubled, backslashes escaped, no line breaks. */
function confValue(s: string): string {
  if (/[\0\r\n]/.test(s)) throw platformError("BAD_PATH", `a path with a line break: ${s}`);
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Copies segment %f to a temp name, flushes it, then renames it into place, so a reader never
 * sees half a segment. A name already archived succeeds only when its content is the same (the
 * archiver retries a segment whose success it did not record), never overwrites it. `%` in the
 * folder is doubled: PostgreSQL reads `%x` as a placeholder.
 */
export function archiveCommand(dir: string): string {
  const d = shq(dir).replace(/%/g, "%%");
  return (
    `if test -f ${d}/%f; then cmp -s %p ${d}/%f; ` +
    `else cp %p ${d}/${TEMP_PREFIX}%f && sync ${d}/${TEMP_PREFIX}%f && mv ${d}/${TEMP_PREFIX}%f ${d}/%f; fi`
  );
}

/**
 * Before each start: the folder exists (0700, the server user's) and postgresql.conf archives into
 * it. Rewritten each time, so a sandbox made before archiving existed gets it on its next start
 * and a copied or moved project archives into its own folder. In postgresql.conf (not `-c`):
 * pg_ctl passes `-o` through /bin/sh, and a standby made from this primary inherits it, so a
 * promoted standby goes on archiving into the same folder.
 */
export async function enableArchiving(
  dataDir: string,
  archiveDir: string,
  as: RunAs | undefined,
): Promise<void> {
  await fs.mkdir(archiveDir, { recursive: true, mode: 0o700 });
  await fs.chmod(archiveDir, 0o700);
  if (as) await fs.chown(archiveDir, as.uid, as.gid);
  const conf = path.join(dataDir, "postgresql.conf");
  const kept = (await fs.readFile(conf, "utf8"))
    .split("\n")
    .filter((l) => !l.endsWith(MARK))
    .join("\n")
    .replace(/\n*$/, "\n");
  // In place, so the file keeps its owner and mode; later lines win in postgresql.conf.
  await fs.writeFile(
    conf,
    `${kept}archive_mode = on ${MARK}\narchive_command = ${confValue(archiveCommand(archiveDir))} ${MARK}\n`,
  );
}

export interface ArchiveContents {
  /** Segment names (24 hex), sorted. */
  segments: string[];
  /** Every file archive_command wrote (segments, .history, .backup), with the bytes they hold. */
  files: number;
  bytes: number;
}

export async function readArchive(dir: string): Promise<ArchiveContents> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const segments: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const n of names) {
    if (n.startsWith(TEMP_PREFIX)) continue;
    if (SEGMENT.test(n)) segments.push(n);
    if (!ARCHIVED.test(n) && !/^[0-9A-F]{8}\.history$/.test(n)) continue;
    files++;
    bytes += (await fs.stat(path.join(dir, n)).catch(() => undefined))?.size ?? 0;
  }
  return { segments: segments.sort(), files, bytes };
}

/** Where a segment lies in the WAL stream, whatever its timeline: log and segment number. */
export const positionOf = (segment: string) => segment.slice(8, 24);

/**
 * Remove what no kept snapshot needs: segments (and .backup files) before `keepFrom` (the oldest
 * kept snapshot's start), and temp files of copies killed over an hour ago. Timeline history
 * files stay: they are tiny and recovery follows them.
 */
export async function pruneArchive(dir: string, keepFrom: string, now = Date.now()) {
  let removed = 0;
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, n);
    const m = ARCHIVED.exec(n);
    const old = m
      ? positionOf(m[1]!) < positionOf(keepFrom)
      : n.startsWith(TEMP_PREFIX) &&
        now - ((await fs.stat(file).catch(() => undefined))?.mtimeMs ?? now) > 3_600_000;
    if (!old) continue;
    await fs.rm(file, { force: true });
    removed++;
  }
  return removed;
}

interface ArchiverRow {
  segment: string;
  mode: string;
  last_archived_wal: string | null;
  failed_count: string;
  last_failed_wal: string | null;
}

/**
 * Close the current segment (pg_switch_wal) and wait until the archiver has copied it: then the
 * archive holds every commit made so far. A marker transaction first gives WAL replay a commit
 * record after any moment before now to stop at (a time target stops at the first commit after
 * it; with none, recovery ends short of the target). A failing archive_command is a platform
 * error naming the segment, not a wait until the timeout.
 */
export async function archiveNow(
  conn: ConnectionInfo,
  o: { signal: AbortSignal; logFile: string; timeoutMs?: number },
): Promise<{ segment: string; waitedMs: number }> {
  const started = Date.now();
  return withSession(
    conn,
    async (db) => {
      const stat = async (sql: string) =>
        (
          await db.query<ArchiverRow>(
            `select ${sql} as segment, current_setting('archive_mode') as mode,
                    last_archived_wal, failed_count::text, last_failed_wal
             from pg_stat_archiver`,
          )
        ).rows[0]!;
      const before = await stat("''");
      if (before.mode === "off")
        throw platformError(
          "ARCHIVING_OFF",
          "the sandbox primary runs without WAL archiving (started by an older drill)",
          "stop it with `drill cleanup` (or `drill sandbox reset`) and run again",
        );
      await db.query("begin; select pg_current_xact_id(); commit");
      const { segment } = await stat("pg_walfile_name(pg_switch_wal())");
      const deadline = started + (o.timeoutMs ?? 60_000);
      for (;;) {
        const now = await stat("''");
        if (now.last_archived_wal && positionOf(now.last_archived_wal) >= positionOf(segment))
          return { segment, waitedMs: Date.now() - started };
        if (Number(now.failed_count) > Number(before.failed_count) && now.last_failed_wal)
          throw platformError(
            "WAL_ARCHIVE_FAILED",
            `the sandbox primary could not archive WAL segment ${now.last_failed_wal}`,
            `see ${o.logFile} (archive_command's error) and check free disk space`,
          );
        if (Date.now() > deadline)
          throw platformError(
            "WAL_ARCHIVE_SLOW",
            `WAL segment ${segment} was not archived within ${Math.round((o.timeoutMs ?? 60_000) / 1000)} s`,
            `see ${o.logFile}`,
          );
        await sleep(50, o.signal);
      }
    },
    { signal: o.signal, applicationName: "drill-archive" },
  );
}

/**
 * Whether WAL replay can go on past a snapshot's end with this archive: the archive must reach
 * back to the snapshot's last segment (a snapshot taken before archiving was on cannot).
 */
export function archiveCovers(archive: ArchiveContents, snap: { stopWal: string }): boolean {
  const first = archive.segments[0];
  return first !== undefined && positionOf(first) <= positionOf(snap.stopWal);
}
