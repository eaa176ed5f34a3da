import { resolve } from "node:path";
import type { z } from "zod";
import { name as nameSchema } from "./common.js";
import type { Config } from "./config.js";
import { crossCheck } from "./cross-check.js";
import { drillSchema } from "./drill.js";
import { resolveSteps, type ResolvedDrill } from "./steps.js";
import { sortProblems, type Problem } from "./problems.js";
import { loadConfig } from "./project-config.js";
import { listYamlFiles, relativeTo, selectDrillFiles, stemOf } from "./project-files.js";
import { scrubberSchema, type Scrubber } from "./scrubber.js";
import { problemAt, readYamlFile, type YamlSource } from "./yaml.js";
import { parseWith } from "./zod-issues.js";

export { crossCheck, type CrossCheckContext } from "./cross-check.js";
export { formatProblem, formatProblems, type Problem } from "./problems.js";

export interface Project {
  root: string;
  /** Merged from config/*.yaml|yml; defaults when there is no config folder. */
  config: Config;
  /** The config files that were merged, relative to the root. */
  configFiles: string[];
  /** By drill name, with its steps resolved; `file` is relative to the root. */
  drills: Map<string, ProjectDrill>;
  /** By file stem. */
  scrubbers: Map<string, { file: string; scrubber: Scrubber; locate: YamlSource["locate"] }>;
  /**
   * The environment the project was loaded with, for what is read when a run is stored (the
   * evidence signing key, src/evidence/keys.ts). Absent: no signing key.
   */
  env?: Env;
}

export interface ProjectDrill extends ResolvedDrill {
  file: string;
  locate?: YamlSource["locate"];
}

export type LoadResult = { ok: true; project: Project } | { ok: false; problems: Problem[] };

type Env = Record<string, string | undefined>;
type Parsed<T> = { ok: true; value: T; source: YamlSource } | { ok: false; problems: Problem[] };

/**
 * Read config, scrubbers and drills under `root`, check each file and the names they share,
 * and return the project or every problem at once, sorted by file and line.
 *
 * With `only` (drill names or files), just those drills are read beside config and scrubbers:
 * a broken drill nobody asked for must not stop `drill run quickstart`. With `only` or
 * `usedScrubbersOnly`, only the scrubbers those drills use are read (`drill list`, `drill plan`).
 */
export async function loadProject(
  root: string,
  env: Env,
  opts: { only?: string[]; usedScrubbersOnly?: boolean } = {},
): Promise<LoadResult> {
  root = resolve(root);
  const problems: Problem[] = [];
  const [configFiles, scrubberFiles, drillFiles] = await Promise.all(
    ["config", "scrubbers", "drills"].map((folder) => listYamlFiles(root, folder, problems)),
  );

  const config = await loadConfig(root, configFiles!, env);
  problems.push(...config.problems);

  let selected = drillFiles!;
  if (opts.only) {
    const selection = selectDrillFiles(root, opts.only, drillFiles!);
    problems.push(...selection.problems);
    selected = selection.files;
  }
  const drills: Project["drills"] = new Map();
  const context = {
    config: config.problems.length === 0 ? config.config : undefined,
    scrubbers: new Set(scrubberFiles!.map(stemOf)),
  };
  for (const abs of selected) {
    const file = relativeTo(root, abs);
    const parsed = await loadFile(abs, file, env, drillSchema);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    const drill = parsed.value;
    const steps = resolveSteps(drill);
    const stem = stemOf(abs);
    if (drill.name !== stem) {
      problems.push(
        problemAt(
          parsed.source,
          ["name"],
          `name "${drill.name}" must equal the file name "${stem}" (drill run finds a drill by its file name)`,
        ),
      );
    } else if (drills.has(drill.name)) {
      problems.push(
        problemAt(
          parsed.source,
          ["name"],
          `drill "${drill.name}" is also defined in ${drills.get(drill.name)!.file}`,
        ),
      );
    } else {
      drills.set(drill.name, { file, drill, steps, locate: parsed.source.locate });
    }
    problems.push(...crossCheck({ drill, steps }, parsed.source, context));
  }

  // With `only`, just the scrubbers those drills use: a scrubber whose secret is not set in this
  // shell must not stop a drill that never scrubs.
  const wanted =
    opts.only || opts.usedScrubbersOnly
      ? new Set(
          [...drills.values()].flatMap(({ steps }) =>
            steps.flatMap((s) => s.scrubbers.map((u) => u.name)),
          ),
        )
      : undefined;
  const scrubbers: Project["scrubbers"] = new Map();
  for (const abs of scrubberFiles!.filter((f) => !wanted || wanted.has(stemOf(f)))) {
    const file = relativeTo(root, abs);
    const stem = stemOf(abs);
    if (!nameSchema.safeParse(stem).success) {
      problems.push({
        file,
        path: "",
        message: "a scrubber's file name is its name: lowercase letters, digits, '-' or '_'",
      });
      continue;
    }
    const parsed = await loadFile(abs, file, env, scrubberSchema);
    if (!parsed.ok) problems.push(...parsed.problems);
    else if (scrubbers.has(stem)) {
      problems.push({
        file,
        path: "",
        message: `scrubber "${stem}" is also defined in ${scrubbers.get(stem)!.file}`,
      });
    } else scrubbers.set(stem, { file, scrubber: parsed.value, locate: parsed.source.locate });
  }

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  const configNames = configFiles!.map((f) => relativeTo(root, f));
  return {
    ok: true,
    project: { root, config: config.config, configFiles: configNames, drills, scrubbers, env },
  };
}

/** Read one YAML file and parse it with `schema`; problems carry the file's line:col. */
export async function loadFile<S extends z.ZodType>(
  abs: string,
  file: string,
  env: Env,
  schema: S,
): Promise<Parsed<z.output<S>>> {
  const read = await readYamlFile(abs, file, env);
  if (!read.ok) return read;
  const parsed = parseWith(schema, read.source);
  return parsed.ok ? { ok: true, value: parsed.value, source: read.source } : parsed;
}
