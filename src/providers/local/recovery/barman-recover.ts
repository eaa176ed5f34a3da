import { promises as fs } from "node:fs";
import path from "node:path";
import { platformError } from "../../../errors.js";
import { chownTree, type RunAs } from "../os-user.js";
import type { BarmanCli } from "./barman.js";
import { shq } from "./shell.js";
import { writeOwned } from "./spool.js";
import type { BackupPlan, LaidDown, LayDownOptions } from "./types.js";
import { fetchScript, SEGMENT } from "./wal-folder.js";

/**
 * `barman recover` without a target, locally, into a folder Barman's user owns inside the spool
 * folder; then the files move (rename, same file system) into the data folder and the WAL Barman
 * copied into the spool's wal/ folder, and both are given to the server user.
 *
 * Why copy the WAL at lay-down instead of a restore_command running `barman get-wal`:
 * PostgreSQL runs restore_command as the server user, and Barman refuses every user but its
 * barman_user (root it switches down from), so get-wal would need a sudo rule on the runner and
 * starts a Python process per segment. Copied once, fetching is the WAL-folder script every
 * folder source uses (a `cp` that fails for a missing name), and PostgreSQL itself stops at any target (time, LSN, name, latest) — Barman's
 * own target handling (barman_wal/, a recovery.conf it writes) is not used because recovery
 * writes its own configuration. The cost: every segment after the backup is copied, also those
 * past an early target. `--no-get-wal` overrides a server's `recovery_options = get-wal`.
 */
export async function layDownWithBarman(
  cli: BarmanCli,
  plan: BackupPlan,
  o: LayDownOptions,
  deps: { user(): Promise<RunAs> },
): Promise<LaidDown> {
  const started = Date.now();
  // As root, Barman switches to its barman_user; otherwise it runs as us (or refuses).
  const root = process.getuid?.() === 0;
  const barman = root ? await deps.user() : undefined;
  const foreign = barman !== undefined && barman.uid !== 0;
  const staging = path.join(o.spoolDir, "barman-recover");
  await fs.mkdir(staging, { mode: 0o700 });
  if (foreign) await fs.chown(staging, barman.uid, barman.gid);
  const reopen = foreign ? await letThrough(o.spoolDir, o.as, barman) : [];
  try {
    const dest = path.join(staging, "data");
    const tablespaces = tablespacesOf(plan);
    const mapped = tablespaces.flatMap((t) => [
      "--tablespace",
      `${t.name}:${path.join(staging, "tablespaces", String(t.oid))}`,
    ]);
    o.progress(`barman recover ${cli.server} ${plan.set.id}`);
    await cli.run(
      ["recover", "--no-get-wal", ...mapped, cli.server, plan.set.id, dest],
      o.signal,
      false,
    );
    const walDir = path.join(o.spoolDir, "wal");
    await fs.mkdir(walDir, { recursive: true, mode: 0o700 });
    const segments = await moveWal(dest, walDir);
    await moveTablespaces(dest, staging, o.spoolDir, tablespaces);
    for (const name of await fs.readdir(dest)) {
      await fs.rename(path.join(dest, name), path.join(o.dataDir, name));
    }
    for (const dir of [o.dataDir, walDir, path.join(o.spoolDir, "tablespaces")]) {
      if (await exists(dir)) await chownTree(dir, o.as);
    }
    await fs.chmod(o.dataDir, 0o700);
    const script = path.join(o.spoolDir, "fetch-wal-barman");
    await writeOwned(script, fetchScript(walDir), o.as, 0o700);
    o.progress(`backup ${plan.set.id} laid down with ${segments} WAL segment(s)`);
    return {
      fetchWal: `${shq(script)} %f %p`,
      walFolder: walDir,
      details: {
        tool: "barman recover",
        backup: plan.set.id,
        walSegments: segments,
        ...(plan.set.bytes !== undefined ? { bytes: plan.set.bytes } : {}),
        ms: Date.now() - started,
      },
    };
  } finally {
    for (const [dir, mode] of reopen.reverse()) await fs.chmod(dir, mode).catch(() => undefined);
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Barman's user must reach its folder in the spool: open the run's private folders (the server
 * user's, 0700) to pass-through (0711, as clusterHome and runs/ are) while it works. A private
 * folder of anyone else on the way is left alone and stops the restore with one line.
 */
async function letThrough(
  dir: string,
  server: RunAs | undefined,
  barman: RunAs,
): Promise<[string, number][]> {
  const opened: [string, number][] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const st = await fs.stat(current);
    const passes =
      st.uid === barman.uid
        ? (st.mode & 0o100) !== 0
        : st.gid === barman.gid
          ? (st.mode & 0o010) !== 0
          : (st.mode & 0o001) !== 0;
    if (!passes) {
      if (server === undefined || st.uid !== server.uid) {
        for (const [d, mode] of opened) await fs.chmod(d, mode).catch(() => undefined);
        throw platformError(
          "BARMAN_DEST_UNREACHABLE",
          `Barman runs as "${barman.name}", which cannot reach ${dir}: ${current} is not searchable by it`,
          `let it through: chmod o+x ${current}`,
        );
      }
      opened.push([current, st.mode & 0o7777]);
      await fs.chmod(current, (st.mode & 0o7777) | 0o001);
    }
    if (path.dirname(current) === current) return opened;
  }
}

const HISTORY = /^[0-9A-F]{8}\.history$/;

/** Barman puts WAL in pg_wal/ (no target) or barman_wal/ (a target): all of it goes to walDir. */
async function moveWal(dest: string, walDir: string): Promise<number> {
  let moved = 0;
  for (const sub of ["pg_wal", "barman_wal"]) {
    const from = path.join(dest, sub);
    if (!(await exists(from))) continue;
    for (const name of await fs.readdir(from)) {
      if (!SEGMENT.test(name) && !HISTORY.test(name)) continue;
      await fs.rename(path.join(from, name), path.join(walDir, name));
      if (SEGMENT.test(name)) moved++;
    }
  }
  await fs.rm(path.join(dest, "barman_wal"), { recursive: true, force: true });
  // .done markers for segments no longer there.
  const status = path.join(dest, "pg_wal", "archive_status");
  await fs.rm(status, { recursive: true, force: true });
  await fs.mkdir(status, { recursive: true, mode: 0o700 });
  return moved;
}

interface Tablespace {
  name: string;
  oid: number;
}

function tablespacesOf(plan: BackupPlan): Tablespace[] {
  const list = plan.details.tablespaces;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (t): t is Tablespace =>
      typeof (t as Tablespace).name === "string" && Number.isInteger((t as Tablespace).oid),
  );
}

/** Tablespaces Barman laid next to the data move into the spool, their links follow. */
async function moveTablespaces(
  dest: string,
  staging: string,
  spoolDir: string,
  tablespaces: Tablespace[],
): Promise<void> {
  if (tablespaces.length === 0) return;
  await fs.mkdir(path.join(spoolDir, "tablespaces"), { mode: 0o700 });
  for (const t of tablespaces) {
    const to = path.join(spoolDir, "tablespaces", String(t.oid));
    await fs.rename(path.join(staging, "tablespaces", String(t.oid)), to);
    const link = path.join(dest, "pg_tblspc", String(t.oid));
    await fs.rm(link, { force: true });
    await fs.symlink(to, link);
  }
}

const exists = (p: string) =>
  fs.access(p).then(
    () => true,
    () => false,
  );
