import type { Scrubber } from "../definitions/scrubber.js";
import type { Queryable } from "../db.js";
import type { Keys } from "./keys.js";
import { largeObjectSource } from "./large-objects.js";
import {
  findPatterns,
  findPhrases,
  findSampled,
  keptTextProbes,
  patternSources,
  phraseSources,
  plantCanaries,
  removeCanaries,
  sampleHashes,
  sampledProbes,
  survivingCanaries,
  type Canary,
  type PatternCounts,
  type Probe,
} from "./leak.js";
import type { Phrases } from "./leak-text.js";
import { keptLookalikes, lookalikeFinding } from "./lookalikes.js";
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
  /** Distinctive sampled originals as phrases (word hash → words), looked for inside text. */
  phrases: Phrases;
  sampled: Probe[];
  canaries: Canary[];
  sampleMs: number;
}

export interface LeakReport {
  sampledValues: number;
  sampledColumns: number;
  /** Sampled originals also looked for inside longer text (distinctive ones, up to 8 words). */
  sampledPhrases: number;
  /** Kept large objects read by the scan. */
  largeObjects: number;
  /** Rows holding a sampled original value (whole, or inside their text), per column or `large object N`. */
  hits: Record<string, number>;
  patterns: Record<string, PatternCounts>;
  /** Pattern findings the scrubber allows (`allowPatterns`). */
  allowed: Record<string, PatternCounts>;
  canaries: { planted: number; survived: string[] };
  /** Kept columns whose values look personal as a whole, by label: names, ips, birthDates, addresses. */
  lookalikes: Record<string, string>;
  /** Where the scan's time went: sampling, whole values, values inside text, patterns. */
  durationMs: { sample: number; whole: number; inside: number; patterns: number };
  findings: string[];
}

export async function prepareLeakScan(
  db: Queryable,
  plans: TablePlan[],
  options: LeakOptions,
  keys: Keys,
  progress: (m: string) => void,
): Promise<PreparedScan> {
  const started = performance.now();
  const seed = keys.seed("leak-scan");
  const canaries = options.canaries ? await plantCanaries(db, plans) : [];
  const sampled = sampledProbes(plans.filter((p) => p.rewrite));
  progress(`sampling up to ${options.sample} values of ${sampled.length} column(s)`);
  const { hashes, phrases } =
    options.sample > 0
      ? await sampleHashes(db, sampled, options.sample, seed)
      : { hashes: new Map<string, boolean>(), phrases: new Map() };
  const sampleMs = Math.round(performance.now() - started);
  return { options, plans, seed, hashes, phrases, sampled, canaries, sampleMs };
}

const OBJECT = "large object ";

export async function checkLeaks(
  db: Queryable,
  scan: PreparedScan,
  scrubber: Scrubber,
  compiled: Map<TablePlan, CompiledTable>,
): Promise<LeakReport> {
  const poolsOf = (probe: Probe) => {
    const plan = scan.plans.find((x) => x.table === probe.table);
    return (plan && compiled.get(plan)?.pools.get(probe.column.name)) ?? [];
  };
  // Canary rows are copies of real rows: removed first, so no leak is counted twice.
  const survived = await survivingCanaries(db, scan.canaries);
  await removeCanaries(db, scan.canaries);
  const probes = [
    ...scan.sampled
      .filter((p) => !p.elsewhereOnly)
      .map((p) => ({ probe: p, pools: poolsOf(p), distinctiveOnly: false })),
    ...keptTextProbes(scan.plans).map((p) => ({ probe: p, pools: [], distinctiveOnly: true })),
  ];
  let clock = performance.now();
  const lap = () => {
    const was = clock;
    clock = performance.now();
    return Math.round(clock - was);
  };
  const hits = await findSampled(db, probes, scan.hashes, scan.seed);
  const whole = lap();
  const objects = scrubber.largeObjects === "keep" ? await largeObjectSource(db) : undefined;
  const extra = objects && objects.count > 0 ? [objects] : [];
  const allPools = [
    ...new Set([...compiled.values()].flatMap((c) => [...c.pools.values()].flat())),
  ];
  const inside = await findPhrases(
    db,
    [...phraseSources(scan.plans), ...extra],
    scan.phrases,
    allPools,
    scan.seed,
  );
  const insideMs = lap();
  for (const [label, n] of Object.entries(inside)) hits[label] = Math.max(hits[label] ?? 0, n);
  const found = scan.options.patterns
    ? await findPatterns(db, [...patternSources(scan.plans), ...extra])
    : {};
  // Kept values that look personal as a whole (names, IPs, birth dates): what no pattern catches.
  const lookalikes = scan.options.patterns
    ? await keptLookalikes(db, scan.plans, scrubber)
    : { found: [], allowed: [] };
  const durationMs = { sample: scan.sampleMs, whole, inside: insideMs, patterns: lap() };
  const patterns: Record<string, PatternCounts> = {};
  const allowed: Record<string, PatternCounts> = {};
  for (const [label, counts] of Object.entries(found)) {
    const ok = new Set(scrubber.allowPatterns?.[label] ?? []);
    for (const [name, n] of Object.entries(counts) as [keyof PatternCounts, number][]) {
      const into = ok.has(name) ? allowed : patterns;
      (into[label] ??= {})[name] = n;
    }
  }
  const findings = [
    ...Object.entries(hits).map(([label, n]) =>
      label.startsWith(OBJECT)
        ? `leak: ${label} holds a sampled original value`
        : `leak: ${n} row(s) of ${label} still hold a sampled original value`,
    ),
    ...Object.entries(patterns).map(
      ([label, c]) =>
        `leak: ${label} contains ${Object.entries(c)
          .map(([k, n]) => `${n} ${k}`)
          .join(
            ", ",
          )} (${label.startsWith(OBJECT) ? "set largeObjects: drop, or remove them from the object" : "classify the column, or allow them with allowPatterns"})`,
    ),
    ...lookalikes.found.map(lookalikeFinding),
    ...survived.map((label) => `leak: the canary planted in ${label} came out unchanged`),
  ];
  return {
    sampledValues: scan.hashes.size,
    sampledColumns: scan.sampled.length,
    sampledPhrases: scan.phrases.size,
    largeObjects: objects?.count ?? 0,
    hits,
    patterns,
    allowed,
    canaries: { planted: scan.canaries.length, survived },
    lookalikes: Object.fromEntries(lookalikes.found.map((l) => [l.label, l.kind])),
    durationMs,
    findings,
  };
}
