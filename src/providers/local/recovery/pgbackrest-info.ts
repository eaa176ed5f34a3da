import { z } from "zod";
import { inputError, platformError } from "../../../errors.js";
import type { RecoveryTarget } from "../../types.js";
import type { BackupSet } from "./types.js";

/**
 * `pgbackrest info --output=json` for one stanza, read and narrowed to what a restore needs: which
 * backup set, its times, its PostgreSQL version, and the archive's WAL range. Only the fields used
 * are checked, so a newer pgBackRest adding fields still parses.
 */

const backupSchema = z.object({
  label: z.string(),
  type: z.string(),
  error: z.boolean().optional(),
  archive: z.object({ start: z.string().nullable(), stop: z.string().nullable() }).nullable(),
  database: z.object({ id: z.number() }),
  info: z.object({ size: z.number().optional() }).optional(),
  lsn: z.object({ start: z.string(), stop: z.string() }).optional(),
  timestamp: z.object({ start: z.number(), stop: z.number() }),
});

const stanzaSchema = z.object({
  name: z.string(),
  status: z.object({ code: z.number(), message: z.string() }),
  repo: z.array(z.object({ status: z.object({ code: z.number(), message: z.string() }) })),
  archive: z.array(
    z.object({
      id: z.string(),
      database: z.object({ id: z.number() }),
      min: z.string().nullable(),
      max: z.string().nullable(),
    }),
  ),
  backup: z.array(backupSchema),
  db: z.array(z.object({ id: z.number(), version: z.string() })),
});

export type StanzaInfo = z.output<typeof stanzaSchema>;
export type BackupInfo = z.output<typeof backupSchema>;

/** pgBackRest's stanza status codes (info's `status.code`). */
const MISSING_STANZA_PATH = 1;
const NO_VALID_BACKUP = 2;
const MISSING_STANZA_DATA = 3;

/** Every stanza `info` printed (one, or all of a repository when no --stanza was given). */
export function parseInfo(stdout: string): StanzaInfo[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw platformError(
      "PGBACKREST_INFO_UNREADABLE",
      "pgbackrest info --output=json printed something that is not JSON",
      "check that `pgbackrest version` is 2.x",
    );
  }
  const parsed = z.array(stanzaSchema).safeParse(json);
  if (!parsed.success) {
    throw platformError(
      "PGBACKREST_INFO_UNREADABLE",
      `pgbackrest info --output=json has an unexpected shape (${parsed.error.issues[0]?.path.join(".") ?? "?"})`,
      "drill reads pgBackRest 2.x's info format; check `pgbackrest version`",
    );
  }
  return parsed.data;
}

/**
 * The stanza's state as an error, or undefined when it has backups. `known`: the stanzas the
 * repository holds, for a misspelt name.
 */
export async function stanzaProblem(
  info: StanzaInfo,
  where: string,
  known: () => Promise<string[]>,
) {
  const code = info.status.code;
  if (code === 0) return undefined;
  if (code === MISSING_STANZA_PATH) {
    const names = await known();
    return inputError(
      "PGBACKREST_STANZA_UNKNOWN",
      `pgbackrest.stanza: no stanza "${info.name}" in ${where} (${names.length > 0 ? `known: ${names.join(", ")}` : "the repository holds no stanza"})`,
      "name a stanza of that repository, or point config at the right one",
    );
  }
  const repoMessage = info.repo.find((r) => r.status.code !== 0)?.status.message;
  const message = repoMessage ?? info.status.message;
  return platformError(
    code === NO_VALID_BACKUP || code === MISSING_STANZA_DATA
      ? "PGBACKREST_NO_BACKUP"
      : "PGBACKREST_REPO_FAILED",
    `pgBackRest stanza "${info.name}" in ${where}: ${message}`,
    code === NO_VALID_BACKUP
      ? `take a backup first: pgbackrest --stanza=${info.name} backup`
      : "check that the repository is reachable and readable by the PostgreSQL server's user",
  );
}

const lsnValue = (lsn: string): bigint => {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi ?? "0"}`) << 32n) + BigInt(`0x${lo ?? "0"}`);
};

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

const describe = (b: BackupInfo) => `${b.label} (finished ${iso(b.timestamp.stop)})`;

/**
 * The backup a restore uses. `latest`: the newest one that the target can be reached from (as
 * pgBackRest itself picks: it finished at or before a time target, or before an LSN target). A
 * label: that one, refused when it finished after the target.
 */
export function chooseBackup(info: StanzaInfo, set: string, target: RecoveryTarget): BackupInfo {
  const all = [...info.backup].sort((a, b) => a.timestamp.stop - b.timestamp.stop);
  const reaches = (b: BackupInfo) =>
    target.kind === "time"
      ? b.timestamp.stop * 1000 <= target.time.getTime()
      : target.kind === "lsn" && b.lsn
        ? lsnValue(b.lsn.stop) <= lsnValue(target.lsn)
        : true;
  const targetText =
    target.kind === "time"
      ? `target time ${target.time.toISOString()}`
      : target.kind === "lsn"
        ? `target LSN ${target.lsn}`
        : "";
  if (set === "latest") {
    const chosen = all.filter(reaches).at(-1);
    if (chosen) return chosen;
    throw inputError(
      "PGBACKREST_TARGET_BEFORE_BACKUPS",
      `target: ${targetText} is before every backup of stanza "${info.name}" (oldest: ${all[0] ? describe(all[0]) : "none"})`,
      "pick a later target, or take the target from a backup's finish time",
    );
  }
  const chosen = all.find((b) => b.label === set);
  if (!chosen) {
    throw inputError(
      "PGBACKREST_SET_UNKNOWN",
      `pgbackrest.set: no backup "${set}" in stanza "${info.name}" (known: latest, ${all.map((b) => b.label).join(", ")})`,
      "use latest or one of the labels `pgbackrest info` lists",
    );
  }
  if (!reaches(chosen)) {
    throw inputError(
      "PGBACKREST_SET_AFTER_TARGET",
      `pgbackrest.set: backup ${describe(chosen)} is after the ${targetText}`,
      "choose an earlier set, or set: latest to let drill pick the newest one before the target",
    );
  }
  return chosen;
}

/** The chosen backup as the recovery seam describes it. */
export function backupSet(info: StanzaInfo, b: BackupInfo): BackupSet {
  const db = info.db.find((d) => d.id === b.database.id);
  // 9.6 and older name their major with two numbers; PG_VERSION holds the same text.
  const postgresMajor = Number(db?.version ?? NaN);
  if (!Number.isFinite(postgresMajor)) {
    throw platformError(
      "PGBACKREST_INFO_UNREADABLE",
      `pgbackrest info names no PostgreSQL version for backup ${b.label}`,
      "check the stanza with `pgbackrest --stanza=… info`",
    );
  }
  return {
    id: b.label,
    startedAt: iso(b.timestamp.start),
    stoppedAt: iso(b.timestamp.stop),
    ...(b.archive?.start ? { startSegment: b.archive.start } : {}),
    ...(b.archive?.stop ? { stopSegment: b.archive.stop } : {}),
    postgresMajor,
    ...(b.info?.size !== undefined ? { bytes: b.info.size } : {}),
  };
}

/** The archive (id like "15-1") that holds the WAL of the backup's database. */
export function archiveOf(info: StanzaInfo, b: BackupInfo) {
  return info.archive.find((a) => a.database.id === b.database.id);
}
