import type { AwsEnvironment } from "../../definitions/config.js";
import { productionId } from "./source.js";

/**
 * The parameters of every create call, in one place: the real restore sends them, and
 * `drill plan --offline` prints them. Staging limits are fixed here, not left to defaults:
 * never public, no deletion protection, Multi-AZ only when configured, tags on everything.
 */
export interface CreateSpec {
  id: string;
  instanceClass: string;
  tags: { Key: string; Value: string }[];
  /** The snapshot (id or ARN), or a point in time ("latest" or ISO). */
  from: { snapshot: string } | { pointInTime: string };
  engine: string;
  engineVersion: string | undefined;
}

const opt = <K extends string, V>(key: K, v: V | undefined) =>
  (v === undefined ? {} : { [key]: v }) as Partial<Record<K, V>>;

export function instanceRestoreParams(env: AwsEnvironment, spec: CreateSpec) {
  const st = env.staging;
  const common = {
    DBInstanceClass: spec.instanceClass,
    DBSubnetGroupName: st.subnetGroup,
    VpcSecurityGroupIds: st.securityGroups,
    ...opt("DBParameterGroupName", st.parameterGroup),
    ...opt("StorageType", st.storageType),
    PubliclyAccessible: false,
    MultiAZ: st.multiAz,
    DeletionProtection: false,
    AutoMinorVersionUpgrade: false,
    CopyTagsToSnapshot: false,
    Tags: spec.tags,
  };
  if ("snapshot" in spec.from) {
    return {
      command: "RestoreDBInstanceFromDBSnapshot" as const,
      input: { DBInstanceIdentifier: spec.id, DBSnapshotIdentifier: spec.from.snapshot, ...common },
    };
  }
  const t = spec.from.pointInTime;
  return {
    command: "RestoreDBInstanceToPointInTime" as const,
    input: {
      SourceDBInstanceIdentifier: productionId(env),
      TargetDBInstanceIdentifier: spec.id,
      ...(t === "latest" ? { UseLatestRestorableTime: true } : { RestoreTime: new Date(t) }),
      ...common,
    },
  };
}

export function clusterRestoreParams(env: AwsEnvironment, spec: CreateSpec) {
  const st = env.staging;
  const common = {
    DBSubnetGroupName: st.subnetGroup,
    VpcSecurityGroupIds: st.securityGroups,
    ...opt("DBClusterParameterGroupName", st.parameterGroup),
    ...opt("KmsKeyId", st.kmsKeyId),
    ...opt("StorageType", st.storageType),
    DeletionProtection: false,
    CopyTagsToSnapshot: false,
    Tags: spec.tags,
  };
  if ("snapshot" in spec.from) {
    return {
      command: "RestoreDBClusterFromSnapshot" as const,
      input: {
        DBClusterIdentifier: spec.id,
        SnapshotIdentifier: spec.from.snapshot,
        Engine: spec.engine,
        ...opt("EngineVersion", spec.engineVersion),
        ...common,
      },
    };
  }
  const t = spec.from.pointInTime;
  return {
    command: "RestoreDBClusterToPointInTime" as const,
    input: {
      DBClusterIdentifier: spec.id,
      SourceDBClusterIdentifier: productionId(env),
      ...(t === "latest" ? { UseLatestRestorableTime: true } : { RestoreToTime: new Date(t) }),
      ...common,
    },
  };
}

/** Aurora: the cluster has no compute until one instance is created in it. */
export function clusterInstanceParams(spec: CreateSpec) {
  return {
    command: "CreateDBInstance" as const,
    input: {
      DBInstanceIdentifier: `${spec.id}-1`,
      DBClusterIdentifier: spec.id,
      Engine: spec.engine,
      DBInstanceClass: spec.instanceClass,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: false,
      Tags: spec.tags,
    },
  };
}
