import { constants, promises as fs } from "node:fs";
import path from "node:path";
import type { LocalEnvironment } from "../../../definitions/config.js";
import { platformError } from "../../../errors.js";
import { findServerBinaries, majorVersion, type ServerBinaries } from "../binaries.js";

/** Majors before 12 recover through recovery.conf, which this recovery does not write. */
export const OLDEST_MAJOR = 12;

const TOOLS = ["initdb", "pg_ctl", "postgres"] as const;

/**
 * The server binaries for a backup's PostgreSQL major: the configured ones when they are that
 * major (embedded is 15), else Debian's /usr/lib/postgresql/N/bin. A server of another major
 * cannot replay the backup's WAL, so there is no fallback to "whatever is installed".
 */
export async function binariesForMajor(
  major: number,
  configured: LocalEnvironment["postgres"],
  debianRoot = "/usr/lib/postgresql",
): Promise<ServerBinaries> {
  if (major < OLDEST_MAJOR) {
    throw platformError(
      "POSTGRES_TOO_OLD",
      `the backup is PostgreSQL ${major}: drill recovers PostgreSQL ${OLDEST_MAJOR} and newer (older majors use recovery.conf)`,
      "restore it with the backup tool by hand, or upgrade the cluster it comes from",
    );
  }
  const tried: string[] = [];
  const own = await findServerBinaries(configured).catch(() => undefined);
  if (own) {
    const m = await majorVersion(own.postgres).catch(() => 0);
    if (m === major) return own;
    tried.push(`${own.bindir} is ${m}`);
  }
  const dir = path.join(debianRoot, String(major), "bin");
  if (await hasAll(dir)) {
    return {
      source: "system",
      bindir: dir,
      initdb: path.join(dir, "initdb"),
      pg_ctl: path.join(dir, "pg_ctl"),
      postgres: path.join(dir, "postgres"),
    };
  }
  tried.push(`${dir} has no server`);
  throw platformError(
    "POSTGRES_MAJOR_MISSING",
    `the backup is PostgreSQL ${major}: no server of that major here (${tried.join("; ")})`,
    `install postgresql-${major} (apt-get install postgresql-${major}) or point postgres: { bin } at its binaries`,
  );
}

async function hasAll(dir: string): Promise<boolean> {
  for (const t of TOOLS) {
    const ok = await fs.access(path.join(dir, t), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!ok) return false;
  }
  return true;
}
