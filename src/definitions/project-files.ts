import { readdir } from "node:fs/promises";
import { basename, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { knownList, type Problem } from "./problems.js";

export const YAML_FILE = /\.ya?ml$/;

/** `drills/x.yaml` → `x`. */
export const stemOf = (file: string): string => basename(file, extname(file));

/** Relative to the root with "/" separators, so problem lines look the same on every system. */
export const relativeTo = (root: string, abs: string): string =>
  relative(root, abs).split(sep).join("/");

/** The YAML files in `root/folder`, sorted, as absolute paths; a missing folder has none. */
export async function listYamlFiles(
  root: string,
  folder: string,
  problems: Problem[],
): Promise<string[]> {
  const dir = join(root, folder);
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => YAML_FILE.test(e.name) && !e.isDirectory())
      .map((e) => join(dir, e.name))
      .sort();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return [];
    problems.push({
      file: folder,
      path: "",
      message: `cannot read the folder (${code ?? String(e)})`,
    });
    return [];
  }
}

/** A command argument names a file when it looks like a path; otherwise it is a drill name. */
export const looksLikePath = (target: string): boolean =>
  /[\\/]/.test(target) || YAML_FILE.test(target) || target.startsWith(".");

/**
 * Which drill files `only` selects: names are looked up in drills/ (by file stem, as `drill run
 * orders-restore` does); paths are taken as given, relative to the root or absolute.
 */
export function selectDrillFiles(
  root: string,
  only: readonly string[],
  drillFiles: readonly string[],
) {
  const problems: Problem[] = [];
  const files: string[] = [];
  for (const target of only) {
    if (looksLikePath(target)) {
      files.push(isAbsolute(target) ? target : resolve(root, target));
      continue;
    }
    const found = drillFiles.filter((f) => stemOf(f) === target);
    if (found.length === 0) {
      const known = knownList(drillFiles.map(stemOf));
      problems.push({
        file: "",
        path: "",
        message: `unknown drill ${JSON.stringify(target)} (known: ${known})`,
      });
    }
    files.push(...found);
  }
  return { files: [...new Set(files)], problems };
}
