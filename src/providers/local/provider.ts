import path from "node:path";
import type { LocalEnvironment } from "../../definitions/config.js";
import { inputError, platformError } from "../../errors.js";
import { silentLogger, type Logger } from "../../log.js";
import { withSession } from "../../db.js";
import type { TableInfo } from "../../scrub/catalog.js";
import type {
  CopyKeeper,
  FailoverPair,
  FailoverPairRequest,
  Provider,
  RestoredCopy,
  RestoreOptions,
  RestorePlan,
  RestoreSource,
  SourceDatabases,
} from "../types.js";
import { detectArchiveFormat, restoreArchive } from "./archive.js";
import { findServerBinaries, type ServerBinaries } from "./binaries.js";
import { formatAge, formatBytes } from "./files.js";
import { keepRunCopy } from "./keep.js";
import { serverUser, type RunAs } from "./os-user.js";
import { isPhysical, physicalPlanOf, planPhysical, type PhysicalPlan } from "./restore-physical.js";
import { restoreSnapshot } from "./restore-snapshot.js";
import { SandboxPrimary, sandboxPassword, sandboxPaths } from "./sandbox.js";
import { Snapshots, type SnapshotMeta } from "./snapshots.js";

export interface LocalProviderOptions {
  /** Project root: everything lives under `<root>/.drill/`. */
  root: string;
  environment: LocalEnvironment;
  environmentName?: string;
  log?: Logger;
  /** Where pg_restore and psql are looked for; defaults to /usr/lib/postgresql/*\/bin and PATH. */
  clientSearchDirs?: string[];
  /** Snapshots kept, newest first (default 3). */
  keepSnapshots?: number;
  /** The run's clock (a `latest` replay's "as of" time); default Date.now. */
  now?: () => number;
}

/** PostgreSQL clusters on this machine: the sandbox "production", its snapshots, run copies. */
export class LocalProvider implements Provider {
  readonly name = "local";
  readonly snapshots: Snapshots;
  private primary: SandboxPrimary | undefined;
  private server: Promise<{ bins: ServerBinaries; as: RunAs | undefined }> | undefined;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(readonly opts: LocalProviderOptions) {
    this.snapshots = new Snapshots(sandboxPaths(opts.root).snapshots, opts.keepSnapshots ?? 3);
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? (() => Date.now());
  }

  /** Binaries and the server user, found once and only when a cluster is needed. */
  private serverSetup() {
    this.server ??= (async () => ({
      bins: await findServerBinaries(this.opts.environment.postgres),
      as: await serverUser(),
    }))();
    this.server.catch(() => (this.server = undefined));
    return this.server;
  }

