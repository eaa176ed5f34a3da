import type { AwsEnvironment } from "../../definitions/config.js";
import { platformError } from "../../errors.js";
import { awsKeptPgpassFile } from "../../state/layout.js";
import type { ConnectionInfo } from "../../types.js";
import { writeKeptPgpass } from "../pgpass.js";
import { setSecurityGroups } from "./db-modify.js";
import type { RdsRun } from "./db.js";
import { call } from "./errors.js";
import { stagingIdentifier, TAG } from "./guard.js";
import { teamGroupsOf } from "./quarantine.js";
import { isCluster } from "./source.js";

export interface AwsKeptCopy {
  until: string;
  pgpassFile: string;
  /** `PGPASSFILE=… psql -h … -p … -U … db`: the password stays in the file. */
  connect: string;
  host: string;
  port: number;
  user: string;
  database: string;
  securityGroups: string[];
  securityGroupsMs: number;
}

/**
 * Hand the scrubbed copy to the team (called only after the scrub and its leak scan passed):
 * attach the team's security groups beside the staging ones and wait until they are active, then
 * move `drill:expires-at` to the keep time and set `drill:kept-until`, so that the run's own
 * cleanup leaves the copy and `drill cleanup` deletes it once the time is up. The groups go
 * first: a copy tagged kept that the team cannot reach would only cost money until then.
 */
export async function keepAwsCopy(
  ctx: { env: AwsEnvironment; envName: string; root: string; run: RdsRun },
  o: { runId: string; until: Date; connection: ConnectionInfo },
): Promise<AwsKeptCopy> {
  const { env, run } = ctx;
  const team = teamGroupsOf(env, ctx.envName);
  const kind = isCluster(env) ? "cluster" : "instance";
  const id = stagingIdentifier(o.runId);
  const groups = [...env.staging.securityGroups, ...team];
  const applied = await setSecurityGroups(run, kind, id, groups, {
    signal: AbortSignal.timeout(run.waits.passwordMs),
    progress: () => {},
  });
  const arn = applied.ready?.arn;
  if (!arn) throw platformError("KEEP_FAILED", `cannot keep ${id}: RDS did not say its ARN`);
  const until = o.until.toISOString();
  const { AddTagsToResourceCommand } = await import("@aws-sdk/client-rds");
  await call(`tagging ${id} kept until ${until}`, () =>
    run.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: TAG.expiresAt, Value: until },
          { Key: TAG.keptUntil, Value: until },
        ],
      }),
    ),
  );
  const pgpassFile = awsKeptPgpassFile(ctx.root, o.runId);
  const c = o.connection;
  return {
    until,
    pgpassFile,
    connect: await writeKeptPgpass(pgpassFile, c),
    host: c.host,
    port: c.port,
    user: c.user,
    database: c.database,
    securityGroups: [...new Set(groups)],
    securityGroupsMs: applied.ms,
  };
}
