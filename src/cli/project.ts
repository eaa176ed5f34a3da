import { resolve } from "node:path";
import { formatProblem } from "../definitions/problems.js";
import { loadProject, type Project } from "../definitions/project.js";
import { writeLine, type Io } from "./io.js";

/**
 * Load the project for a command that uses drills (run, plan, list), or print every problem, one
 * line each. Only the scrubbers those drills use are read; `drill validate` reads everything.
 */
export async function loadOrReport(io: Io, only?: string[]): Promise<Project | undefined> {
  const result = await loadProject(io.cwd, io.env, {
    ...(only ? { only } : {}),
    usedScrubbersOnly: true,
  });
  if (result.ok) return result.project;
  for (const p of result.problems) writeLine(io.stderr, formatProblem(p));
  return undefined;
}

export { resolverFor, resourcesFor } from "../engine/execute.js";
export { openHistory as historyStore } from "../history/open.js";

/** The drill names `only` selected, in the order given (a file path maps to its drill's name). */
export function selectedDrills(project: Project, targets: string[]): string[] {
  const byFile = new Map(
    [...project.drills.values()].map((d) => [resolve(project.root, d.file), d.drill.name]),
  );
  return targets.map((t) =>
    project.drills.has(t) ? t : (byFile.get(resolve(project.root, t)) ?? t),
  );
}
