import { isAbsolute, resolve } from "node:path";
import { formatProblem, type Problem } from "../definitions/problems.js";
import { loadProject } from "../definitions/project.js";
import { relativeTo } from "../definitions/project-files.js";
import { writeLine, type Io } from "./io.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What a file is, by its folder under the root; anything elsewhere is read as a drill. */
export function kindOfFile(root: string, file: string): "drill" | "scrubber" | "config" {
  const rel = relativeTo(root, isAbsolute(file) ? file : resolve(root, file));
  if (rel.startsWith("scrubbers/")) return "scrubber";
  if (rel.startsWith("config/")) return "config";
  return "drill";
}

/**
 * `drill validate [files]`: every problem of the project (or of the drills given, with the config
 * and scrubbers they depend on), one line each on stderr. 0 when all is well, 2 otherwise.
 */
export async function validateCommand(files: string[], io: Io): Promise<0 | 2> {
  const root = resolve(io.cwd);
  const drillFiles = files.filter((f) => kindOfFile(root, f) === "drill");
  const result = await loadProject(root, io.env, files.length > 0 ? { only: drillFiles } : {});
  if (!result.ok) {
    for (const p of result.problems) writeLine(io.stderr, formatProblem(p));
    return 2;
  }
  const { project } = result;
  // Config and scrubbers are always loaded; a named one must at least exist where it was meant.
  const loaded = new Set([
    ...project.configFiles,
    ...[...project.scrubbers.values()].map((s) => s.file),
  ]);
  const missing: Problem[] = files
    .filter((f) => kindOfFile(root, f) !== "drill")
    .map((f) => relativeTo(root, resolve(root, f)))
    .filter((f) => !loaded.has(f))
    .map((file) => ({ file, path: "", message: "file not found (or not a .yaml/.yml file)" }));
  if (missing.length > 0) {
    for (const p of missing) writeLine(io.stderr, formatProblem(p));
    return 2;
  }
  const counts = [
    plural(project.drills.size, "drill"),
    plural(project.scrubbers.size, "scrubber"),
    plural(project.configFiles.length, "config file"),
  ];
  writeLine(io.stdout, `ok: ${counts.join(", ")}`);
  return 0;
}