  async prepare(o: {
    signal: AbortSignal;
    progress(message: string): void;
    production?: boolean;
  }): Promise<Record<string, unknown>> {
    if (o.production === false) {
      o.progress("the drill uses nothing of production: sandbox left as it is");
      return { sandbox: "not used" };
    }
    const { bins, as } = await this.serverSetup();
    const primary = (this.primary ??= new SandboxPrimary(this.opts.root, bins, as));
    try {
      const created = await primary.ensureCreated(
        this.opts.environment.scale,
        o.progress,
        o.signal,
      );
      const port = await primary.start(o.signal);
      o.progress(`sandbox primary up on port ${port}`);
      const caught = await primary.catchUp(o.signal);
      if (caught.orders > 0)
        o.progress(`caught up: ${caught.orders} orders taken since ${caught.newestBefore}`);
      const snapshot = await this.ensureFreshSnapshot(primary, o);
      this.log.info({ port, created, caught, snapshot: snapshot.id }, "sandbox prepared");
      return {
        primaryPort: port,
        created: created.created,
        ...(created.created ? { seedMs: created.seedMs, seededRows: created.rows } : {}),
        ordersAppended: caught.orders,
        rowsAppended: caught.rows,
        snapshot: {
          id: snapshot.id,
          takenAt: snapshot.takenAt,
          size: snapshot.size,
          taken: snapshot.taken,
        },
      };
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  /** Like RDS automated backups: a new snapshot when the newest is older than the interval. */
  private async ensureFreshSnapshot(
    primary: SandboxPrimary,
    o: { signal: AbortSignal; progress(m: string): void },
  ) {
    const newest = await this.snapshots.pick({ latest: true });
    const age = newest ? Date.now() - new Date(newest.takenAt).getTime() : Infinity;
    if (newest && age < this.opts.environment.backupInterval) return { ...newest, taken: false };
    o.progress(
      newest
        ? `newest snapshot is ${formatAge(age)} old: taking a new one`
        : "taking the first snapshot",
    );
    const snap = await this.snapshots.take(
      { dataDir: primary.paths.dataDir, connection: await primary.connection("postgres") },
      o.signal,
    );
    o.progress(
      `snapshot ${snap.id} taken (${formatBytes(snap.size)}, ${(snap.durationMs / 1000).toFixed(1)} s)`,
    );
    return { ...snap, taken: true };
  }

  async planRestore(source: RestoreSource): Promise<RestorePlan> {
    if (source.kind === "pointInTime") {
      throw inputError(
        "POINT_IN_TIME_UNSUPPORTED",
        `the ${this.name} provider has no point-in-time restore`,
        "use from: { snapshot: latest } or { before: <time> }",
      );
    }
    if (isPhysical(source)) {
      return planPhysical(source, {
        root: this.opts.root,
        now: this.now,
        env: this.opts.environment,
      });
    }
    if (source.kind === "snapshot" && source.target) {
      // TODO(#16, this session): the sandbox's snapshots + WAL archive as a PhysicalSource.
      throw inputError(
        "BACKUP_SOURCE_UNSUPPORTED",
        `the ${this.name} provider cannot restore a snapshot to a target yet`,
        "use from: { snapshot } or { archive }",
      );
    }
    if (source.kind === "archive") {
      const { format, size } = await detectArchiveFormat(source.path, source.format);
      return {
        source: { kind: "archive", id: path.basename(source.path) },
        description: `pg_dump ${format} archive ${path.basename(source.path)} (${formatBytes(size)}) → new cluster on a free port`,
        details: { path: source.path, format, bytes: size },
      };
    }
    const snap =
      source.kind === "before"
        ? await this.snapshots.pick({ before: source.before })
        : source.snapshot === "latest"
          ? await this.snapshots.pick({ latest: true })
          : await this.snapshots.pick({ id: source.snapshot });
    if (!snap) {
      return {
        source: { kind: "snapshot", id: "latest" },
        description: "a new snapshot, taken when the drill starts → new cluster on a free port",
        details: { pending: true },
      };
    }
    return {
      source: { kind: "snapshot", id: snap.id, takenAt: snap.takenAt },
      description: `snapshot ${snap.id} (taken ${formatAge(Date.now() - new Date(snap.takenAt).getTime())} ago, ${formatBytes(snap.size)}) → new cluster on a free port`,
      details: { snapshot: snap.id, bytes: snap.size, postgresVersion: snap.postgresVersion },
    };
  }

  async restore(plan: RestorePlan, opts: RestoreOptions): Promise<RestoredCopy> {
    const physical = physicalPlanOf(plan);
    if (physical) return this.restorePhysical(physical, opts);
    const { bins, as } = await this.serverSetup();
    const root = this.opts.root;
    if (plan.source.kind === "archive") {
      const file = typeof plan.details.path === "string" ? plan.details.path : plan.source.id;
      return restoreArchive(
        {
          root,
          bins,
          as,
          ...(this.opts.clientSearchDirs ? { clientSearchDirs: this.opts.clientSearchDirs } : {}),
        },
        file,
        opts,
        // Only a declared plain archive is detected as plain by planRestore.
        plan.details.format === "plain" ? "plain" : undefined,
      );
    }
    const snap = await this.resolveSnapshot(plan);
    return restoreSnapshot(
      { root, bins, as, snapshots: this.snapshots, sandboxPassword: await sandboxPassword(root) },
      snap,
      opts,
    );
  }

  /** A physical backup: the server binaries of its major, then WAL replay (recovery/). */
  private async restorePhysical(p: PhysicalPlan, opts: RestoreOptions): Promise<RestoredCopy> {
    const { binariesForMajor, restoreBackup } = await import("./recovery/index.js");
    const bins = await binariesForMajor(p.backup.set.postgresMajor, this.opts.environment.postgres);
    const { superuser, database, target } = p.request;
    return restoreBackup(
      { root: this.opts.root, bins, as: await serverUser(), now: this.now },
      p.source,
      p.backup,
      { superuser, database, target },
      opts,
    );
  }

  /** A plan made before `prepare` may say "latest" with none yet: resolve it now. */
  private async resolveSnapshot(plan: RestorePlan): Promise<SnapshotMeta> {
    const snap =
      plan.details.pending === true || plan.source.id === "latest"
        ? await this.snapshots.pick({ latest: true })
        : await this.snapshots.pick({ id: plan.source.id });
    if (!snap) {
      throw platformError(
        "NO_SNAPSHOT",
        "the sandbox has no snapshot yet",
        "run the drill (prepare takes the first snapshot) or `drill sandbox status`",
      );
    }
    return snap;
  }

  /** The tables of one of the sandbox production's databases (shop unless named), read-only. */
  async sourceCatalog(signal: AbortSignal, database?: string): Promise<TableInfo[]> {
    if (!this.primary) throw new Error("sourceCatalog before prepare");
    const { readCatalog } = await import("../../scrub/catalog.js");
    const conn = await this.primary.connection(database);
    return withSession(conn, (db) => readCatalog(db), {
      signal,
      readOnly: true,
      applicationName: "drill preflight",
    });
  }

  /** The sandbox production's databases (as a copy's scrub lists them); its own is the shop. */
  async sourceDatabases(signal: AbortSignal): Promise<SourceDatabases> {
    if (!this.primary) throw new Error("sourceDatabases before prepare");
    const { NOT_DATA } = await import("../../scrub/databases.js");
    const conn = await this.primary.connection();
    const { rows } = await withSession(
      conn,
      (db) =>
        db.query<{ datname: string }>(
          "select datname from pg_database where datname <> all($1::text[]) order by datname",
          [NOT_DATA],
        ),
      { signal, readOnly: true, applicationName: "drill preflight" },
    );
    return { names: rows.map((r) => r.datname), own: conn.database };
  }

  /** A pair to fail over: the run's copy or the sandbox primary, each given a standby. */
  async failoverPair(request: FailoverPairRequest): Promise<FailoverPair> {
    const { bins, as } = await this.serverSetup();
    const { localFailoverPair } = await import("./failover.js");
    return localFailoverPair({ root: this.opts.root, bins, as, sandbox: this.primary }, request);
  }

  /** Leave the run's scrubbed copy running for the team until `until` (scrub's `keep`). */
  readonly keeper: CopyKeeper = { keep: (o) => keepRunCopy(this.opts.root, o) };

  async release(): Promise<void> {
    await this.primary?.stop();
  }
}
