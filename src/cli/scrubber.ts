import { open, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { mkdir } from "node:fs/promises";
import { DrillError, inputError, type ExitCode } from "../errors.js";
import { acquireLock } from "../engine/lock.js";
import { newRunId } from "../engine/ids.js";
import type { Logger } from "../log.js";
import { createProvider } from "../providers/index.js";
import type { RestoredCopy } from "../providers/types.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

export interface ScrubberInitFlags {
  out?: string;
  sample: number;
}

/**
 * `drill scrubber init <environment>`: restore the environment's latest snapshot, read every
 * column of every user table, and write a draft scrubber for a person to review. The copy is
 * disposed and the provider released whatever happens; an existing file is never overwritten.
 */
export async function scrubberInitCommand(
  environment: string,
  flags: ScrubberInitFlags,
  io: Io,
  log: Logger,
): Promise<ExitCode> {
  const project = await loadOrReport(io, []);
  if (!project) return 2;
  const env = project.config.environments[environment];
  if (!env) {
    const known = Object.keys(project.config.environments);
    writeLine(
      io.stderr,
      `drill scrubber init: unknown environment "${environment}" (known: ${known.join(", ") || "none"})`,
    );
    return 2;
  }
  const out = resolve(io.cwd, flags.out ?? join("scrubbers", `${environment}.yaml`));
  const shown = relative(io.cwd, out) || out;
  // Checked before anything is restored (a restore can take minutes); `wx` below closes the race.
  if (await stat(out).catch(() => undefined)) {
    writeLine(
      io.stderr,
      `drill scrubber init: ${shown} already exists; refusing to overwrite it (choose another file with --out)`,
    );
    return 2;
  }

  const runId = newRunId(`scrubber-init`, Date.now());
  const releases: (() => Promise<void>)[] = [];
  const progress = (m: string) => log.info({ runId }, m);
  try {
    // A local environment's clusters and snapshots are one set of files: a running drill owns them.
    if (env.provider === "local") {
      const owner = { runId, drill: "scrubber init", since: new Date().toISOString() };
      releases.push(
        await acquireLock(
          join(project.root, ".drill", "locks"),
          `environment-${environment}`,
          owner,
          `environment ${environment}`,
        ),
      );
    }
    const provider = await createProvider(env, {
      root: project.root,
      environmentName: environment,
      log,
      drill: "scrubber-init",
    });
    let copy: RestoredCopy | undefined;
    let dispose: (() => Promise<void>) | undefined;
    let draft: Awaited<ReturnType<typeof import("../scrub/draft.js").draftScrubber>>;
    try {
      await provider.prepare({ signal: io.signal, progress });
      const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
      writeLine(io.stderr, `restoring ${plan.description}`);
      copy = await provider.restore(plan, {
        runId,
        signal: io.signal,
        progress,
        onCreated: (fn) => (dispose = fn),
      });
      const { draftScrubber } = await import("../scrub/draft.js");
      draft = await draftScrubber(copy.connection, {
        sample: flags.sample,
        signal: io.signal,
        header: `Draft scrubber for environment "${environment}", written by \`drill scrubber init\` from ${plan.source.kind} ${plan.source.id} on ${new Date().toISOString().slice(0, 10)}.`,
      });
    } finally {
      await (copy?.dispose() ?? dispose?.())?.catch((e: unknown) =>
        log.warn({ runId, err: String(e) }, "could not dispose the restored copy"),
      );
      await provider.release().catch(() => {});
    }
    await mkdir(dirname(out), { recursive: true });
    const fh = await open(out, "wx").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "EEXIST")
        throw inputError("FILE_EXISTS", `${shown} already exists; refusing to overwrite it`);
      throw e;
    });
    try {
      await fh.writeFile(draft.yaml);
    } finally {
      await fh.close();
    }
    const pii = draft.columns.filter((c) => c.pii);
    const tables = new Set(draft.columns.map((c) => c.table)).size;
    writeLine(
      io.stdout,
      `wrote ${shown}: ${draft.columns.length} columns in ${tables} tables, ${pii.length} look personal (${pii.map((c) => `${c.table}.${c.column}`).join(", ") || "none"})`,
    );
    writeLine(io.stdout, "review it, then set SCRUB_SECRET and use it in a drill's scrub step");
    return 0;
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    writeLine(io.stderr, `drill scrubber init: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
    return e.exitCode === 2 ? 2 : e.exitCode === 130 ? 130 : 3;
  } finally {
    for (const release of releases.reverse()) await release().catch(() => {});
  }
}
