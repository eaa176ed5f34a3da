import type { AwsEnvironment } from "../../definitions/config.js";
import { silentLogger, type Logger } from "../../log.js";
import type {
  Provider,
  RestoredCopy,
  RestoreOptions,
  RestorePlan,
  RestoreSource,
} from "../types.js";
import type { FailoverPair, FailoverPairRequest } from "../types.js";
import { defaultClients, type AwsClients } from "./clients.js";
import { awsFailoverPairFor } from "./failover.js";
import { call } from "./errors.js";
import {
  assertInstanceClass,
  assertNotProduction,
  drillOfRunId,
  runTags,
  stagingIdentifier,
} from "./guard.js";
import type { CreateSpec } from "./params.js";
import { plannedCalls } from "./plan.js";
import { isCluster, productionId, resolveSource, wantedOf, type ResolvedSource } from "./source.js";
import { DEFAULT_WAITS, type WaitSettings } from "./wait.js";

export interface AwsProviderOptions {
  /** Project root: S3 archives are loaded into a local cluster under `<root>/.drill/`. */
  root: string;
  environment: AwsEnvironment;
  environmentName: string;
  /** Tagged on what a run creates; taken from the run id when absent. */
  drill?: string;
  log?: Logger;
  /** `drill plan --offline`: describe the calls, make none (no credentials needed). */
  offline?: boolean;
  /** Tests inject clients built against aws-sdk-client-mock or s3rver. */
  clients?: AwsClients;
  waits?: Partial<WaitSettings>;
  /** A drill's own class, checked against the allow-list; default `staging.instanceClass`. */
  instanceClass?: string;
  clientSearchDirs?: string[];
}

/** RDS instances and Aurora clusters restored into the environment's staging limits. */
export class AwsProvider implements Provider {
  readonly name = "aws";
  readonly clients: AwsClients;
  private readonly env: AwsEnvironment;
  private readonly waits: WaitSettings;
  private readonly log: Logger;

  constructor(readonly opts: AwsProviderOptions) {
    this.env = opts.environment;
    this.clients = opts.clients ?? defaultClients(opts.environment.region);
    this.waits = { ...DEFAULT_WAITS, ...opts.waits };
    this.log = opts.log ?? silentLogger;
  }

  /** For the `s3-restore` step: the environment's S3 client. */
  s3Client() {
    return this.clients.s3();
  }

