import { resolve } from "node:path";
import { drillSchema } from "../definitions/drill.js";
import { resolveSteps } from "../definitions/steps.js";
import {
  formatProblem,
  loadFile,
  loadProject,
  type Problem,
  type Project,
} from "../definitions/project.js";
import { listYamlFiles, relativeTo, selectDrillFiles } from "../definitions/project-files.js";
import { loadConfig } from "../definitions/project-config.js";
import { writeLine, type Io } from "./io.js";

/**
 * A draft is what a missing or broken scrubber needs: the drill's scrub step naming a scrubber
 * not written yet, or a scrubber whose secret is unset, must not stop `scrubber init --drill`.
 */
const aboutScrubbers = (problem: Problem) =>
  problem.file.startsWith("scrubbers/") ||
  (/\.scrub\.scrubber$/.test(problem.path) && /unknown scrubber/.test(problem.message));

/**
 * The project as `drill scrubber init` needs it: config, and the one drill named (no scrubber).
 * Every other problem is printed, one line each, and the result is undefined (exit 2).
 */
export async function loadForInit(io: Io, drill: string | undefined): Promise<Project | undefined> {
  const result = await loadProject(io.cwd, io.env, {
    only: drill === undefined ? [] : [drill],
    usedScrubbersOnly: true,
  });
  if (result.ok) return result.project;
  const blocking = result.problems.filter((p) => !aboutScrubbers(p));
  const project =
    blocking.length === 0 && drill !== undefined ? await withoutScrubbers(io, drill) : undefined;
  if (!project)
    for (const p of blocking.length > 0 ? blocking : result.problems)
      writeLine(io.stderr, formatProblem(p));
  return project;
}

/** Config and the drill alone, read the way loadProject reads them. */
async function withoutScrubbers(io: Io, name: string): Promise<Project | undefined> {
  const root = resolve(io.cwd);
  const problems: Problem[] = [];
  const configFiles = await listYamlFiles(root, "config", problems);
  const drillFiles = await listYamlFiles(root, "drills", problems);
  const config = await loadConfig(root, configFiles, io.env);
  const selection = selectDrillFiles(root, [name], drillFiles);
  const abs = selection.files[0];
  if (problems.length + config.problems.length + selection.problems.length > 0 || !abs)
    return undefined;
  const file = relativeTo(root, abs);
  const parsed = await loadFile(abs, file, io.env, drillSchema);
  if (!parsed.ok) return undefined;
  return {
    root,
    config: config.config,
    configFiles: configFiles.map((f) => relativeTo(root, f)),
    drills: new Map([
      [parsed.value.name, { file, drill: parsed.value, steps: resolveSteps(parsed.value) }],
    ]),
    scrubbers: new Map(),
  };
}
