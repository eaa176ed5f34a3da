import type { Project } from "../definitions/project.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

export interface ListedDrill {
  name: string;
  file: string;
  environment: string;
  schedule: string | null;
  /** Step kinds in order, ending with cleanup (it always runs, written or not). */
  steps: string[];
  lastOutcome: string | null;
}

/** `drill list`: one row per drill (a table, or a JSON array with `--json`). */
export async function listCommand(
  io: Io,
  opts: {
    json?: boolean;
    lastOutcome?: (project: Project, drill: string) => Promise<string | undefined>;
  },
): Promise<0 | 2> {
  const project = await loadOrReport(io);
  if (!project) return 2;
  const rows: ListedDrill[] = [];
  const drills = [...project.drills.values()].sort((a, b) =>
    a.drill.name < b.drill.name ? -1 : 1,
  );
  for (const { file, drill, steps } of drills) {
    rows.push({
      name: drill.name,
      file,
      environment: drill.environment,
      schedule: drill.schedule ?? null,
      steps: steps.map((s) => s.kind),
      lastOutcome: (await opts.lastOutcome?.(project, drill.name)) ?? null,
    });
  }
  if (opts.json) {
    writeLine(io.stdout, JSON.stringify(rows, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    writeLine(io.stdout, "no drills (write one in drills/<name>.yaml)");
    return 0;
  }
  const table = [
    ["NAME", "ENVIRONMENT", "SCHEDULE", "STEPS", "LAST"],
    ...rows.map((r) => [
      r.name,
      r.environment,
      r.schedule ?? "-",
      r.steps.join(" → "),
      r.lastOutcome ?? "-",
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) {
    writeLine(
      io.stdout,
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "),
    );
  }
  return 0;
}

/** `drill list` as the CLI runs it: the last outcome of each drill comes from its history. */
export async function listWithHistory(io: Io, flags: { json?: boolean }): Promise<0 | 2> {
  const { openHistory } = await import("../history/open.js");
  const lastOutcome = async (project: Project, drill: string) =>
    (await openHistory(project).list(drill))[0]?.outcome;
  return listCommand(io, { ...flags, lastOutcome });
}
