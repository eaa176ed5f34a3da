import { join } from "node:path";
import type { Environment } from "../definitions/config.js";
import type { Project } from "../definitions/project.js";
import { inputError } from "../errors.js";
import { resolverFor } from "../engine/execute.js";
import type { RestoreSource } from "../providers/types.js";
import { sourceOf } from "../steps/restore.js";

/** What `drill scrubber init` restores, and where its drafts go by default. */
export interface InitTarget {
  /** The environment whose provider restores (and whose lock a local restore takes). */
  environment: string;
  env: Environment;
  source: RestoreSource;
  /** Whether the restore reads production (a snapshot); an archive does not start the sandbox. */
  production: boolean;
  /** Default draft file for the copy's own database, relative to the project. */
  defaultOut: string;
  /** Shown in the draft's header. */
  what: string;
}

/**
 * The target of `drill scrubber init <environment>` (its latest snapshot) or `--drill NAME` (what
 * that drill's restore step restores, resolved by the step's own code). Bad input throws (exit 2).
 */
export function initTarget(
  project: Project,
  environment: string | undefined,
  drillName: string | undefined,
): InitTarget {
  if ((environment === undefined) === (drillName === undefined))
    throw inputError(
      "USAGE",
      "give an environment or --drill NAME, not both",
      "drill scrubber init <environment> | drill scrubber init --drill NAME",
    );
  if (environment !== undefined) {
    const env = project.config.environments[environment];
    if (!env) {
      const known = Object.keys(project.config.environments);
      throw inputError(
        "UNKNOWN_ENVIRONMENT",
        `unknown environment "${environment}" (known: ${known.join(", ") || "none"})`,
      );
    }
    return {
      environment,
      env,
      source: { kind: "snapshot", snapshot: "latest" },
      production: true,
      defaultOut: join("scrubbers", `${environment}.yaml`),
      what: `environment "${environment}"`,
    };
  }
  const entry = project.drills.get(drillName!);
  if (!entry) {
    const known = [...project.drills.keys()];
    throw inputError(
      "UNKNOWN_DRILL",
      `unknown drill "${drillName}" (known: ${known.join(", ") || "none"})`,
    );
  }
  const { drill, file } = entry;
  const step = entry.steps.find((s) => s.kind === "restore");
  if (step?.kind !== "restore")
    throw inputError(
      "NO_RESTORE",
      `${file}: drill "${drill.name}" has no restore step to draft from`,
    );
  return {
    environment: drill.environment,
    env: project.config.environments[drill.environment]!,
    source: sourceOf(step.options, resolverFor(project.root)),
    production: step.touchesProduction,
    defaultOut: join("scrubbers", `${drill.name}.yaml`),
    what: `drill "${drill.name}"`,
  };
}

/**
 * Where each database's draft goes: the copy's own database in `main`, any other beside it as
 * `<main stem>-<database>.yaml`.
 */
export function draftPath(main: string, database: string, own: string): string {
  if (database === own) return main;
  const safe = database.replace(/[^A-Za-z0-9_-]/g, "_");
  return main.replace(/(\.ya?ml)?$/, (ext) => `-${safe}${ext || ".yaml"}`);
}
