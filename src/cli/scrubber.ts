import { mkdir, open, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { DrillError, inputError, type ExitCode } from "../errors.js";
import { newRunId } from "../run-id.js";
import type { Logger } from "../log.js";
import { createProvider } from "../providers/index.js";
import type { RestoredCopy } from "../providers/types.js";
import type { DatabaseDraft } from "../scrub/draft.js";
import { writeLine, type Io } from "./io.js";
import { withEnvironment } from "../state/environment.js";
import { selectedDrills } from "./project.js";
import { loadForInit } from "./scrubber-project.js";
import { draftPath, initTarget, type InitTarget } from "./scrubber-source.js";

export interface ScrubberInitFlags {
  out?: string;
  sample: number;
  /** Restore as this drill's restore step does, instead of an environment's latest snapshot. */
  drill?: string;
}

/**
 * `drill scrubber init <environment> | --drill NAME`: restore a copy (the environment's latest
 * snapshot, or exactly what the drill's restore step restores: snapshot, archive file, s3://),
 * read every database of it, and write a draft scrubber per database with tables for a person
 * to review. The copy is disposed and the provider released whatever happens (also on Ctrl-C);
 * an existing file is never overwritten.
 */
export async function scrubberInitCommand(
  environment: string | undefined,
  flags: ScrubberInitFlags,
  io: Io,
  log: Logger,
): Promise<ExitCode> {
  const project = await loadForInit(io, flags.drill);
  if (!project) return 2;
  try {
    const drill = flags.drill === undefined ? undefined : selectedDrills(project, [flags.drill])[0];
    const target = initTarget(project, environment, drill);
    const out = resolve(io.cwd, flags.out ?? join(project.root, target.defaultOut));
    // Checked before anything is restored (a restore can take minutes); `wx` below closes the race.
    await refuseExisting([out], io.cwd);
    const runId = newRunId("scrubber-init", Date.now());
    const holder = { runId, drill: "scrubber init", since: new Date().toISOString() };
    const drafts = await withEnvironment(
      project,
      target.environment,
      () => restoreAndDraft(project.root, target, runId, flags.sample, io, log),
      holder,
    );
    const files = drafts.map((d) => ({
      ...d,
      file: draftPath(out, d.database, drafts[0]!.database),
    }));
    await refuseExisting(
      files.map((f) => f.file),
      io.cwd,
    );
    for (const f of files) await writeNew(f.file, f.draft.yaml, io.cwd);
    if (files.length === 0)
      writeLine(io.stdout, "no database of the copy has tables: nothing written");
    for (const { file, draft, database } of files) {
      const pii = draft.columns.filter((c) => c.pii);
      writeLine(
        io.stdout,
        `wrote ${shown(file, io.cwd)}: ${draft.columns.length} columns in ${draft.tables} tables of database ${database}, ${pii.length} look personal (${pii.map((c) => `${c.table}.${c.column}`).join(", ") || "none"})`,
      );
    }
    writeLine(io.stdout, "review it, then set SCRUB_SECRET and use it in a drill's scrub step");
    return 0;
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    writeLine(io.stderr, `drill scrubber init: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
    return e.exitCode === 2 ? 2 : e.exitCode === 130 ? 130 : 3;
  }
}

/** Restore with the provider (the restore step's source), draft every database, dispose the copy. */
async function restoreAndDraft(
  root: string,
  target: InitTarget,
  runId: string,
  sample: number,
  io: Io,
  log: Logger,
): Promise<DatabaseDraft[]> {
  const progress = (m: string) => log.info({ runId }, m);
  const provider = await createProvider(target.env, {
    root,
    environmentName: target.environment,
    log,
    drill: "scrubber-init",
  });
  let copy: RestoredCopy | undefined;
  let dispose: (() => Promise<void>) | undefined;
  try {
    await provider.prepare({ signal: io.signal, progress, production: target.production });
    const plan = await provider.planRestore(target.source);
    writeLine(io.stderr, `restoring ${plan.description}`);
    copy = await provider.restore(plan, {
      runId,
      signal: io.signal,
      progress,
      onCreated: (fn) => (dispose = fn),
    });
    const { draftDatabases } = await import("../scrub/draft.js");
    return await draftDatabases(copy.connection, {
      sample,
      signal: io.signal,
      header: `Draft scrubber for ${target.what}, written by \`drill scrubber init\` from ${plan.source.kind} ${plan.source.id} on ${new Date().toISOString().slice(0, 10)}.`,
    });
  } finally {
    await (copy?.dispose() ?? dispose?.())?.catch((e: unknown) =>
      log.warn({ runId, err: String(e) }, "could not dispose the restored copy"),
    );
    await provider.release().catch(() => {});
  }
}

const shown = (file: string, cwd: string) => relative(cwd, file) || file;

async function refuseExisting(files: string[], cwd: string): Promise<void> {
  const existing: string[] = [];
  for (const f of files) if (await stat(f).catch(() => undefined)) existing.push(shown(f, cwd));
  if (existing.length > 0)
    throw inputError(
      "FILE_EXISTS",
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; refusing to overwrite ${existing.length === 1 ? "it" : "them"} (choose another file with --out)`,
    );
}

async function writeNew(file: string, text: string, cwd: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const fh = await open(file, "wx").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST")
      throw inputError(
        "FILE_EXISTS",
        `${shown(file, cwd)} already exists; refusing to overwrite it`,
      );
    throw e;
  });
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}
