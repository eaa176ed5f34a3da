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
import { isPhysical, physicalPlanOf } from "../local/restore-physical.js";
import type { LocalS3Provider } from "./local-s3.js";
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
  private localProvider: Promise<LocalS3Provider> | undefined;

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

  /**
   * A self-hosted backup (pgBackRest, Barman, pg_basebackup) restored on this machine, as a
   * local environment restores it: production here is not ours to touch, so the copy is a
   * staging cluster under the project, with the server binaries of the backup's major (Debian's
   * or the embedded ones), and S3 from this environment's clients.
   */
  private local() {
    this.localProvider ??= import("./local-s3.js").then(
      ({ LocalS3Provider }) =>
        new LocalS3Provider(
          {
            root: this.opts.root,
            environment: { provider: "local", postgres: "embedded", scale: 1, backupInterval: 0 },
            environmentName: this.opts.environmentName,
            log: this.log,
          },
          { clients: this.clients, ...(this.opts.offline ? { offline: true } : {}) },
        ),
    );
    return this.localProvider;
  }

  /** One cheap call: credentials work and production exists (and is PostgreSQL-compatible). */
  async prepare(o?: { production?: boolean }): Promise<Record<string, unknown>> {
    if (this.opts.offline) return { offline: true };
    // A drill that restores a self-hosted backup or an archive needs nothing of RDS.
    if (o?.production === false) return { production: "not used" };
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
    if (isPhysical(source)) return (await this.local()).planRestore(source);
    const instanceClass = this.instanceClass();
    const { planDbRestore } = await import("./restore.js");
    return planDbRestore(this.context(), instanceClass, wantedOf(source));
  }

  async restore(plan: RestorePlan, opts: RestoreOptions): Promise<RestoredCopy> {
    if (physicalPlanOf(plan)) return (await this.local()).restore(plan, opts);
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
