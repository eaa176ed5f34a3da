import { promises as fs } from "node:fs";
import path from "node:path";
import type { WalRange } from "./types.js";
import { shq } from "./shell.js";

/**
 * A WAL archive kept in a folder, as archive_command (`cp %p /archive/%f`) or pg_receivewal
 * writes it: 24-hex segment names, optionally `.gz`, the newest one `.partial` while it is
 * being received, plus `<tli>.history` and `<segment>.<offset>.backup` files. A downloader (S3)
 * fills a local folder and reuses the same logic.
 */
export const SEGMENT = /^[0-9A-F]{24}$/;
const ENTRY = /^([0-9A-F]{24})(\.partial)?(\.gz)?$/;

export interface WalFolder {
  /** Segment names (suffixes removed), sorted; a `.partial` one counts as present. */
  segments: string[];
  /** `<segment>.<offset>.backup` files: base backups' start/stop records. */
  backups: string[];
  histories: string[];
}

export async function listWalFolder(dir: string): Promise<WalFolder> {
  return classifyWal(await fs.readdir(dir));
}

/** Sort an archive's file names (a folder's or an S3 prefix's) into segments, .backup and .history. */
export function classifyWal(names: string[]): WalFolder {
  const segments = new Set<string>();
  const backups: string[] = [];
  const histories: string[] = [];
  for (const n of names) {
    const m = ENTRY.exec(n);
    if (m) segments.add(m[1]!);
    else if (/^[0-9A-F]{24}\.[0-9A-F]{8}\.backup(\.gz)?$/.test(n)) backups.push(n);
    else if (/^[0-9A-F]{8}\.history(\.gz)?$/.test(n)) histories.push(n);
  }
  return { segments: [...segments].sort(), backups: backups.sort(), histories: histories.sort() };
}

export const timelineOf = (segment: string) => segment.slice(0, 8);

/** Oldest and newest segment of the newest timeline. */
export function walRange(segments: string[], from: string): WalRange {
  const newestTli = segments.map(timelineOf).sort().at(-1);
  const on = segments.filter((s) => timelineOf(s) === newestTli);
  return {
    ...(on.length > 0 ? { first: on[0]!, last: on.at(-1)! } : {}),
    segments: segments.length,
    from,
  };
}

/**
 * Segments after `missing` on its timeline: a recovery that ended at `missing` while these
 * exist stopped at a gap in the archive, not at its end.
 */
export const segmentsAfter = (segments: string[], missing: string) =>
  segments.filter((s) => timelineOf(s) === timelineOf(missing) && s > missing);

/**
 * The `.backup` file a base backup left in the archive (pg_backup_stop writes it): its STOP TIME
 * and STOP WAL LOCATION say when the copy becomes consistent. Keyed by the backup's start.
 */
export async function readBackupHistory(
  dir: string,
  backups: string[],
  startSegment: string,
): Promise<Record<string, string> | undefined> {
  const name = backups.find((b) => b.startsWith(startSegment) && b.endsWith(".backup"));
  if (!name) return undefined;
  return parseLabel(await fs.readFile(path.join(dir, name), "utf8"));
}

/** `KEY: value` lines of backup_label and .backup files. */
/**
 * When a base backup started and stopped, from its backup_label and the `.backup` history file
 * archive_command keeps beside the WAL (absent: the stop is unknown).
 */
export function labelTimes(
  label: Record<string, string>,
  history: Record<string, string> | undefined,
): { startedAt?: string; stoppedAt?: string; stopSegment?: string; when?: string } {
  const iso = (t: string | undefined) => {
    const ms = t ? Date.parse(t) : NaN;
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  };
  const startedAt = iso(label["START TIME"]);
  const stoppedAt = iso(history?.["STOP TIME"]);
  const stopSegment = segmentOfLocation(history?.["STOP WAL LOCATION"]);
  const when = stoppedAt ?? startedAt;
  return {
    ...(startedAt ? { startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    ...(stopSegment ? { stopSegment } : {}),
    ...(when ? { when } : {}),
  };
}

export function parseLabel(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z ]+?):\s*(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** "0/2000028 (file 000000010000000000000002)" → the segment name. */
export const segmentOfLocation = (loc: string | undefined) =>
  /\(file ([0-9A-F]{24})\)/.exec(loc ?? "")?.[1];

/**
 * Shell lines that copy (or gunzip) WAL file "$f" from an archive folder into "$p" and exit 0,
 * or fall through when the folder has no such file. Only names PostgreSQL itself makes are
 * accepted (no path can be smuggled in through %f). They write straight into %p: PostgreSQL's %p
 * is already a temporary name (pg_wal/RECOVERYXLOG), removed before each call and checked for its
 * full size after, so a half-written file is never replayed and a temp name + mv only cost a
 * process per segment.
 */
export function folderFetchLines(folder: string): string {
  return `dir=${shq(folder)}
case "$f" in ''|*[!0-9A-Za-z.]*) f=; esac
if [ -z "$f" ]; then :
elif [ -f "$dir/$f" ]; then cp "$dir/$f" "$p" && exit 0
elif [ -f "$dir/$f.gz" ]; then gzip -dc "$dir/$f.gz" > "$p" && exit 0
elif [ -f "$dir/$f.partial" ]; then cp "$dir/$f.partial" "$p" && exit 0
elif [ -f "$dir/$f.partial.gz" ]; then gzip -dc "$dir/$f.partial.gz" > "$p" && exit 0
fi`;
}

/** folderFetchLines as a script of its own (%f %p as $1 $2), for a fetch run outside drill's wrapper. */
export function fetchScript(folder: string): string {
  return `#!/bin/sh
# drill: fetch WAL file $1 from the archive folder into $2 (PostgreSQL's %f and %p)
f="$1"; p="$2"
${folderFetchLines(folder)}
exit 1
`;
}
