import type { Drill } from "../definitions/drill.js";
import { kindOf } from "../definitions/one-of.js";
import { failoverSteps } from "../failover/safety.js";
import type { SourceDatabases } from "../providers/types.js";
import type { TableInfo } from "../scrub/catalog.js";
import { stepKinds } from "../steps/registry.js";
import type { PreflightContext } from "../steps/types.js";
import type { EngineDeps } from "./runner.js";

/** Whether the run restores one of production's snapshots (an archive is not production). */
const restoresProduction = (drill: Drill): boolean =>
  drill.steps.some((s) => {
    const [kind, o] = kindOf(s);
    return kind === "restore" && (o as { from?: { archive?: string } }).from?.archive === undefined;
  });

/** Whether a run reads or touches production: a snapshot restore, or a production failover. */
export const usesProduction = (drill: Drill): boolean =>
  restoresProduction(drill) || failoverSteps(drill).some((f) => f.target === "production");

/**
 * Each step's preflight, after production is prepared and before anything is restored: what
 * the files cannot say alone (a scrubber rule naming a column production lacks) fails here,
 * with nothing created. Throws the first step's DrillError.
 */
export async function preflight(drill: Drill, deps: EngineDeps, signal: AbortSignal) {
  // What an archive holds is known only once restored.
  const fromProduction = restoresProduction(drill);
  const provider = deps.provider;
  // Read once per database however many steps ask ("" is production's own).
  const catalogs = new Map<string, Promise<TableInfo[] | undefined>>();
  let databases: Promise<SourceDatabases | undefined> | undefined;
  const ctx: PreflightContext = {
    drill,
    resources: deps.resources,
    resolvePath: deps.resolvePath,
    provider,
    signal,
    sourceCatalog: (database) => {
      const key = database ?? "";
      if (!catalogs.has(key))
        catalogs.set(
          key,
          fromProduction && provider.sourceCatalog
            ? provider.sourceCatalog(signal, database)
            : Promise.resolve(undefined),
        );
      return catalogs.get(key)!;
    },
    sourceDatabases: () =>
      (databases ??=
        fromProduction && provider.sourceDatabases
          ? provider.sourceDatabases(signal)
          : Promise.resolve(undefined)),
  };
  for (const [kind, options] of drill.steps.map((s) => kindOf(s))) {
    const step = (deps.stepKinds ?? stepKinds)[kind];
    if (step?.preflight) await step.preflight(options, ctx);
  }
}
