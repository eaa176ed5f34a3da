import { dirname, resolve } from "node:path";
import { controlsHtml } from "../controls/html.js";
import { controlsMarkdown } from "../controls/markdown.js";
import { buildMatrix, type DrillInput } from "../controls/matrix.js";
import { DEFAULT_SINCE, parseSince } from "../controls/period.js";
import { signatureStatuses } from "../controls/signatures.js";
import { controlsText } from "../controls/text.js";
import { knownList } from "../definitions/problems.js";
import { inputError, type ExitCode } from "../errors.js";
import { trustedKey } from "../evidence/keys.js";
import { openHistory } from "../history/open.js";
import { privateDir, writeFileAtomic } from "../private-files.js";
import { systemClock, type Clock, type RunRecord } from "../types.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

export interface ControlsFlags {
  since?: string;
  markdown?: boolean;
  json?: boolean;
  html?: string;
  publicKey?: string;
}

/**
 * `drill controls [drill…]`: per compliance control, the drills that evidence it, their runs in
 * the period with RTO/RPO against objectives and signature status, the last success and the
 * months without a passed run. A report: exit 0 whatever it shows; 2 for a bad argument.
 */
export async function controlsCommand(
  only: string[],
  flags: ControlsFlags,
  io: Io,
  clock: Clock = systemClock,
): Promise<ExitCode> {
  const now = clock.now();
  const since = parseSince(flags.since ?? DEFAULT_SINCE, now);
  const project = await loadOrReport(io);
  if (!project) return 2;
  const unknown = only.filter((d) => !project.drills.has(d));
  if (unknown.length > 0)
    throw inputError(
      "UNKNOWN_DRILL",
      `unknown drill "${unknown[0]}" (known: ${knownList(project.drills.keys())})`,
    );
  const drills: DrillInput[] = [...project.drills.values()]
    .map((d) => d.drill)
    .filter((d) => only.length === 0 || only.includes(d.name))
    .map((d) => ({
      name: d.name,
      controls: d.controls,
      ...(d.description !== undefined ? { description: d.description } : {}),
      ...(d.schedule !== undefined ? { schedule: d.schedule } : {}),
      ...((d.timezone ?? project.config.timezone) !== undefined
        ? { timezone: (d.timezone ?? project.config.timezone)! }
        : {}),
    }));
  const trusted = await trustedKey(io.env, flags.publicKey);
  const store = openHistory(project);
  const runs = new Map<string, RunRecord[]>();
  const signatures = new Map<string, string>();
  try {
    for (const d of drills.filter((x) => x.controls.length > 0)) {
      runs.set(d.name, await store.list(d.name));
      for (const [id, status] of signatureStatuses(await store.evidence(d.name), trusted))
        signatures.set(id, status);
    }
  } finally {
    await store.close().catch(() => {});
  }
  const matrix = buildMatrix({ drills, runs, signatures, since, now });
  if ([...signatures.values()].some((s) => s.includes("no key")))
    writeLine(
      io.stderr,
      "note: records are signed but there is no public key to check them: pass --public-key FILE or set DRILL_SIGNING_KEY",
    );
  if (flags.json) {
    writeLine(io.stdout, JSON.stringify(matrix, null, 2));
  } else if (flags.markdown) {
    io.stdout.write(controlsMarkdown(matrix));
  } else if (flags.html) {
    const file = resolve(io.cwd, flags.html);
    // Like a run report: for the user who made it, as the records it comes from.
    await privateDir(dirname(file));
    await writeFileAtomic(file, controlsHtml(matrix));
    writeLine(io.stdout, `wrote ${flags.html}`);
  } else {
    for (const line of controlsText(matrix)) writeLine(io.stdout, line);
  }
  return 0;
}
