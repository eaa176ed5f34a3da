import type { Drill } from "../definitions/drill.js";
import { kindOf } from "../definitions/one-of.js";
import type { TableInfo } from "../scrub/catalog.js";
import { stepKinds } from "../steps/registry.js";
import type { PreflightContext } from "../steps/types.js";
import type { EngineDeps } from "./runner.js";

/**
 * Each step's preflight, after production is prepared and before anything is restored: what
 * the files cannot say alone (a scrubber rule naming a column production lacks) fails here,
 * with nothing created. Throws the first step's DrillError.
 */
/** Whether a run reads or touches production: a snapshot restore, or a production failover. */
export function usesProduction(drill: Drill): boolean {
  return drill.steps.some((s) => {
    const [kind, o] = kindOf(s);
    if (kind === "restore")
      return (o as { from?: { archive?: string } }).from?.archive === undefined;
    return kind === "failover" && (o as { target?: string }).target === "production";
  });
}

export async function preflight(drill: Drill, deps: EngineDeps, signal: AbortSignal) {
  const steps = drill.steps.map((s) => kindOf(s));
  // An archive is not production: what it holds is known only once restored.
  const fromProduction = steps.some(
    ([kind, o]) =>
      kind === "restore" && (o as { from?: { archive?: string } }).from?.archive === undefined,
  );
  let catalog: Promise<TableInfo[] | undefined> | undefined;
  const ctx: PreflightContext = {
    drill,
    resources: deps.resources,
    resolvePath: deps.resolvePath,
    provider: deps.provider,
    signal,
    sourceCatalog: () =>
      (catalog ??=
        fromProduction && deps.provider.sourceCatalog
          ? deps.provider.sourceCatalog(signal)
          : Promise.resolve(undefined)),
  };
  for (const [kind, options] of steps) {
    const step = (deps.stepKinds ?? stepKinds)[kind];
    if (step?.preflight) await step.preflight(options, ctx);
  }
}
