import type { Environment } from "../definitions/config.js";
import type { Project } from "../definitions/project.js";
import { knownList } from "../definitions/problems.js";
import { inputError } from "../errors.js";
import type { HistoryStore } from "../history/store.js";
import type { Clock } from "../types.js";
import {
  resourceKey,
  stateOf,
  type CoverageEntry,
  type CoverageReport,
  type LastPass,
  type Resource,
} from "./model.js";
import { restoredBy } from "./restores.js";

/** What one environment can see: the seam the CLI and the daemon share (tests inject theirs). */
export type FleetLister = (
  name: string,
  env: Environment,
) => Promise<Pick<Resource, "kind" | "id" | "ignored">[]>;

export interface CoverageOptions {
  /** Only this environment (an unknown name is a user mistake). */
  environment?: string;
  clock: Clock;
  store: HistoryStore;
  fleet: FleetLister;
}

interface Gathered {
  environments: Set<string>;
  resource: Pick<Resource, "kind" | "id" | "ignored">;
  drills: Set<string>;
}

/**
 * Every database the selected environments see, and the drills that restore it, judged by each
 * one's newest passing run. AWS environments of one region see one fleet: it is listed once and
 * a database there is matched with the drills of all of them.
 */
export async function collectCoverage(
  project: Project,
  o: CoverageOptions,
): Promise<CoverageReport> {
  const envs = selectedEnvironments(project, o.environment);
  const now = o.clock.now();
  const maxAgeMs = project.config.coverage.maxAge;
  const gathered = new Map<string, Gathered>();
  const at = (scope: string, envName: string, r: Gathered["resource"]) => {
    const key = `${scope}\0${resourceKey(r)}`;
    let g = gathered.get(key);
    if (!g) gathered.set(key, (g = { environments: new Set(), resource: r, drills: new Set() }));
    g.environments.add(envName);
    return g;
  };
  const listed = new Map<string, Awaited<ReturnType<FleetLister>>>();
  for (const [name, env] of envs) {
    const scope = scopeOf(name, env);
    if (!listed.has(scope)) listed.set(scope, await o.fleet(name, env));
    for (const r of listed.get(scope)!) at(scope, name, r);
  }
  for (const [drillName, resolved] of project.drills) {
    const env = envs.get(resolved.drill.environment);
    if (!env) continue;
    for (const r of restoredBy(resolved, env))
      at(scopeOf(resolved.drill.environment, env), resolved.drill.environment, r).drills.add(
        drillName,
      );
  }
  const passes = await lastPasses(o.store, gathered, now);
  const entries = [...gathered.values()].map((g): CoverageEntry => {
    const drills = [...g.drills].sort();
    const lastPass =
      drills
        .map((d) => passes.get(d))
        .filter((p): p is LastPass => p !== undefined)
        .sort((a, b) => a.ageMs - b.ageMs)[0] ?? null;
    return {
      environment: [...g.environments].sort().join(","),
      kind: g.resource.kind,
      id: g.resource.id,
      ...(g.resource.ignored !== undefined ? { ignored: g.resource.ignored } : {}),
      state:
        g.resource.ignored !== undefined ? "ignored" : stateOf(lastPass, drills.length, maxAgeMs),
      drills,
      lastPass,
    };
  });
  entries.sort(
    (a, b) =>
      a.environment.localeCompare(b.environment) ||
      a.kind.localeCompare(b.kind) ||
      a.id.localeCompare(b.id),
  );
  const counts = { covered: 0, stale: 0, uncovered: 0, ignored: 0 };
  for (const e of entries) counts[e.state]++;
  return { checkedAt: new Date(now).toISOString(), maxAgeMs, entries, counts };
}

/** The environments to look at, by name: all of config's, or the one asked for. */
export function selectedEnvironments(project: Project, only?: string): Map<string, Environment> {
  const all = project.config.environments;
  if (only === undefined) return new Map(Object.entries(all));
  const env = Object.hasOwn(all, only) ? all[only] : undefined;
  if (!env)
    throw inputError(
      "UNKNOWN_ENVIRONMENT",
      `--environment: unknown environment "${only}" (known: ${knownList(Object.keys(all))})`,
    );
  return new Map([[only, env]]);
}

const scopeOf = (name: string, env: Environment) =>
  env.provider === "aws" ? `aws:${env.region}` : `local:${name}`;

/** Each drill's newest passed run, read once per drill. */
async function lastPasses(
  store: HistoryStore,
  gathered: Map<string, Gathered>,
  now: number,
): Promise<Map<string, LastPass>> {
  const drills = new Set([...gathered.values()].flatMap((g) => [...g.drills]));
  const out = new Map<string, LastPass>();
  for (const drill of drills) {
    const pass = (await store.list(drill)).find((r) => r.outcome === "passed");
    if (pass)
      out.set(drill, {
        drill,
        runId: pass.id,
        at: pass.finishedAt,
        ageMs: Math.max(0, now - Date.parse(pass.finishedAt)),
      });
  }
  return out;
}
