import { inputError, platformError } from "../../../errors.js";
import type { RecoveryTarget } from "../../types.js";
import type { BarmanCli, BarmanSourceOptions } from "./barman.js";
import * as out from "./barman-output.js";

/**
 * The backup a restore uses. `latest`: the newest DONE one the target can be reached from (it
 * ended at or before a time target, or before an LSN target), as pgBackRest picks its set. An
 * id: that one, refused when it is not DONE or ended after the target. Replay cannot go back in
 * time from a backup, so a later one would end in PostgreSQL's "requested recovery stop point
 * is before consistent recovery point".
 */
export async function chooseBarmanBackup(
  cli: BarmanCli,
  source: BarmanSourceOptions,
  signal: AbortSignal,
): Promise<out.BarmanBackupInfo> {
  const listed = await cli.run(["list-backups", source.server], signal);
  const backups = out.parseBackups(listed.stdout, source.server);
  const done = backups.filter((b) => b.status === "DONE");
  const show = async (id: string) => {
    const shown = await cli.run(["show-backup", source.server, id], signal);
    const info = out.parseBackupInfo(shown.stdout, source.server);
    if (!info) {
      throw platformError(
        "BARMAN_OUTPUT",
        `barman show-backup ${source.server} ${id} said nothing drill can read`,
        "drill reads Barman 3.x's JSON output (barman -f json)",
      );
    }
    return info;
  };
  const target = source.target;
  if (source.backup !== "latest") {
    const named = backups.find((b) => b.id === source.backup);
    if (!named) {
      throw inputError(
        "BARMAN_BACKUP_UNKNOWN",
        `barman.backup: unknown backup "${source.backup}" (known: ${["latest", ...done.map((b) => b.id)].join(", ")})`,
        `see barman -c ${source.config} list-backups ${source.server}`,
      );
    }
    if (named.status !== "DONE") {
      throw inputError(
        "BARMAN_BACKUP_NOT_DONE",
        `barman.backup: backup "${named.id}" is ${named.status}, not DONE: it cannot be restored`,
        `choose a DONE backup (barman list-backups ${source.server}) or latest`,
      );
    }
    const info = await show(named.id);
    if (!reachable(info, target)) {
      throw inputError(
        "BARMAN_BACKUP_AFTER_TARGET",
        `barman.backup: backup ${info.id} ended after the ${targetText(target)}`,
        "choose an earlier backup, or backup: latest to let drill pick the newest one before the target",
      );
    }
    return info;
  }
  if (done.length === 0) {
    throw platformError(
      "BARMAN_NO_BACKUP",
      `Barman server "${source.server}" has no finished backup`,
      `take one: barman -c ${source.config} backup ${source.server}`,
    );
  }
  // list-backups gives whole seconds: it narrows the candidates, show-backup decides.
  const candidates = done
    .filter((b) => target.kind !== "time" || (b.endEpoch ?? 0) * 1000 <= target.time.getTime())
    .reverse();
  for (const b of candidates) {
    const info = await show(b.id);
    if (reachable(info, target)) return info;
  }
  throw inputError(
    "BARMAN_TARGET_BEFORE_BACKUPS",
    `target: the ${targetText(target)} is before every backup of Barman server "${source.server}" (oldest: ${done[0]!.id})`,
    "pick a later target, or take it from a backup's end time (barman list-backups)",
  );
}

function reachable(info: out.BarmanBackupInfo, target: RecoveryTarget): boolean {
  if (target.kind === "time") {
    return info.endTime !== undefined && Date.parse(info.endTime) <= target.time.getTime();
  }
  if (target.kind === "lsn" && info.endLsn) {
    return out.lsnValue(info.endLsn) <= out.lsnValue(target.lsn);
  }
  return true;
}

const targetText = (t: RecoveryTarget) =>
  t.kind === "time"
    ? `target time ${t.time.toISOString()}`
    : t.kind === "lsn"
      ? `target LSN ${t.lsn}`
      : t.kind === "name"
        ? `restore point ${t.name}`
        : "latest WAL";
