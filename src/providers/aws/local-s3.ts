import { LocalProvider, type LocalProviderOptions } from "../local/provider.js";
import { RUN_TTL_MS } from "../local/owner.js";
import type {
  ObjectStore,
  RestoredCopy,
  RestoreOptions,
  RestorePlan,
  RestoreSource,
} from "../types.js";
import { defaultClients, type AwsClients } from "./clients.js";
import { s3ObjectStore } from "./object-store.js";

export interface LocalS3Options {
  /** `drill plan --offline`: an s3:// archive is described, not looked up. */
  offline?: boolean;
  /** Only S3 is used here; tests may pass a whole set of clients. */
  clients?: Pick<AwsClients, "s3"> & Partial<AwsClients>;
}

/**
 * A local environment that also reaches S3: `s3://` archives load into its staging clusters and
 * the `s3-restore` step has an object store. S3 comes from the SDK's default chain
 * (AWS_REGION, AWS_ENDPOINT_URL_S3…) and is loaded only when used; everything else is the local
 * provider's own.
 */
export class LocalS3Provider extends LocalProvider {
  private readonly s3: Pick<AwsClients, "s3">;

  constructor(
    opts: LocalProviderOptions,
    private readonly s3Opts: LocalS3Options = {},
  ) {
    super(opts);
    this.s3 = s3Opts.clients ?? defaultClients(undefined);
  }

  /** A run bucket expires like a local run folder. */
  objectStore(): ObjectStore {
    return s3ObjectStore(() => this.s3.s3(), RUN_TTL_MS);
  }

  override async planRestore(source: RestoreSource): Promise<RestorePlan> {
    if (source.kind === "basebackup") {
      const { usesS3, s3BasebackupSource } = await import("./s3-basebackup.js");
      if (usesS3(source)) return this.planS3Basebackup(source, s3BasebackupSource);
    }
    if (source.kind !== "archive" || !source.path.startsWith("s3://"))
      return super.planRestore(source);
    const { planS3Archive } = await import("./s3-archive-find.js");
    return planS3Archive(
      source.path,
      this.s3Opts.offline ? undefined : await this.s3.s3(),
      source.format,
    );
  }

  /** Restored by the local provider's physical restore: the plan carries the S3 source. */
  private async planS3Basebackup(
    source: Extract<RestoreSource, { kind: "basebackup" }>,
    make: typeof import("./s3-basebackup.js").s3BasebackupSource,
  ): Promise<RestorePlan> {
    const now = this.opts.now ?? (() => Date.now());
    if (this.s3Opts.offline) {
      const { offlineBasebackupPlan } = await import("./s3-wal.js");
      return offlineBasebackupPlan(source, now());
    }
    const { planPhysical } = await import("../local/restore-physical.js");
    return planPhysical(source, {
      root: this.opts.root,
      now,
      env: this.opts.environment,
      source: make(source, { s3: () => this.s3.s3(), now }),
    });
  }

  override async restore(plan: RestorePlan, opts: RestoreOptions): Promise<RestoredCopy> {
    if (plan.source.kind !== "archive" || !plan.source.id.startsWith("s3://"))
      return super.restore(plan, opts);
    const { restoreArchiveFromPlan } = await import("./s3-archive.js");
    const { postgres } = this.opts.environment;
    const { clientSearchDirs } = this.opts;
    return restoreArchiveFromPlan(
      {
        root: this.opts.root,
        s3: () => this.s3.s3(),
        postgres,
        ...(clientSearchDirs ? { clientSearchDirs } : {}),
      },
      plan,
      opts,
    );
  }
}
