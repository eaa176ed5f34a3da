import { formatProblem, loadProject, type Problem, type Project } from "../definitions/project.js";
import { listYamlFiles } from "../definitions/project-files.js";
import type { Logger } from "../log.js";

export interface Loaded {
  /** Undefined when nothing usable loaded (config itself is invalid). */
  project?: Project;
  /** One line per problem, `file:line:col path: message`. */
  problems: string[];
}

/**
 * The project with every drill that is valid on its own: one broken drill file must not stop
 * the daemon from running the others. Invalid config stops everything (no project).
 */
export async function loadValidDrills(
  root: string,
  env: Record<string, string | undefined>,
): Promise<Loaded> {
  const whole = await loadProject(root, env, { usedScrubbersOnly: true });
  if (whole.ok) return { project: whole.project, problems: [] };
  const problems = new Set(whole.problems.map(formatProblem));
  const scratch: Problem[] = [];
  const files = await listYamlFiles(root, "drills", scratch);
  let project: Project | undefined;
  for (const file of files) {
    const one = await loadProject(root, env, { only: [file] });
    if (!one.ok) continue;
    if (!project) project = { ...one.project, drills: new Map(), scrubbers: new Map() };
    for (const [k, v] of one.project.drills) project.drills.set(k, v);
    for (const [k, v] of one.project.scrubbers) project.scrubbers.set(k, v);
  }
  if (!project && files.length === 0) {
    // No drills at all: the config alone decides.
    const config = await loadProject(root, env, { only: [] });
    if (config.ok) project = config.project;
  }
  return { ...(project ? { project } : {}), problems: [...problems] };
}

/** `loadValidDrills` with each problem logged: the project, or undefined when config is invalid. */
export async function loadLogged(
  root: string,
  env: Record<string, string | undefined>,
  log: Logger,
): Promise<Project | undefined> {
  const loaded = await loadValidDrills(root, env);
  for (const p of loaded.problems)
    log.error({ problem: p }, `invalid file, its drill is not scheduled: ${p}`);
  return loaded.project;
}
