import { isAbsolute, resolve } from "node:path";
import { formatProblem } from "../definitions/problems.js";
import { loadProject, type Project } from "../definitions/project.js";
import { FileHistoryStore } from "../history/file-store.js";
import type { HistoryStore } from "../history/store.js";
import type { RunResources } from "../steps/types.js";
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

export function historyStore(project: Project): HistoryStore {
  const dir = resolve(project.root, project.config.history.path);
  return new FileHistoryStore(dir, project.root);
}

export const resolverFor = (root: string) => (p: string) => (isAbsolute(p) ? p : resolve(root, p));

/** The drill names `only` selected, in the order given (a file path maps to its drill's name). */
export function selectedDrills(project: Project, targets: string[]): string[] {
  const byFile = new Map(
    [...project.drills.values()].map((d) => [resolve(project.root, d.file), d.drill.name]),
  );
  return targets.map((t) =>
    project.drills.has(t) ? t : (byFile.get(resolve(project.root, t)) ?? t),
  );
}

/** What steps may read of the project: its scrubbers, and the drill's past runs. */
export function resourcesFor(project: Project, drill: string): RunResources {
  const scrubbers = new Map([...project.scrubbers].map(([name, s]) => [name, s.scrubber]));
  return { scrubbers, history: () => historyStore(project).list(drill) };
}
