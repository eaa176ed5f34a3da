import { promises as fs } from "node:fs";
import path from "node:path";
import { DrillError } from "../../../errors.js";
import type { RunAs } from "../os-user.js";
import { extractTar } from "./tar-safe.js";
import { makeOwnedDir, writeOwned } from "./spool.js";

/**
 * pg_basebackup -Ft writes each tablespace as <oid>.tar beside base.tar and names production's
 * folder for it in tablespace_map (inside base.tar). The copy must never use production's paths:
 * each tablespace is extracted into the run's spool and tablespace_map is rewritten to name it
 * there, so PostgreSQL makes its pg_tblspc links into the run folder (removed with the run).
 */
export interface BackupTablespace {
  oid: string;
  /** The <oid>.tar[.gz] beside base.tar. */
  tar: string;
}

/** tablespace_map's oids (the paths are production's and never used); one clear error if bad. */
export function mapOids(map: string | undefined, base: string): string[] {
  const oids: string[] = [];
  for (const line of (map ?? "").split("\n")) {
    if (line.trim() === "") continue;
    const oid = /^(\d+) /.exec(line)?.[1];
    if (!oid) throw broken(base, `tablespace_map has a line that is not "<oid> <path>"`);
    oids.push(oid);
  }
  return oids;
}

/** The tablespaces of a backup: every oid of the map with its tar, and no tar left over. */
export async function findTablespaces(
  base: string,
  map: string | undefined,
): Promise<BackupTablespace[]> {
  const dir = path.dirname(base);
  const siblings = await fs.readdir(dir).catch(() => [] as string[]);
  const tars = new Map<string, string>();
  for (const n of siblings) {
    const oid = /^(\d+)\.tar(\.gz)?$/.exec(n)?.[1];
    if (oid) tars.set(oid, path.join(dir, n));
  }
  const oids = mapOids(map, base);
  const missing = oids.filter((o) => !tars.has(o));
  if (missing.length > 0)
    throw broken(
      base,
      `tablespace_map names tablespace(s) ${missing.join(", ")} with no <oid>.tar`,
    );
  const extra = [...tars.keys()].filter((o) => !oids.includes(o));
  if (extra.length > 0)
    throw broken(
      base,
      `${extra.map((o) => `${o}.tar`).join(", ")} beside it not in tablespace_map`,
    );
  return oids.map((oid) => ({ oid, tar: tars.get(oid)! }));
}

/** Extract each tablespace into `<spool>/tablespaces/<oid>` and point tablespace_map there. */
export async function layDownTablespaces(
  list: BackupTablespace[],
  o: {
    dataDir: string;
    spoolDir: string;
    as: RunAs | undefined;
    signal: AbortSignal;
    progress(m: string): void;
  },
): Promise<{ entries: number; bytes: number }> {
  let entries = 0;
  let bytes = 0;
  if (list.length === 0) return { entries, bytes };
  const root = path.join(o.spoolDir, "tablespaces");
  await makeOwnedDir(root, o.as);
  const lines: string[] = [];
  for (const t of list) {
    const dir = path.join(root, t.oid);
    await makeOwnedDir(dir, o.as);
    o.progress(`extracting tablespace ${path.basename(t.tar)}`);
    const got = await extractTar(t.tar, dir, o.as, o.signal);
    entries += got.entries;
    bytes += got.bytes;
    // The folder is the run's own (digits and drill's paths): nothing in it needs escaping.
    lines.push(`${t.oid} ${dir}`);
  }
  await writeOwned(path.join(o.dataDir, "tablespace_map"), `${lines.join("\n")}\n`, o.as);
  return { entries, bytes };
}

const broken = (base: string, what: string) =>
  new DrillError("failed", "BACKUP_TABLESPACES_BROKEN", `${base}: ${what}`, {
    hint: "give the whole folder pg_basebackup -Ft wrote (base.tar with every <oid>.tar)",
  });
