import type { z } from "zod";
import type { ConnectionInfo, Clock } from "../types.js";
import type { Provider, RestoreSourceKind, SourceDatabases } from "../providers/types.js";
import type { Drill } from "../definitions/drill.js";
import type { Logger } from "../log.js";
import type { Scrubber } from "../definitions/scrubber.js";
import type { Measurement, RunRecord } from "../types.js";
import type { ResolvedStep } from "../definitions/steps.js";
import type { PathSegment } from "../definitions/problems.js";
import type { TableInfo } from "../scrub/catalog.js";
import type { ScrubberSource } from "../scrub/plan.js";

/** What steps may read of the project's past and files, loaded before the run starts. */
export interface RunResources {
  /** Scrubbers by name (file stem), with their secrets already interpolated from the env. */
  scrubbers: ReadonlyMap<string, Scrubber>;
  /** Where each scrubber was written, so a rule the database contradicts is named by line. */
  scrubberSources?: ReadonlyMap<string, ScrubberSource>;
  /** Where the drill was written, so a step option production contradicts is named by line. */
  drillSource?: ScrubberSource;
  /** Earlier runs of this drill, newest first (for comparisons with the past). */
  history(): Promise<RunRecord[]>;
  /** The project's key for example hashes (redact.ts); absent: a key for this run only. */
  examplesKey?(): Promise<Buffer>;
}

/** The restored copy a run works on. Set by `restore`, used by the steps after it. */
export interface Target {
  connection: ConnectionInfo;
  /** The copy's superuser where `connection` is not one (see RestoredCopy.admin). */
  admin?: ConnectionInfo;
  /** What was restored: snapshot id and the time it was taken, or the archive. */
  source: { kind: RestoreSourceKind; id: string; takenAt?: string };
  /** When the copy became reachable (epoch ms). */
  readyAt: number;
}

export interface StepContext {
  runId: string;
  resources: RunResources;
  /** Paths in drill files are relative to the project root. */
  resolvePath(path: string): string;
  drill: Drill;
  /** Every step of the run, cleanup included: what the others declared about themselves. */
  steps: readonly ResolvedStep[];
  /** This step, as resolved (its name, where it is written). */
  step: ResolvedStep;
  provider: Provider;
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  /** The copy restored earlier in this run, if any. */
  target: Target | undefined;
  setTarget(target: Target): void;
  /** Register work that the cleanup step must do, whatever happens (run in reverse order). */
  defer(label: string, fn: () => Promise<void>): void;
  /** Undo everything registered with `defer`, newest first (the cleanup step calls this). */
  runDeferred(): Promise<{ label: string; error?: string }[]>;
  /** Live progress line for the display (e.g. "copying snapshot, 40%"). */
  progress(message: string): void;
  /**
   * Record a measurement beside its objective (objective in ms or a count; null when none). Only
   * names the step kind declares in `measures`. `about` says what was measured, for later steps.
   */
  measure(name: string, value: number | null, objective?: number | null, about?: string): void;
  /** The newest value of a measurement recorded earlier in this run, and which step recorded it. */
  measurement(name: string): RecordedMeasurement | undefined;
}

export interface RecordedMeasurement extends Measurement {
  /** The name of the step that recorded it. */
  step: string;
  /** What it measured ("newestData orders.created_at"), when the step said. */
  about?: string;
}

export interface StepResult {
  outcome: "passed" | "failed";
  details: Record<string, unknown>;
  /** One line per reason the step failed (a failed check with its values). */
  findings?: string[];
}

/** A scrubber a step names, and where in the step's options (for messages). */
export interface ScrubberUse {
  name: string;
  path: PathSegment[];
}

/**
 * One kind of step: its options schema, its defaults, how to plan it and how to run it, and the
 * facts other modules need about a step of this kind, so that none of them reads its options.
 */
export interface StepKind<K extends string = string, O = unknown> {
  kind: K;
  schema: z.ZodType<O>;
  defaultTimeoutMs: number;
  /** The measurements it records (`ctx.measure` refuses others). */
  measures: readonly string[];
  /** It works on the run's restored copy, so a restore step must come before it. */
  needsCopy?(options: O): boolean;
  /** It reads or writes production (a snapshot restore, a production failover). */
  touchesProduction?(options: O): boolean;
  /** It moves the copy to another server (a failover of staging promotes its standby). */
  movesCopy?(options: O): boolean;
  /** The scrubbers it names (files in scrubbers/). */
  scrubbers?(options: O): ScrubberUse[];
  /** What a dry run says this step would do, resolving what it can without creating anything. */
  plan(options: O, ctx: PlanContext): Promise<Record<string, unknown>>;
  run(options: O, ctx: StepContext): Promise<StepResult>;
  /**
   * What must fail before anything is created but needs the platform to know (a scrubber rule
   * naming a column production does not have). Runs after `prepare`, before the first step;
   * throws a DrillError.
   */
  preflight?(options: O, ctx: PreflightContext): Promise<void>;
}

export interface PreflightContext extends PlanContext {
  signal: AbortSignal;
  /**
   * The tables of a database the run restores (`database`, or the one the copy's connection
   * names), read from its source before restoring; undefined when the provider cannot (AWS:
   * production is not ours to connect to) or the source is an archive.
   */
  sourceCatalog(database?: string): Promise<TableInfo[] | undefined>;
  /** The source's databases and its own one, undefined like sourceCatalog. */
  sourceDatabases?(): Promise<SourceDatabases | undefined>;
}

export interface PlanContext {
  resources: RunResources;
  drill: Drill;
  /** Every step of the run, cleanup included. */
  steps: readonly ResolvedStep[];
  /** The step being planned or checked. */
  step: ResolvedStep;
  resolvePath(path: string): string;
  provider: Provider;
}

/**
 * A step kind whose options are what its schema outputs; `schema` keeps its own type, which the
 * drill schema is built from.
 */
export const defineStep = <K extends string, S extends z.ZodType>(
  step: StepKind<K, z.output<S>> & { schema: S },
): StepKind<K, z.output<S>> & { schema: S } => step;
