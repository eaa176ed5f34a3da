import type { ResolvedDrill } from "../definitions/steps.js";
import type { SourceDatabases } from "../providers/types.js";
import type { TableInfo } from "../scrub/catalog.js";
import type { PreflightContext } from "../steps/types.js";
import type { EngineDeps } from "./runner.js";

/**
 * Each step's preflight, after production is prepared and before anything is restored: what
 * the files cannot say alone (a scrubber rule naming a column production lacks) fails here,
 * with nothing created. Throws the first step's DrillError.
 */
export async function preflight(
  { drill, steps }: ResolvedDrill,
  deps: EngineDeps,
  signal: AbortSignal,
) {
  // What an archive holds is known only once restored; a snapshot comes from production.
  const fromProduction = steps.some((s) => s.kind === "restore" && s.touchesProduction);
  const provider = deps.provider;
  // Read once per database however many steps ask ("" is production's own).
  const catalogs = new Map<string, Promise<TableInfo[] | undefined>>();
  let databases: Promise<SourceDatabases | undefined> | undefined;
  const shared: Omit<PreflightContext, "step"> = {
    drill,
    steps,
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
  for (const step of steps) await step.preflight({ ...shared, step });
}