  /** One cheap call: credentials work and production exists (and is PostgreSQL-compatible). */
  async prepare(): Promise<Record<string, unknown>> {
    if (this.opts.offline) return { offline: true };
    const sdk = await import("@aws-sdk/client-rds");
    const rds = await this.clients.rds();
    const id = productionId(this.env);
    const engine = await call(`describing production ${id}`, async () =>
      isCluster(this.env)
        ? (await rds.send(new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: id })))
            .DBClusters?.[0]?.Engine
        : (await rds.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
            .DBInstances?.[0]?.Engine,
    );
    this.log.info({ production: id, engine }, "aws environment reachable");
    return { region: this.env.region, production: id, engine };
  }

  private instanceClass(): string {
    const cls = this.opts.instanceClass ?? this.env.staging.instanceClass;
    assertInstanceClass(this.env, cls);
    return cls;
  }

  async planRestore(source: RestoreSource): Promise<RestorePlan> {
    if (source.kind === "archive") {
      const { planArchive } = await import("./s3-archive.js");
      return planArchive(source.path, this.opts.offline ? undefined : await this.clients.s3());
    }
    const instanceClass = this.instanceClass();
    const wanted = wantedOf(source);
    const resolved = this.opts.offline
      ? undefined
      : await resolveSource(this.env, await this.clients.rds(), wanted);
    const id = "drill-<run id>";
    const calls = plannedCalls(this.env, wanted, resolved, { id, instanceClass, tags: [] });
    const what = isCluster(this.env) ? "Aurora cluster" : "RDS instance";
    const from = !resolved
      ? wanted.kind === "pointInTime"
        ? `point in time ${wanted.time === "latest" ? "latest restorable" : wanted.time.toISOString()}`
        : `snapshot ${wanted.kind === "before" ? `before ${wanted.before.toISOString()}` : wanted.id}`
      : resolved.kind === "snapshot"
        ? `snapshot ${resolved.snapshot}${resolved.takenAt ? ` (taken ${resolved.takenAt})` : ""}`
        : `point in time ${resolved.time === "latest" ? `latest restorable (${resolved.latestRestorableTime ?? "?"})` : resolved.time}`;
    return {
      source: sourceOf(resolved, wanted),
      description: `${from} of ${productionId(this.env)} → new ${what} ${id} (${instanceClass}, private, ${this.env.region})${this.opts.offline ? " [offline: nothing looked up]" : ""}`,
      details: { asked: askedOf(wanted), ...(resolved ? { resolved } : { offline: true }), calls },
    };
  }

  async restore(plan: RestorePlan, opts: RestoreOptions): Promise<RestoredCopy> {
    if (plan.source.kind === "archive") {
      const { restoreArchiveFromPlan } = await import("./s3-archive.js");
      return restoreArchiveFromPlan(
        {
          root: this.opts.root,
          s3: () => this.clients.s3(),
          ...(this.opts.clientSearchDirs ? { clientSearchDirs: this.opts.clientSearchDirs } : {}),
        },
        plan,
        opts,
      );
    }
    const instanceClass = this.instanceClass();
    const id = stagingIdentifier(opts.runId);
    assertNotProduction(this.env, id, "restore onto");
    const rds = await this.clients.rds();
    const resolved =
      (plan.details.resolved as ResolvedSource | undefined) ??
      (await resolveSource(this.env, rds, wantedBack(plan)));
    const spec: CreateSpec = {
      id,
      instanceClass,
      tags: runTags({
        runId: opts.runId,
        drill: this.opts.drill ?? drillOfRunId(opts.runId),
        environment: this.opts.environmentName,
        expiresAt: new Date(Date.now() + this.env.staging.ttl),
      }),
      from:
        resolved.kind === "snapshot"
          ? { snapshot: resolved.snapshot }
          : { pointInTime: resolved.time },
      engine: resolved.engine,
      engineVersion: resolved.engineVersion,
    };
    const run = { env: this.env, rds, runId: opts.runId, waits: this.waits };
    const cost = (ms: number) => this.cost(ms);
    if (isCluster(this.env)) {
      const { restoreCluster } = await import("./cluster.js");
      return restoreCluster(
        run,
        spec,
        { ...plan, source: sourceOf(resolved, undefined) },
        opts,
        cost,
      );
    }
    const { restoreInstance } = await import("./instance.js");
    return restoreInstance(
      run,
      spec,
      { ...plan, source: sourceOf(resolved, undefined) },
      opts,
      cost,
    );
  }

  /** RDS bills per second with a 10-minute minimum; Aurora adds storage and I/O (not estimated). */
  private cost(ms: number): Record<string, unknown> {
    const price = this.env.hourlyPrice;
    if (price === undefined) return { hourlyPrice: null };
    const hours = Math.max(ms, 10 * 60_000) / 3_600_000;
    // Multi-AZ bills a standby instance; Aurora here runs one instance.
    const instances = !isCluster(this.env) && this.env.staging.multiAz ? 2 : 1;
    return {
      hourlyPrice: price,
      instances,
      instanceHours: Number((hours * instances).toFixed(3)),
      estimateUsd: Number((hours * instances * price).toFixed(2)),
      final: ms > 0,
    };
  }

  async release(): Promise<void> {}

  failoverPair(req: FailoverPairRequest): Promise<FailoverPair> {
    return awsFailoverPairFor(this.env, this.clients, req);
  }
}

function sourceOf(
  resolved: ResolvedSource | undefined,
  wanted: Wanted | undefined,
): RestorePlan["source"] {
  if (resolved?.kind === "snapshot") {
    return {
      kind: "snapshot",
      id: resolved.snapshot,
      ...(resolved.takenAt ? { takenAt: resolved.takenAt } : {}),
    };
  }
  if (resolved?.kind === "pointInTime") {
    const at = resolved.time === "latest" ? resolved.latestRestorableTime : resolved.time;
    return {
      kind: "snapshot",
      id: `point-in-time:${resolved.time}`,
      ...(at ? { takenAt: at } : {}),
    };
  }
  if (wanted?.kind === "pointInTime") {
    return {
      kind: "snapshot",
      id: `point-in-time:${wanted.time === "latest" ? "latest" : wanted.time.toISOString()}`,
    };
  }
  return { kind: "snapshot", id: wanted?.kind === "snapshot" ? wanted.id : "latest" };
}

type Wanted = ReturnType<typeof wantedOf>;

/** What was asked, as plain JSON in the plan: a plan made offline is resolved at restore. */
const askedOf = (w: Wanted) =>
  w.kind === "snapshot"
    ? { snapshot: w.id }
    : w.kind === "before"
      ? { before: w.before.toISOString() }
      : { pointInTime: w.time === "latest" ? "latest" : w.time.toISOString() };

function wantedBack(plan: RestorePlan): Wanted {
  const a = (plan.details.asked ?? {}) as {
    snapshot?: string;
    before?: string;
    pointInTime?: string;
  };
  if (a.before) return { kind: "before", before: new Date(a.before) };
  if (a.pointInTime) {
    return {
      kind: "pointInTime",
      time: a.pointInTime === "latest" ? "latest" : new Date(a.pointInTime),
    };
  }
  return { kind: "snapshot", id: a.snapshot ?? plan.source.id };
}
