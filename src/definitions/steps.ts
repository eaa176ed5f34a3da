import type { Drill, DrillStep } from "./drill.js";
import { kindOf } from "./one-of.js";
import type { PathSegment } from "./problems.js";
import {
  stepKinds,
  type StepKindName,
  type StepOptions,
  type StepRegistry,
} from "../steps/registry.js";
import type {
  PlanContext,
  PreflightContext,
  ScrubberUse,
  StepContext,
  StepResult,
} from "../steps/types.js";

/**
 * One step of a run as every module sees it: its kind with its options (typed by the kind), its
 * name and timeout, what it declared about itself, and its kind's functions bound to its options.
 */
export interface StepOf<K extends StepKindName> {
  kind: K;
  /** `name:` as written, else the kind, numbered when the kind appears more than once. */
  name: string;
  timeoutMs: number;
  options: StepOptions<K>;
  /** Where it is written: `["steps", 2, "scrub"]`; an appended cleanup gets the next index. */
  path: PathSegment[];
  needsCopy: boolean;
  touchesProduction: boolean;
  movesCopy: boolean;
  /** The scrubbers it names; each `path` is from the drill's root. */
  scrubbers: ScrubberUse[];
  measures: readonly string[];
  plan(ctx: PlanContext): Promise<Record<string, unknown>>;
  run(ctx: StepContext): Promise<StepResult>;
  preflight(ctx: PreflightContext): Promise<void>;
}

export type ResolvedStep = { [K in StepKindName]: StepOf<K> }[StepKindName];

/** A drill with its steps resolved: what the runner, `drill plan` and `drill list` work from. */
export interface ResolvedDrill {
  drill: Drill;
  steps: readonly ResolvedStep[];
}

/**
 * The steps a run performs, in order, cleanup appended when the drill does not write it (it
 * always runs). The one place that reads the `- restore: {…}` shape of a drill's steps. `kinds`:
 * the step kinds to bind (tests pass their own).
 */
export function resolveSteps(
  drill: Pick<Drill, "steps">,
  kinds: Partial<StepRegistry> = stepKinds,
): ResolvedStep[] {
  const entries: Entry[] = drill.steps.map((s) => kindOf(s));
  if (entries.at(-1)?.[0] !== "cleanup") entries.push(["cleanup", {}]);
  return entries.map((entry, index) => {
    const [kind, options] = entry;
    const first = entries.findIndex(([k]) => k === kind) === index;
    const name = options.name ?? (first ? kind : `${kind}#${index + 1}`);
    return bind(entry, kinds, name, index);
  });
}

/**
 * A step as written, for the drill schema's own rules, which run even when a step's schema
 * complained: undefined unless it has exactly one kind.
 */
export function writtenStep(step: DrillStep, index: number): ResolvedStep | undefined {
  const present = Object.values(step).filter((v) => v !== undefined);
  return present.length === 1 ? bind(kindOf(step), stepKinds, "", index) : undefined;
}

type Entry = { [K in StepKindName]: [K, StepOptions<K>] }[StepKindName];

function bind<K extends StepKindName>(
  [kind, options]: [K, StepOptions<K>],
  kinds: Partial<StepRegistry>,
  name: string,
  index: number,
): ResolvedStep {
  const path = ["steps", index, kind];
  const step = kinds[kind];
  if (!step) throw new Error(`no step kind "${kind}" (the drill schema should have refused it)`);
  const resolved: StepOf<K> = {
    kind,
    name,
    timeoutMs: options.timeout ?? step.defaultTimeoutMs,
    options,
    path,
    needsCopy: step.needsCopy?.(options) ?? false,
    touchesProduction: step.touchesProduction?.(options) ?? false,
    movesCopy: step.movesCopy?.(options) ?? false,
    scrubbers: (step.scrubbers?.(options) ?? []).map((use) => ({
      name: use.name,
      path: [...path, ...use.path],
    })),
    measures: step.measures,
    plan: (ctx) => step.plan(options, ctx),
    run: (ctx) => step.run(options, ctx),
    preflight: async (ctx) => step.preflight?.(options, ctx),
  };
  // K is one kind (kindOf pairs each kind with its own options); TS cannot see that through a union.
  return resolved as ResolvedStep;
}

/** A parsed drill with its steps resolved by the known step kinds. */
export const resolveDrill = (drill: Drill): ResolvedDrill => ({
  drill,
  steps: resolveSteps(drill),
});
