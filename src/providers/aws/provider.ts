import type { AwsEnvironment } from "../../definitions/config.js";
import { silentLogger, type Logger } from "../../log.js";
import type {
  FailoverPair,
  FailoverPairRequest,
  KeepRequest,
  ObjectStore,
  Provider,
  RestoredCopy,
  RestoreOptions,
  RestorePlan,
  RestoreSource,
} from "../types.js";
import { defaultClients, type AwsClients } from "./clients.js";
import { call } from "./errors.js";
import { inputError } from "../../errors.js";
import { awsFailoverPairFor } from "./failover.js";
import { assertInstanceClass } from "./guard.js";
import { s3ObjectStore } from "./object-store.js";
import type { AwsKeptCopy } from "./keep.js";
import { teamGroupsOf } from "./quarantine.js";
import type { AwsContext } from "./restore.js";
import { isCluster, productionId, wantedOf } from "./source.js";
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

  /** The `s3-restore` step's buckets: the environment's region, its staging ttl. */
  objectStore(): ObjectStore {
    return s3ObjectStore(() => this.clients.s3(), this.env.staging.ttl);
  }

  /** Scrub's `keep`, refused before the restore where the team could not reach the copy. */
  readonly keeper: { check(): void; keep(o: KeepRequest): Promise<AwsKeptCopy> } = {
    // The team reaches a kept copy only through `staging.teamSecurityGroups`.
    check: () => {
      teamGroupsOf(this.env, this.opts.environmentName);
    },
    keep: (o) => this.keep(o),
  };

  private context(): AwsContext {
    return {
      env: this.env,
      envName: this.opts.environmentName,
      drill: this.opts.drill,
      clients: this.clients,
      waits: this.waits,
      offline: this.opts.offline ?? false,
    };
  }

  /** One cheap call: credentials work and production exists (and is PostgreSQL-compatible). */
  async prepare(): Promise<Record<string, unknown>> {
    if (this.opts.offline) return { offline: true };
    const sdk = await import("@aws-sdk/client-rds");
    const rds = await this.clients.rds();
    const id = productionId(this.env);
    // Not describeDb: a production that does not exist is an error here, not "absent".
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
      return planArchive(
        source.path,
        this.opts.offline ? undefined : await this.clients.s3(),
        source.format,
      );
    }
    if (source.kind === "pgbackrest" || source.kind === "barman" || source.kind === "basebackup") {
      // TODO(#16, this session): delegate to the local provider's backup restore.
      throw inputError(
        "BACKUP_SOURCE_LOCAL_ONLY",
        `a ${source.kind} backup is restored by the local provider`,
        "use an environment with provider: local",
      );
    }
    const instanceClass = this.instanceClass();
    const { planDbRestore } = await import("./restore.js");
    return planDbRestore(this.context(), instanceClass, wantedOf(source));
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
    const { restoreDbFromPlan } = await import("./restore.js");
    return restoreDbFromPlan(this.context(), instanceClass, plan, opts);
  }

  /** After the scrub and leak scan passed: the team's groups, then the tags. */
  private async keep(o: KeepRequest): Promise<AwsKeptCopy> {
    const { keepAwsCopy } = await import("./keep.js");
    const run = {
      env: this.env,
      rds: await this.clients.rds(),
      runId: o.runId,
      waits: this.waits,
    };
    const kept = await keepAwsCopy(
      { env: this.env, envName: this.opts.environmentName, root: this.opts.root, run },
      o,
    );
    this.log.info({ runId: o.runId, until: kept.until, host: kept.host }, "copy kept for the team");
    return kept;
  }

  async release(): Promise<void> {}

  failoverPair(req: FailoverPairRequest): Promise<FailoverPair> {
    return awsFailoverPairFor(this.env, this.clients, req);
  }
}
