import type { LocalEnvironment } from "../../definitions/config.js";
import { inputError } from "../../errors.js";
import { POINT_IN_TIME_PREFIX } from "../../steps/restore.js";
import type {
  Provider,
  RestoredCopy,
  RestoreOptions,
  RestorePlan,
  RestoreSource,
} from "../types.js";
import { defaultClients, type AwsClients } from "./clients.js";

/**
 * A local environment that can also load `s3://` archives into its staging clusters: S3 from the
 * SDK's default chain (AWS_REGION, AWS_ENDPOINT_URL_S3…), loaded only when an s3:// archive is used.
 * Everything else goes to the wrapped provider unchanged.
 */
export function withS3Archives(
  inner: Provider,
  o: {
    root: string;
    postgres?: LocalEnvironment["postgres"];
    offline?: boolean;
    /** Only S3 is used here; tests may pass a whole set of clients. */
    clients?: Pick<AwsClients, "s3"> & Partial<AwsClients>;
  },
): Provider {
  const clients = o.clients ?? defaultClients(undefined);
  const isS3 = (s: RestoreSource) => s.kind === "archive" && s.path.startsWith("s3://");
  async function planRestore(source: RestoreSource): Promise<RestorePlan> {
    if (source.kind === "snapshot" && source.snapshot.startsWith(POINT_IN_TIME_PREFIX)) {
      throw inputError(
        "POINT_IN_TIME_UNSUPPORTED",
        `the ${inner.name} provider has no point-in-time restore`,
        "use from: { snapshot: latest } or { before: <time> }",
      );
    }
    if (!isS3(source) || source.kind !== "archive") return inner.planRestore(source);
    const { planS3Archive } = await import("./s3-archive-find.js");
    return planS3Archive(source.path, o.offline ? undefined : await clients.s3(), source.format);
  }
  async function restore(plan: RestorePlan, opts: RestoreOptions): Promise<RestoredCopy> {
    if (plan.source.kind !== "archive" || !plan.source.id.startsWith("s3://"))
      return inner.restore(plan, opts);
    const { restoreArchiveFromPlan } = await import("./s3-archive.js");
    return restoreArchiveFromPlan(
      { root: o.root, s3: () => clients.s3(), ...(o.postgres ? { postgres: o.postgres } : {}) },
      plan,
      opts,
    );
  }
  // A proxy, so members the Provider contract gains later still reach the inner provider.
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "planRestore") return planRestore;
      if (prop === "restore") return restore;
      if (prop === "s3Client") return () => clients.s3();
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
