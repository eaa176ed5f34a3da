import type { AwsEnvironment } from "../../definitions/config.js";
import { TAG } from "./guard.js";
import {
  clusterInstanceParams,
  clusterRestoreParams,
  instanceRestoreParams,
  type CreateSpec,
} from "./params.js";
import { lookupCall, type PlannedCall } from "./plan-lookup.js";
import type { CopyNeed } from "./snapshot-copy.js";
import { isCluster, productionId, type ResolvedSource, type Wanted } from "./source.js";

export type { PlannedCall } from "./plan-lookup.js";

const HIDDEN_PASSWORD = "(random, generated for the run, kept in memory)";
const MAYBE = "if the snapshot is encrypted with another account's key";

/**
 * The AWS calls a restore makes, in order, with their parameters: what `drill plan` shows. With
 * `resolved` unknown (offline) the lookup call is listed and the snapshot named by its role; the
 * snapshot copy is then listed as `maybe` (only the lookup tells whether it is encrypted).
 */
export function plannedCalls(
  env: AwsEnvironment,
  wanted: Wanted,
  resolved: ResolvedSource | undefined,
  spec: Omit<CreateSpec, "from" | "engine" | "engineVersion">,
  copy: CopyNeed | "maybe" | undefined,
): PlannedCall[] {
  const cluster = isCluster(env);
  const prod = productionId(env);
  const calls: PlannedCall[] = [];
  if (!resolved) calls.push(lookupCall(cluster, prod, wanted));
  calls.push({
    call: "DescribeSecurityGroups",
    params: { GroupIds: env.staging.securityGroups },
    note: `quarantine: refused unless every ingress rule admits only ${env.staging.runnerSecurityGroup ?? "staging.runnerSecurityGroup"}`,
  });
  const found = resolved?.kind === "snapshot" ? resolved.snapshot : "<found by the lookup above>";
  const tags = `${TAG.run}, ${TAG.drill}, ${TAG.environment}, ${TAG.expiresAt} (now + ttl)`;
  const tagged = (p: Record<string, unknown>) => ({ ...p, Tags: tags });
  const snap = cluster ? "DBClusterSnapshot" : "DBSnapshot";
  const note = copy === "maybe" ? `${MAYBE}; ` : "";
  if (copy) {
    calls.push(
      {
        call: `Copy${snap}`,
        params: {
          [`Source${snap}Identifier`]: copy === "maybe" ? `${found} (its ARN)` : copy.source,
          [`Target${snap}Identifier`]: spec.id,
          KmsKeyId:
            copy === "maybe"
              ? (env.staging.kmsKeyId ?? "(staging.kmsKeyId: required)")
              : copy.kmsKeyId,
          Tags: tags,
          CopyTags: false,
        },
        note: `${note}copied into this account under the staging key first`,
      },
      {
        call: `Describe${snap}s`,
        params: { [`${snap}Identifier`]: spec.id },
        note: `${note}waiter: until the copy is available`,
      },
    );
  }
  const from =
    wanted.kind === "pointInTime"
      ? { pointInTime: wanted.time === "latest" ? "latest" : wanted.time.toISOString() }
      : {
          snapshot: copy === "maybe" ? `${found}, or its copy ${spec.id}` : copy ? spec.id : found,
        };
  const full: CreateSpec = {
    ...spec,
    from,
    engine: resolved?.engine ?? (cluster ? "aurora-postgresql" : "postgres"),
    engineVersion: resolved?.engineVersion,
  };
  const [db, key] = cluster
    ? (["DBCluster", "DBClusterIdentifier"] as const)
    : (["DBInstance", "DBInstanceIdentifier"] as const);
  const r = cluster ? clusterRestoreParams(env, full) : instanceRestoreParams(env, full);
  calls.push(
    { call: r.command, params: tagged(r.input) },
    { call: `Describe${db}s`, params: { [key]: spec.id }, note: "waiter: until available" },
  );
  const member = cluster ? clusterInstanceParams(full) : undefined;
  if (member) {
    const memberId = member.input.DBInstanceIdentifier;
    calls.push(
      { call: member.command, params: tagged(member.input) },
      {
        call: "DescribeDBInstances",
        params: { DBInstanceIdentifier: memberId },
        note: "waiter: until available",
      },
    );
  }
  calls.push({
    call: `Modify${db}`,
    params: { [key]: spec.id, MasterUserPassword: HIDDEN_PASSWORD, ApplyImmediately: true },
    note: `after checking the ${cluster ? "cluster" : "instance"} carries this run's tags; polled until applied`,
  });
  if (member) {
    calls.push({
      call: "DeleteDBInstance",
      params: { DBInstanceIdentifier: member.input.DBInstanceIdentifier },
      note: "cleanup",
    });
  }
  calls.push({
    call: `Delete${db}`,
    params: { [key]: spec.id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    note: "cleanup, after checking the tags; waits until gone",
  });
  if (copy) {
    calls.push({
      call: `Delete${snap}`,
      params: { [`${snap}Identifier`]: spec.id },
      note: `${note}cleanup of the copy, after checking the tags`,
    });
  }
  return calls;
}
