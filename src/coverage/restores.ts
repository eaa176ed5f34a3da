import type { Environment } from "../definitions/config.js";
import type { ResolvedDrill } from "../definitions/steps.js";
import type { ResourceKind } from "./model.js";

export interface Restored {
  kind: ResourceKind;
  id: string;
}

/**
 * What a drill's restore steps restore, in the drill's environment: a snapshot, a time before or
 * a point in time read production (the RDS instance or Aurora cluster, or the local sandbox); an
 * archive or a physical backup names its own source, an S3 one by its s3:// address.
 */
export function restoredBy({ steps }: ResolvedDrill, env: Environment): Restored[] {
  const out: Restored[] = [];
  for (const step of steps) {
    if (step.kind !== "restore") continue;
    const from = step.options.from;
    if (from.archive !== undefined) out.push(fileOrS3("archive", from.archive));
    else if (from.basebackup !== undefined) out.push(fileOrS3("basebackup", from.basebackup.base));
    else if (from.pgbackrest !== undefined) {
      const c = from.pgbackrest.config;
      const stanza = from.pgbackrest.stanza;
      if (typeof c === "object" && "s3" in c)
        out.push({ kind: "s3-prefix", id: `s3://${c.s3.bucket}${c.s3.repoPath ?? "/"}` });
      else
        out.push({ kind: "pgbackrest", id: `${stanza}@${typeof c === "string" ? c : c.repoPath}` });
    } else if (from.barman !== undefined)
      out.push({ kind: "barman", id: `${from.barman.server}@${from.barman.config}` });
    else out.push(productionOf(env));
  }
  return out;
}

function productionOf(env: Environment): Restored {
  if (env.provider === "local") return { kind: "sandbox", id: "production" };
  return "dbInstance" in env.production
    ? { kind: "rds-instance", id: env.production.dbInstance }
    : { kind: "aurora-cluster", id: env.production.dbCluster };
}

const fileOrS3 = (kind: ResourceKind, path: string): Restored =>
  path.startsWith("s3://") ? { kind: "s3-prefix", id: path } : { kind, id: path };
