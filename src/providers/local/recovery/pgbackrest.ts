import { promises as fs } from "node:fs";
import path from "node:path";
import { inputError } from "../../../errors.js";
import type { PhysicalBackupSource, RecoveryTarget } from "../../types.js";
import { formatBytes } from "../files.js";
import { serverUser, type RunAs } from "../os-user.js";
import {
  archiveOf,
  backupSet,
  chooseBackup,
  parseInfo,
  stanzaProblem,
  type StanzaInfo,
} from "./pgbackrest-info.js";
import {
  findPgBackRest,
  pgbackrest,
  QUIET,
  repoOptions,
  type RepoOptions,
  type ToolContext,
} from "./pgbackrest-tool.js";
import type { BackupPlan, LaidDown, LayDownOptions, PhysicalSource } from "./types.js";

export type PgBackRestSource = Extract<PhysicalBackupSource, { kind: "pgbackrest" }>;

/**
 * A pgBackRest repository as a physical source: `info` picks the set, `restore` lays it down,
 * `archive-get` is the restore_command, `repo-ls` lists the archive. Every command runs as the
 * server user, so the files it writes are the server's and the repository needs no root.
 */
export function pgbackrestSource(
  source: PgBackRestSource,
  opts: Partial<ToolContext> = {},
): PhysicalSource {
  const env = opts.env ?? process.env;
  let ready: Promise<{ tool: string; repo: RepoOptions; as: RunAs | undefined }> | undefined;
  const setup = () =>
    (ready ??= (async () => ({
      tool: await findPgBackRest(opts.searchPath ?? env.PATH ?? "/usr/bin:/bin"),
      repo: repoOptions(source.config, env),
      as: "as" in opts ? opts.as : await serverUser(),
    }))());
  const stanza = `--stanza=${source.stanza}`;
  let archiveId: string | undefined;

  async function info(signal: AbortSignal): Promise<StanzaInfo> {
    const { tool, repo, as } = await setup();
    const run = (args: string[]) => pgbackrest(tool, repo, args, { as, signal });
    const [stanzaInfo] = parseInfo(await run([stanza, "info", "--output=json"]));
    if (!stanzaInfo)
      throw inputError("PGBACKREST_STANZA_UNKNOWN", "pgbackrest info named no stanza");
    const problem = await stanzaProblem(stanzaInfo, repo.where, async () =>
      parseInfo(await run(["info", "--output=json"])).map((s) => s.name),
    );
    if (problem) throw problem;
    return stanzaInfo;
  }

  return {
    kind: "pgbackrest",

    async plan(signal) {
      const stanzaInfo = await info(signal);
      const backup = chooseBackup(stanzaInfo, source.set, source.target);
      const set = backupSet(stanzaInfo, backup);
      const archive = archiveOf(stanzaInfo, backup);
      archiveId = archive?.id;
      const segments = archive ? (await listSegments(signal)).length : 0;
      const walText =
        archive?.min && archive.max ? `WAL ${archive.min} to ${archive.max}` : "no archived WAL";
      return {
        set,
        wal: {
          ...(archive?.min ? { first: archive.min } : {}),
          ...(archive?.max ? { last: archive.max } : {}),
          segments,
          from: "pgbackrest info + repo-ls",
        },
        description: `pgBackRest stanza ${source.stanza}, set ${backup.label} (${backup.type}, finished ${set.stoppedAt}) + ${walText} → new cluster`,
        details: {
          stanza: source.stanza,
          repository: (await setup()).repo.where,
          set: backup.label,
          type: backup.type,
          ...(archive ? { archiveId: archive.id } : {}),
        },
      };
    },

    async layDown(plan: BackupPlan, o: LayDownOptions): Promise<LaidDown> {
      const { tool, repo } = await setup();
      const lockPath = path.join(o.spoolDir, "pgbackrest-lock");
      const tablespaces = path.join(o.spoolDir, "tablespaces");
      for (const dir of [lockPath, tablespaces]) {
        await fs.mkdir(dir, { recursive: true, mode: 0o700 });
        if (o.as) await fs.chown(dir, o.as.uid, o.as.gid);
      }
      o.progress(
        `restoring pgBackRest set ${plan.set.id}${plan.set.bytes ? ` (${formatBytes(plan.set.bytes)})` : ""}`,
      );
      const started = Date.now();
      await pgbackrest(
        tool,
        repo,
        [
          stanza,
          `--pg1-path=${o.dataDir}`,
          `--set=${plan.set.id}`,
          // The copy must never push WAL into the repository it came from.
          "--archive-mode=off",
          ...targetArgs(source.target),
          `--tablespace-map-all=${tablespaces}`,
          `--lock-path=${lockPath}`,
          `--spool-path=${o.spoolDir}`,
          `--log-path=${o.spoolDir}`,
          "restore",
        ],
        { as: o.as, signal: o.signal },
      );
      return {
        fetchWal: fetchCommand(tool, repo, source.stanza, o.dataDir, o.spoolDir),
        ...(Object.keys(repo.env).length > 0 ? { env: repo.env } : {}),
        details: {
          tool: "pgbackrest",
          set: plan.set.id,
          restoreMs: Date.now() - started,
          version: await toolVersion(tool, o.as, o.signal),
        },
      };
    },

    listWal: (signal) => listSegments(signal),
  };

  /** Segment names in the backup's archive (repo-ls: info only knows the oldest and newest). */
  async function listSegments(signal: AbortSignal): Promise<string[]> {
    if (archiveId === undefined) {
      const stanzaInfo = await info(signal);
      archiveId = stanzaInfo.archive.at(-1)?.id;
      if (archiveId === undefined) return [];
    }
    const { tool, repo, as } = await setup();
    const out = await pgbackrest(
      tool,
      repo,
      [stanza, "repo-ls", "--recurse", "--output=json", `archive/${source.stanza}/${archiveId}`],
      { as, signal },
    );
    return segmentNames(out);
  }
}

