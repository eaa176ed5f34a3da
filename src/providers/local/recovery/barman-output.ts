import { maskToolOutput } from "../../../redact.js";
import { SEGMENT } from "./wal-folder.js";

/**
 * Reading what Barman 3.4 says. `barman -f json` wraps every answer in `{ "<server>": … }` and
 * an error in `{ "_ERROR": [ … ] }` (also on stdout, exit 1); xlog.db is its WAL catalog, one
 * segment a line: `name size time compression`.
 */

export interface BarmanBackup {
  id: string;
  status: string;
  /** Epoch seconds the backup ended (list-backups' end_time_timestamp). */
  endEpoch?: number;
}

export interface BarmanBackupInfo {
  id: string;
  status: string;
  beginTime?: string;
  endTime?: string;
  beginWal?: string;
  endWal?: string;
  /** Where the backup is consistent from (end_lsn, `0/4000000`). */
  endLsn?: string;
  timeline?: number;
  /** server_version_num of the backed-up server (150020). */
  versionNum: number;
  bytes?: number;
  tablespaces: { name: string; oid: number; location: string }[];
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const text = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;

const num = (v: unknown): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** The JSON of one answer, or undefined when stdout is not JSON (a crash, an old Barman). */
export function parseJson(stdout: string): Record<string, unknown> | undefined {
  try {
    return record(JSON.parse(stdout));
  } catch {
    return undefined;
  }
}

/** Barman's own error lines (`_ERROR` in JSON, `ERROR: …` in text), masked, for one line. */
export function barmanErrors(stdout: string, stderr: string): string {
  const json = parseJson(stdout);
  const fromJson = Array.isArray(json?._ERROR) ? json._ERROR.map(String) : [];
  const fromText = `${stdout}\n${stderr}`
    .split("\n")
    .filter((l) => /^\s*(ERROR|FATAL|CRITICAL)\b/.test(l) || /Error:/.test(l))
    .map((l) => l.replace(/^\s*ERROR:\s*/, ""));
  const lines = fromJson.length > 0 ? fromJson : fromText;
  const fallback = stderr.trim().split("\n").slice(-3);
  return maskToolOutput(lines.length > 0 ? lines : fallback)
    .map((l) => l.replace(/\bpassword\s*=\s*\S+/gi, "password=…").trim())
    .filter((l) => l !== "")
    .join("; ")
    .slice(0, 400);
}

/** `list-backups -f json`: the server's backups, oldest first (Barman prints newest first). */
export function parseBackups(stdout: string, server: string): BarmanBackup[] {
  const list = parseJson(stdout)?.[server];
  if (!Array.isArray(list)) return [];
  const backups = list.map((b) => {
    const r = record(b);
    const endEpoch = num(r.end_time_timestamp);
    return {
      id: text(r.backup_id) ?? "",
      status: text(r.status) ?? "",
      ...(endEpoch !== undefined ? { endEpoch } : {}),
    };
  });
  return backups.filter((b) => b.id !== "").sort((a, b) => a.id.localeCompare(b.id));
}

/** `show-backup -f json`: what one backup is. */
export function parseBackupInfo(stdout: string, server: string): BarmanBackupInfo | undefined {
  const r = record(parseJson(stdout)?.[server]);
  const id = text(r.backup_id);
  const versionNum = num(r.postgresql_version);
  if (!id || versionNum === undefined) return undefined;
  const base = record(r.base_backup_information);
  const tablespaces = (Array.isArray(r.tablespaces) ? r.tablespaces : []).map((t) => {
    // 3.4 prints { name, location, oid }; a namedtuple as a list is [name, oid, location].
    const [name, oid, location] = Array.isArray(t)
      ? t
      : [record(t).name, record(t).oid, record(t).location];
    return { name: String(name), oid: Number(oid), location: String(location) };
  });
  const info: BarmanBackupInfo = { id, status: text(r.status) ?? "", versionNum, tablespaces };
  const set = <K extends keyof BarmanBackupInfo>(k: K, v: BarmanBackupInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set("beginTime", isoOf(text(base.begin_time)));
  set("endTime", isoOf(text(base.end_time)));
  set("beginWal", text(base.begin_wal));
  set("endWal", text(base.end_wal));
  set("endLsn", text(base.end_lsn));
  set("timeline", num(base.timeline));
  set("bytes", num(base.disk_usage_bytes));
  return info;
}

/** Barman prints times as `2026-12-02 10:20:42.596224+00:00`. */
function isoOf(t: string | undefined): string | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t.replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** `show-server -f json`: only where the WAL archive is (its conninfo may hold a password). */
export function walsDirectory(stdout: string, server: string): string | undefined {
  return text(record(parseJson(stdout)?.[server]).wals_directory);
}

/** xlog.db: the segment names (not history or backup files) in catalog order. */
export function parseXlogDb(content: string): string[] {
  const names: string[] = [];
  for (const line of content.split("\n")) {
    const name = line.split("\t")[0]?.trim() ?? "";
    if (SEGMENT.test(name)) names.push(name);
  }
  return names;
}

/** The user barman.conf makes Barman switch to (`barman_user` in [barman], default barman). */
export function barmanUser(conf: string): string {
  let section = "";
  for (const raw of conf.split("\n")) {
    const line = raw.trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1]!.trim();
    const m = /^barman_user\s*[=:]\s*(\S+)/.exec(line);
    if (m && section === "barman") return m[1]!;
  }
  return "barman";
}

/** An LSN (`16/B374D848`) as a number that orders. */
export function lsnValue(lsn: string): bigint {
  const [hi = "0", lo = "0"] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}
