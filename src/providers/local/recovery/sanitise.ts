import { promises as fs } from "node:fs";
import path from "node:path";
import { CHECK_READER } from "../../../checks/read-only-role.js";
import type { RecoveryTarget } from "../../types.js";
import type { RunAs } from "../os-user.js";
import { REPLICATION_ROLE } from "../standby.js";
import { WORKING_ROLE } from "../working-role.js";
import { confValue, shq } from "./shell.js";
import { makeOwnedDir, writeOwned } from "./spool.js";
import { folderFetchLines } from "./wal-folder.js";

/**
 * Before a restored data folder first starts, everything in it that could reach production or
 * run production's configuration goes: signal and pid files, replication slots, and the
 * backup's own postgresql.conf / postgresql.auto.conf / pg_hba.conf, which may hold an
 * archive_command that writes into production's archive, a primary_conninfo with a password,
 * or hba lines that let production's roles in. The copy then runs on a configuration drill
 * writes (recoveryConfig) and nothing else.
 */
const REMOVED = ["postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"];
const SET_ASIDE = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];

export interface Sanitised {
  /** Names (never values: they may hold passwords) of the settings postgresql.auto.conf held. */
  settingsDropped: string[];
  slotsRemoved: string[];
}

export async function sanitise(dataDir: string, spoolDir: string): Promise<Sanitised> {
  for (const f of REMOVED) await fs.rm(path.join(dataDir, f), { force: true });
  const auto = await fs
    .readFile(path.join(dataDir, "postgresql.auto.conf"), "utf8")
    .catch(() => "");
  const settingsDropped = [
    ...new Set(
      auto
        .split("\n")
        .map((l) => /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=?/.exec(l.replace(/#.*/, ""))?.[1])
        .filter((n): n is string => Boolean(n)),
    ),
  ];
  // Kept in the private spool (removed with the run), not in the data folder it would run from.
  const aside = path.join(spoolDir, "from-backup");
  await fs.mkdir(aside, { recursive: true, mode: 0o700 });
  for (const f of SET_ASIDE) {
    await fs.rename(path.join(dataDir, f), path.join(aside, f)).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    });
  }
  const slots = path.join(dataDir, "pg_replslot");
  const slotsRemoved = await fs.readdir(slots).catch(() => [] as string[]);
  for (const s of slotsRemoved) await fs.rm(path.join(slots, s), { recursive: true, force: true });
  return { settingsDropped, slotsRemoved };
}

export interface RecoveryFiles {
  configFile: string;
  /** restore_command, the target and hot_standby = off: removed once the copy is promoted. */
  recoveryFile: string;
  socketDir: string;
  /** One WAL file name per line, in the order PostgreSQL asked for them and the archive had none. */
  missingLog: string;
}

/** PostgreSQL's recovery_target_time refuses ISO's "T…Z": "2026-12-02 10:27:01.782+00". */
export const pgTime = (d: Date) => `${d.toISOString().replace("T", " ").replace("Z", "")}+00`;

/** recovery_target_* lines for a target (values quoted for postgresql.conf). */
export function targetSettings(t: RecoveryTarget): string[] {
  const lines =
    t.kind === "time"
      ? [`recovery_target_time = ${confValue(pgTime(t.time))}`]
      : t.kind === "lsn"
        ? [`recovery_target_lsn = ${confValue(t.lsn)}`]
        : t.kind === "name"
          ? [`recovery_target_name = ${confValue(t.name)}`]
          : [];
  return [...lines, "recovery_target_action = 'promote'", "recovery_target_timeline = 'latest'"];
}

/**
 * drill's configuration for the copy (in the spool; the data folder's postgresql.conf only
 * includes it, so a later restart of the folder runs on it too), its hba, the restore_command
 * wrapper that logs every missing WAL name, and recovery.signal.
 */
export async function writeRecoveryConfig(o: {
  dataDir: string;
  spoolDir: string;
  as: RunAs | undefined;
  fetchWal: string;
  /** An archive folder to copy WAL from inside the wrapper itself (saves a script per segment). */
  walFolder?: string | undefined;
  target: RecoveryTarget;
  superuser: string;
}): Promise<RecoveryFiles> {
  const socketDir = path.join(o.spoolDir, "socket");
  await makeOwnedDir(socketDir, o.as);
  const missingLog = path.join(o.spoolDir, "wal-missing");
  await writeOwned(missingLog, "", o.as);
  const wrapper = path.join(o.spoolDir, "restore-wal");
  const fetch = o.walFolder
    ? `f="$1"; p="$2"\n${folderFetchLines(o.walFolder)}\nfalse`
    : o.fetchWal.replace(/%[fp%]/g, (m) => (m === "%f" ? '"$1"' : m === "%p" ? '"$2"' : "%"));
  // One script per segment: PostgreSQL's sh execs it, it copies (a fork of cp) and only a miss
  // costs more. Replay time is mostly these processes, so none is spent on a second script.
  await writeOwned(
    wrapper,
    `#!/bin/sh
# drill: PostgreSQL's restore_command. Fetches one WAL file ($1 into $2) and appends the name
# of every file it could not fetch to wal-missing (one name per line).
${fetch}
rc=$?
[ "$rc" -eq 0 ] || echo "$1" >> ${shq(missingLog)}
exit "$rc"
`,
    o.as,
    0o700,
  );
  const hba = path.join(o.spoolDir, "pg_hba.conf");
  const su = `"${o.superuser}"`;
  // The backup's superuser enters only over the private socket (its password is production's
  // and unknown here); over TCP only drill's own roles, with passwords drill sets.
  await writeOwned(
    hba,
    [
      `local all ${su} trust`,
      `host all ${su},${WORKING_ROLE},${CHECK_READER} 127.0.0.1/32 scram-sha-256`,
      // A failover step's standby streams as drill's replication role (password set by drill).
      `host replication ${REPLICATION_ROLE} 127.0.0.1/32 scram-sha-256`,
      "",
    ].join("\n"),
    o.as,
  );
  const ident = path.join(o.spoolDir, "pg_ident.conf");
  await writeOwned(ident, "", o.as);
  const configFile = path.join(o.spoolDir, "postgresql.conf");
  const recoveryFile = path.join(o.spoolDir, "recovery-target.conf");
  const settings = [
    `hba_file = ${confValue(hba)}`,
    `ident_file = ${confValue(ident)}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = ${confValue(socketDir)}`,
    "unix_socket_permissions = 0700",
    "ssl = off",
    "archive_mode = off",
    "archive_command = ''",
    "max_logical_replication_workers = 0",
    "shared_preload_libraries = ''",
    "session_preload_libraries = ''",
    "local_preload_libraries = ''",
    "primary_conninfo = ''",
    "primary_slot_name = ''",
    "password_encryption = 'scram-sha-256'",
    "logging_collector = off",
    `include_if_exists ${confValue(recoveryFile)}`,
  ];
  await writeOwned(
    configFile,
    `# drill: the restored copy's only configuration\n${settings.join("\n")}\n`,
    o.as,
  );
  // Settings for this replay only, in a file of their own that endRecovery removes: a standby
  // made later from this folder (a failover step) must not fetch production's WAL or stop and
  // promote itself at this target.
  const recovery = [
    // Not a hot standby: production's max_connections etc. need not be matched to replay.
    "hot_standby = off",
    `restore_command = ${confValue(`${shq(wrapper)} %f %p`)}`,
    ...targetSettings(o.target),
  ];
  await writeOwned(recoveryFile, `# drill: this replay only\n${recovery.join("\n")}\n`, o.as);
  await writeOwned(
    path.join(o.dataDir, "postgresql.conf"),
    `include ${confValue(configFile)}\n`,
    o.as,
  );
  await writeOwned(path.join(o.dataDir, "postgresql.auto.conf"), "", o.as);
  await writeOwned(path.join(o.dataDir, "recovery.signal"), "", o.as);
  return { configFile, recoveryFile, socketDir, missingLog };
}

/** After promotion: the folder (and any standby copied from it) runs on drill's settings alone. */
export async function endRecovery(files: RecoveryFiles): Promise<void> {
  await fs.rm(files.recoveryFile, { force: true });
}