/** `0000000100000000/000000010000000000000003-<sha1>.gz` → the segment name, sorted. */
export function segmentNames(repoLsJson: string): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(JSON.parse(repoLsJson) as Record<string, unknown>)) {
    const m = /\/([0-9A-F]{24})-[0-9a-f]{40}(\.[a-z0-9]+)?$/.exec(key);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

/** pgBackRest's own recovery settings, kept for a reader of the laid-down folder. */
function targetArgs(t: RecoveryTarget): string[] {
  const promote = "--target-action=promote";
  if (t.kind === "latest") return ["--type=default"];
  if (t.kind === "time") return ["--type=time", `--target=${t.time.toISOString()}`, promote];
  if (t.kind === "lsn") return ["--type=lsn", `--target=${t.lsn}`, promote];
  return ["--type=name", `--target=${t.name}`, promote];
}

/**
 * archive-get as PostgreSQL runs it. Each word is single-quoted for /bin/sh; a '%' would be read
 * by PostgreSQL as a placeholder, so a value holding one is refused rather than escaped.
 */
export function fetchCommand(
  tool: string,
  repo: RepoOptions,
  stanza: string,
  dataDir: string,
  spoolDir: string,
): string {
  const words = [
    tool,
    ...repo.args,
    ...QUIET,
    `--stanza=${stanza}`,
    `--pg1-path=${dataDir}`,
    // A production pgbackrest.conf may say archive-async with its own spool and lock folders:
    // the copy fetches synchronously (no spool) and locks inside its run folder.
    "--no-archive-async",
    `--lock-path=${path.join(spoolDir, "pgbackrest-lock")}`,
  ];
  const withPercent = words.find((w) => w.includes("%"));
  if (withPercent !== undefined) {
    throw inputError(
      "PGBACKREST_PERCENT",
      `pgbackrest: "${withPercent}" holds '%', which PostgreSQL's restore_command reads as a placeholder`,
      "use paths and names without '%'",
    );
  }
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `${words.map(q).join(" ")} archive-get %f "%p"`;
}

async function toolVersion(tool: string, as: RunAs | undefined, signal: AbortSignal) {
  const out = await pgbackrest(tool, { args: [], env: {}, where: tool }, ["version"], {
    as,
    signal,
  });
  return out.trim().replace(/^pgBackRest /, "");
}
