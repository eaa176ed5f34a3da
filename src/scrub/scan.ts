import type { Scrubber } from "../definitions/scrubber.js";
import type { Queryable } from "../db.js";
import type { Keys } from "./keys.js";
import {
  findPatterns,
  findSampled,
  keptTextProbes,
  patternProbes,
  plantCanaries,
  removeCanaries,
  sampleHashes,
  sampledProbes,
  survivingCanaries,
  type Canary,
  type PatternCounts,
  type Probe,
} from "./leak.js";
import type { TablePlan } from "./plan.js";
import type { CompiledTable } from "./sql.js";

export interface LeakOptions {
  /** Values sampled per scrubbed column before the rewrite. */
  sample: number;
  patterns: boolean;
  canaries: boolean;
}

/** What the scan remembers between before and after: hashes, never values. */
export interface PreparedScan {
  options: LeakOptions;
  plans: TablePlan[];
  seed: string;
  hashes: Map<string, boolean>;
  sampled: Probe[];
  canaries: Canary[];
}

export interface LeakReport {
  sampledValues: number;
  sampledColumns: number;
  /** Rows holding a sampled original value, per column. */
  hits: Record<string, number>;
  patterns: Record<string, PatternCounts>;
  /** Pattern findings the scrubber allows (`allowPatterns`). */
  allowed: Record<string, PatternCounts>;
  canaries: { planted: number; survived: string[] };
  findings: string[];
}

export async function prepareLeakScan(
  db: Queryable,
  plans: TablePlan[],
  options: LeakOptions,
  keys: Keys,
  progress: (m: string) => void,
): Promise<PreparedScan> {
  const seed = keys.seed("leak-scan");
  const canaries = options.canaries ? await plantCanaries(db, plans) : [];
  const sampled = sampledProbes(plans.filter((p) => p.rewrite));
  progress(`sampling up to ${options.sample} values of ${sampled.length} column(s)`);
  const hashes =
    options.sample > 0
      ? await sampleHashes(db, sampled, options.sample, seed)
      : new Map<string, boolean>();
  return { options, plans, seed, hashes, sampled, canaries };
}

export async function checkLeaks(
  db: Queryable,
  scan: PreparedScan,
  scrubber: Scrubber,
  compiled: Map<TablePlan, CompiledTable>,
): Promise<LeakReport> {
  const poolsOf = (p: Probe) => {
    const plan = scan.plans.find((x) => x.table === p.table);
    return (plan && compiled.get(plan)?.pools.get(p.column.name)) ?? [];
  };
  const probes = [
    ...scan.sampled.map((p) => ({ probe: p, pools: poolsOf(p), distinctiveOnly: false })),
    ...keptTextProbes(scan.plans).map((p) => ({ probe: p, pools: [], distinctiveOnly: true })),
  ];
  const hits = await findSampled(db, probes, scan.hashes, scan.seed);
  const found = scan.options.patterns ? await findPatterns(db, patternProbes(scan.plans)) : {};
  const patterns: Record<string, PatternCounts> = {};
  const allowed: Record<string, PatternCounts> = {};
  for (const [label, counts] of Object.entries(found)) {
    const ok = new Set(scrubber.allowPatterns?.[label] ?? []);
    for (const [name, n] of Object.entries(counts) as [keyof PatternCounts, number][]) {
      const into = ok.has(name) ? allowed : patterns;
      (into[label] ??= {})[name] = n;
    }
  }
  const survived = await survivingCanaries(db, scan.canaries);
  await removeCanaries(db, scan.canaries);
  const findings = [
    ...Object.entries(hits).map(
      ([label, n]) => `leak: ${n} row(s) of ${label} still hold a sampled original value`,
    ),
    ...Object.entries(patterns).map(
      ([label, c]) =>
        `leak: ${label} contains ${Object.entries(c)
          .map(([k, n]) => `${n} ${k}`)
          .join(", ")} (classify the column, or allow them with allowPatterns)`,
    ),
    ...survived.map((label) => `leak: the canary planted in ${label} came out unchanged`),
  ];
  return {
    sampledValues: scan.hashes.size,
    sampledColumns: scan.sampled.length,
    hits,
    patterns,
    allowed,
    canaries: { planted: scan.canaries.length, survived },
    findings,
  };
}
