import { createReadStream, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pgEnv } from "../../db.js";
import { inputError, platformError } from "../../errors.js";
import { maskToolOutput } from "../../redact.js";
import { loadPlainSql } from "../feed-tool.js";
import type { RestoredCopy, RestoreOptions } from "../types.js";
import { findClientTools, majorVersion, type ServerBinaries } from "./binaries.js";
import { formatBytes, treeSize } from "./files.js";
import { ARCHIVE_DATABASE, startArchiveCluster } from "./archive-cluster.js";
import { needsSuperuser, restoreList, type RestoreList } from "./archive-toc.js";
import { runStreaming, type RunAs } from "./os-user.js";
import { WORKING_ROLE } from "./working-role.js";

export type ArchiveFormat = "custom" | "directory" | "plain";

export { ARCHIVE_DATABASE } from "./archive-cluster.js";

/**
 * An archive that is not custom, directory or gzip, not declared plain: plain SQL is psql input,
 * so it is loaded only when the drill says it expects one.
 */
export const notDeclaredPlain = (where: string) =>
  inputError(
    "ARCHIVE_FORMAT",
    `${where} is not a pg_dump custom (PGDMP) or directory archive; if it is a plain SQL dump, declare it: from: { archive: …, format: plain }`,
    "plain SQL archives are checked line by line and refused if they hold any psql meta-command",
  );

/**
 * pg_dump's formats: custom starts with "PGDMP", directory has toc.dat, plain is SQL text and
 * accepted only when `declared` says so.
 */
export async function detectArchiveFormat(
  file: string,
  declared?: "plain",
): Promise<{ format: ArchiveFormat; size: number }> {
  const st = await fs.stat(file).catch(() => undefined);
  if (!st) throw inputError("ARCHIVE_NOT_FOUND", `archive ${file} does not exist`);
  if (st.isDirectory()) {
    if (await fs.stat(path.join(file, "toc.dat")).catch(() => undefined)) {
      return { format: "directory", size: await treeSize(file) };
    }
    throw inputError(
      "ARCHIVE_FORMAT",
      `${file} is a folder without toc.dat: not a pg_dump directory archive`,
    );
  }
  const handle = await fs.open(file, "r");
  const head = Buffer.alloc(512);
  const { bytesRead } = await handle.read(head, 0, 512, 0).finally(() => handle.close());
  const start = head.subarray(0, bytesRead);
  if (start.subarray(0, 5).toString("latin1") === "PGDMP")
    return { format: "custom", size: st.size };
  if (start.subarray(0, 5).toString("latin1").startsWith("\x1f\x8b")) {
    throw inputError(
      "ARCHIVE_FORMAT",
      `${file} is gzip-compressed: unpack it (gunzip) or dump with pg_dump -Fc`,
    );
  }
  if (declared !== "plain") throw notDeclaredPlain(file);
  if (!start.includes(0)) return { format: "plain", size: st.size };
  throw inputError(
    "ARCHIVE_FORMAT",
    `${file} is neither a pg_dump custom archive (PGDMP) nor SQL text`,
  );
}

export interface ArchiveRestoreContext {
  root: string;
  bins: ServerBinaries;
  as: RunAs | undefined;
  clientSearchDirs?: string[];
}

/** initdb a fresh cluster and load a pg_dump archive into it with pg_restore or psql. */
export async function restoreArchive(
  ctx: ArchiveRestoreContext,
  file: string,
  opts: RestoreOptions,
  declared?: "plain",
): Promise<RestoredCopy> {
  const { format, size } = await detectArchiveFormat(file, declared);
  // Before creating anything: a missing tool should not cost an initdb.
  const tools = await findClientTools(await majorVersion(ctx.bins.postgres), ctx.clientSearchDirs);
  opts.signal.throwIfAborted();
  const fresh = await startArchiveCluster(ctx, opts);
  const toc =
    format === "plain"
      ? undefined
      : await restoreList(tools.pg_restore, { file }, fresh.admin, fresh.runDir, opts.signal);

  // Loaded as the working role: the archive's own code never runs as a superuser.
  const env = pgEnv(fresh.connection);
  const jobs = String(Math.max(1, os.availableParallelism()));
  opts.progress(
    `loading ${format} archive ${path.basename(file)} (${formatBytes(size)}) with ${format === "plain" ? "psql" : `pg_restore -j ${jobs}`}`,
  );
  const loadAt = Date.now();
  let tables = 0;
  const tool = format === "plain" ? tools.psql : tools.pg_restore;
  const result = await (
    format === "plain"
      ? // Read once, each line checked before psql gets it: no window to swap the file.
        loadPlainSql(tools.psql, createReadStream(file), file, env, opts.signal)
      : runStreaming(
          tools.pg_restore,
          [...PG_RESTORE_ARGS, "-L", toc!.listFile, "--verbose", "-j", jobs, file],
          {
            signal: opts.signal,
            env,
            onLine: (line) => {
              const m = /processing data for table "([^"]+)"/.exec(line);
              if (m) opts.progress(`loading table ${m[1]} (${++tables})`);
            },
          },
        )
  ).catch((e: unknown) => {
    opts.signal.throwIfAborted();
    throw e;
  });
  opts.signal.throwIfAborted();
  if (result.code !== 0) {
    const name = path.basename(tool);
    // The tool quotes rows it could not load (a COPY value, a duplicate key): values are cut.
    const tail = maskToolOutput(
      result.stderrTail
        .filter((l) => !/^pg_restore: (processing|creating|launching|finished|connecting)/.test(l))
        .slice(-8),
    );
    throw (
      needsSuperuser(file, tail) ??
      platformError(
        "ARCHIVE_RESTORE_FAILED",
        `${name} failed (exit ${result.code}) loading ${file}:\n${tail.join("\n")}`,
        `check that the archive is complete and was made by pg_dump ${tools.major} or older`,
      )
    );
  }
  return {
    connection: fresh.connection,
    admin: fresh.admin,
    source: { kind: "archive", id: path.basename(file) },
    details: {
      port: fresh.cluster.port,
      dataDir: path.relative(ctx.root, fresh.cluster.dataDir),
      archive: file,
      format,
      bytes: size,
      tool: `${path.basename(tool)} ${tools.major}`,
      startMs: fresh.startMs,
      loadMs: Date.now() - loadAt,
      ...tocDetails(toc),
    },
    dispose: fresh.dispose,
  };
}

/**
 * How pg_restore loads every archive: the source's roles do not exist here, so ownership (the
 * working role's) and grants are left out, and the first error stops it.
 */
export const PG_RESTORE_ARGS = [
  "--no-owner",
  "--no-privileges",
  "--exit-on-error",
  "-d",
  ARCHIVE_DATABASE,
];

/** What the record says about the list: the role it loaded as, extensions made, entries left out. */
export const tocDetails = (toc: RestoreList | undefined) => ({
  loadedAs: WORKING_ROLE,
  ...(toc && toc.extensions.length > 0 ? { extensionsCreated: toc.extensions } : {}),
  ...(toc && toc.skipped.length > 0 ? { skipped: toc.skipped } : {}),
});
