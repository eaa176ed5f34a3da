import { rm } from "node:fs/promises";
import type { AwsEnvironment } from "../definitions/config.js";
import { awsKeptPgpassFile } from "../state/layout.js";
import { defaultClients, type AwsClients } from "../providers/aws/clients.js";
import { findExpiredResources, type ExpiredResource } from "../providers/aws/expired.js";
import { DEFAULT_WAITS } from "../providers/aws/wait.js";
import type { CleanupOptions, CleanupScope, Leftover } from "./types.js";

const KINDS: Record<ExpiredResource["kind"], string> = {
  instance: "rds instance",
  cluster: "aurora cluster",
  snapshot: "rds snapshot copy",
  "cluster-snapshot": "aurora snapshot copy",
  bucket: "staging bucket",
};

/**
 * What runs left in each selected `aws` environment: tagged resources past `drill:expires-at`,
 * or of a run known dead. Deleted with the same guarded functions a run's cleanup uses, which
 * refuse anything without that run's tag and anything configured as production.
 */
export async function awsLeftovers(
  scope: CleanupScope,
  deadRuns: ReadonlySet<string>,
  opts: CleanupOptions,
): Promise<Leftover[]> {
  const out: Leftover[] = [];
  for (const name of scope.environments) {
    const env = scope.project.config.environments[name];
    if (env?.provider !== "aws") continue;
    const clients = opts.aws?.clients?.(name, env) ?? defaultClients(env.region);
    const found = await findExpiredResources(env, clients, {
      environmentName: name,
      now: scope.now,
      deadRuns,
    });
    const waits = { ...DEFAULT_WAITS, ...opts.aws?.waits };
    for (const r of found) {
      out.push({
        kind: KINDS[r.kind],
        what: `${r.id} (${name})`,
        why: r.why,
        runId: r.runId,
        remove: () => remove(scope.project.root, env, clients, r, waits),
      });
    }
  }
  return out;
}

async function remove(
  root: string,
  env: AwsEnvironment,
  clients: AwsClients,
  r: ExpiredResource,
  waits: typeof DEFAULT_WAITS,
): Promise<void> {
  const o = { signal: AbortSignal.timeout(waits.deletedMs * 2), progress: () => {} };
  if (r.kind === "bucket") {
    const { deleteStagingBucket } = await import("../providers/aws/staging-bucket.js");
    await deleteStagingBucket(await clients.s3(), r.id, r.runId);
    return;
  }
  const run = { env, rds: await clients.rds(), runId: r.runId, waits };
  if (r.kind === "snapshot" || r.kind === "cluster-snapshot") {
    const { deleteSnapshotCopy } = await import("../providers/aws/snapshot-copy.js");
    await deleteSnapshotCopy(run, r.kind === "snapshot" ? "instance" : "cluster", r.id, o);
    return;
  }
  const { deleteDb } = await import("../providers/aws/db-delete.js");
  await deleteDb(run, r.kind, r.id, o);
  // A copy kept for the team left its password file: it opens nothing any more.
  await rm(awsKeptPgpassFile(root, r.runId), { force: true });
}
