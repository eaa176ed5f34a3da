import { dirname, resolve } from "node:path";
import type { ExitCode } from "../errors.js";
import { privateDir, writeFileAtomic } from "../private-files.js";
import { forecastRto } from "../report/forecast.js";
import { renderHtmlReport, trendRuns } from "../report/html.js";
import { markdownReport } from "../report/markdown.js";
import type { RunRecord } from "../types.js";
import { makeStyle } from "./display/style.js";
import { summaryLines } from "./display/summary.js";
import { writeLine, type Io } from "./io.js";
import { historyStore, loadOrReport } from "./project.js";

export interface ReportFlags {
  drill?: string;
  html?: string;
  /** Print the run as Markdown (a CI job summary) instead of the terminal summary. */
  markdown?: boolean;
}

/** How many recent run ids a "no such run" message offers. */
const SUGGEST = 5;

/**
 * `drill report <run|latest>`: one stored run in the terminal, as Markdown with `--markdown` (a
 * CI job summary), or with `--html FILE` as a self-contained page with its drill's trends and
 * forecast. Exit 0 once shown, whatever the run's outcome (that was `drill run`'s exit code); 2
 * when there is no such run.
 */
export async function reportCommand(target: string, flags: ReportFlags, io: Io): Promise<ExitCode> {
  // Only the config: a report reads history, and a broken drill file must not hide it.
  const project = await loadOrReport(io, []);
  if (!project) return 2;
  const history = historyStore(project);
  const runs = await history.list(flags.drill);
  const record = target === "latest" ? runs[0] : runs.find((r) => r.id === target);
  if (!record) {
    writeLine(io.stderr, notFound(target, flags.drill, runs));
    return 2;
  }
  const mine = runs.filter((r) => r.drill === record.drill);
  if (!flags.html) {
    const forecast = forecastRto(trendRuns(record, mine, Infinity));
    if (flags.markdown) {
      io.stdout.write(markdownReport(record, { forecast: forecast.message }));
      return 0;
    }
    const style = makeStyle(Boolean(io.stdout.isTTY) && !io.env.NO_COLOR);
    for (const line of summaryLines(record, style)) writeLine(io.stdout, line);
    writeLine(io.stdout, `  forecast: ${forecast.message}`);
    return 0;
  }
  const file = resolve(io.cwd, flags.html);
  const html = renderHtmlReport(record, mine);
  // A report holds the run's findings: for the user who made it, like the records it comes from.
  await privateDir(dirname(file));
  await writeFileAtomic(file, html);
  writeLine(io.stdout, `wrote ${flags.html} (run ${record.id})`);
  return 0;
}

function notFound(target: string, drill: string | undefined, runs: RunRecord[]): string {
  const of = drill ? ` of drill "${drill}"` : "";
  if (runs.length === 0)
    return `drill report: no runs${of} in the history yet (run one with \`drill run\`)`;
  const recent = runs
    .slice(0, SUGGEST)
    .map((r) => r.id)
    .join(", ");
  return `drill report: no run "${target}"${of} (recent: ${recent}; or "latest")`;
}
