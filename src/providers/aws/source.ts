import type { RDSClient } from "@aws-sdk/client-rds";
import type { AwsEnvironment } from "../../definitions/config.js";
import { inputError, platformError } from "../../errors.js";
import type { RestoreSource } from "../types.js";
import { call, isNotFound, snapshotNotFound } from "./errors.js";
import { listSnapshots, sharedFrom } from "./snapshots.js";

/** What an RDS restore starts from, resolved: kept in the plan's details as plain JSON. */
export type ResolvedSource =
  | {
      kind: "snapshot";
      /** An identifier, or the ARN of a snapshot shared from another account. */
      snapshot: string;
      takenAt: string | undefined;
      engine: string;
      engineVersion: string | undefined;
      encrypted: boolean;
      /** The snapshot's own ARN: a copy into this account names its source by it. */
      arn?: string | undefined;
      kmsKeyId?: string | undefined;
      /** The account it was shared from (encrypted with that account's key): copied first. */
      sharedFrom?: string | undefined;
    }
  | {
      kind: "pointInTime";
      /** "latest" (UseLatestRestorableTime) or an ISO time. */
      time: string;
      latestRestorableTime: string | undefined;
      engine: string;
      engineVersion: string | undefined;
    };

/** What the drill asked for, independent of AWS: snapshot id/latest/before, or a point in time. */
export type Wanted =
  | { kind: "snapshot"; id: string }
  | { kind: "before"; before: Date }
  | { kind: "pointInTime"; time: "latest" | Date };

export function wantedOf(
  source: Extract<RestoreSource, { kind: "snapshot" | "before" | "pointInTime" }>,
): Wanted {
  if (source.kind === "snapshot") {
    if (source.target) {
      throw inputError(
        "TARGET_UNSUPPORTED",
        "aws cannot replay WAL onto a snapshot (target:)",
        "restore a point in time instead: from: { pointInTime: <ISO time> }",
      );
    }
    return { kind: "snapshot", id: source.snapshot };
  }
  return source;
}

export const isCluster = (env: AwsEnvironment) => "dbCluster" in env.production;
export const productionId = (env: AwsEnvironment) =>
  "dbInstance" in env.production ? env.production.dbInstance : env.production.dbCluster;

const POSTGRES = new Set(["postgres", "aurora-postgresql"]);

function assertPostgres(engine: string | undefined, what: string): string {
  if (!engine || !POSTGRES.has(engine)) {
    throw inputError(
      "ENGINE_UNSUPPORTED",
      `${what} is ${engine ?? "of an unknown engine"}: drill restores PostgreSQL (postgres, aurora-postgresql)`,
    );
  }
  return engine;
}

export async function resolveSource(
  env: AwsEnvironment,
  rds: RDSClient,
  wanted: Wanted,
): Promise<ResolvedSource> {
  if (wanted.kind === "pointInTime") return resolvePointInTime(env, rds, wanted.time);
  const explicit = wanted.kind === "snapshot" && wanted.id !== "latest" ? wanted.id : undefined;
  const production = { cluster: isCluster(env), id: productionId(env) };
  const snaps = await call("listing snapshots", () =>
    listSnapshots(rds, production, explicit).catch((e: unknown) => {
      if (explicit && isNotFound(e)) throw snapshotNotFound(explicit);
      throw e;
    }),
  );
  const usable = snaps.filter(
    (s) =>
      s.status === "available" &&
      (wanted.kind !== "before" || (s.takenAt ?? new Date(0)) <= wanted.before),
  );
  const snap = usable[0];
  if (!snap) {
    if (explicit) {
      const status = snaps[0]?.status;
      if (status)
        throw platformError(
          "SNAPSHOT_NOT_READY",
          `snapshot ${explicit} is ${status}, not available`,
        );
      throw snapshotNotFound(explicit);
    }
    throw platformError(
      "NO_SNAPSHOT",
      `no available snapshot of ${productionId(env)}${wanted.kind === "before" ? ` taken before ${wanted.before.toISOString()}` : ""}`,
      "check its automated backups, or restore a point in time: from: { pointInTime: latest }",
    );
  }
  const from = await call(`describing ${production.id}`, () =>
    sharedFrom(rds, production, snap, explicit !== undefined),
  );
  return {
    kind: "snapshot",
    snapshot: explicit?.startsWith("arn:") ? (snap.arn ?? explicit) : snap.id,
    takenAt: snap.takenAt?.toISOString(),
    engine: assertPostgres(snap.engine, `snapshot ${snap.id}`),
    engineVersion: snap.engineVersion,
    encrypted: snap.encrypted,
    ...(snap.arn ? { arn: snap.arn } : {}),
    ...(snap.kmsKeyId ? { kmsKeyId: snap.kmsKeyId } : {}),
    ...(from ? { sharedFrom: from } : {}),
  };
}

async function resolvePointInTime(
  env: AwsEnvironment,
  rds: RDSClient,
  time: "latest" | Date,
): Promise<ResolvedSource> {
  const sdk = await import("@aws-sdk/client-rds");
  const id = productionId(env);
  const src = await call(`describing ${id}`, async () => {
    if (isCluster(env)) {
      const c = (await rds.send(new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: id })))
        .DBClusters?.[0];
      return {
        latest: c?.LatestRestorableTime,
        earliest: c?.EarliestRestorableTime,
        engine: c?.Engine,
        version: c?.EngineVersion,
      };
    }
    const i = (await rds.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
      .DBInstances?.[0];
    return {
      latest: i?.LatestRestorableTime,
      earliest: undefined,
      engine: i?.Engine,
      version: i?.EngineVersion,
    };
  });
  if (time !== "latest") {
    const outside = (src.latest && time > src.latest) || (src.earliest && time < src.earliest);
    if (outside) {
      throw inputError(
        "POINT_IN_TIME_OUT_OF_RANGE",
        `${time.toISOString()} is outside ${id}'s restorable window (${src.earliest?.toISOString() ?? "?"} … ${src.latest?.toISOString() ?? "?"})`,
      );
    }
  }
  return {
    kind: "pointInTime",
    time: time === "latest" ? "latest" : time.toISOString(),
    latestRestorableTime: src.latest?.toISOString(),
    engine: assertPostgres(src.engine, id),
    engineVersion: src.version,
  };
}
