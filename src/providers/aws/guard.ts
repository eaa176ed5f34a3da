import type { AwsEnvironment } from "../../definitions/config.js";
import { inputError } from "../../errors.js";

/** Tags every resource a run creates carries; cleanup deletes nothing without this run's tag. */
export const TAG = {
  run: "drill:run",
  drill: "drill:drill",
  expiresAt: "drill:expires-at",
  environment: "drill:environment",
  /** Set by scrub's `keep`: the run's own cleanup leaves the copy; `drill cleanup` takes it after. */
  keptUntil: "drill:kept-until",
} as const;

export interface Tag {
  Key?: string | undefined;
  Value?: string | undefined;
}

export function runTags(o: {
  runId: string;
  drill: string;
  environment: string;
  expiresAt: Date;
}): { Key: string; Value: string }[] {
  return [
    { Key: TAG.run, Value: o.runId },
    { Key: TAG.drill, Value: o.drill },
    { Key: TAG.environment, Value: o.environment },
    { Key: TAG.expiresAt, Value: o.expiresAt.toISOString() },
  ];
}

export const tagValue = (tags: Tag[] | undefined, key: string): string | undefined =>
  tags?.find((t) => t.Key === key)?.Value;

/** A kept copy is spared by its run's cleanup (and by `drill cleanup`) until this passes. */
export function keptUntil(tags: Tag[] | undefined, now = Date.now()): string | undefined {
  const until = tagValue(tags, TAG.keptUntil);
  return until !== undefined && Date.parse(until) > now ? until : undefined;
}

/** RDS identifiers: letters, digits, single hyphens, at most 63, starting with a letter. */
export function stagingIdentifier(runId: string): string {
  const id = `drill-${runId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 61);
  return id.replace(/-$/, "");
}

const productionIds = (env: AwsEnvironment): string[] =>
  ["dbInstance" in env.production ? env.production.dbInstance : env.production.dbCluster].map((s) =>
    s.toLowerCase(),
  );

/** RDS identifiers are case-insensitive: compare lowercased. */
export function assertNotProduction(env: AwsEnvironment, id: string, action: string): void {
  if (productionIds(env).includes(id.toLowerCase())) {
    throw inputError(
      "GUARD_PRODUCTION",
      `refusing to ${action} ${id}: it is configured as production`,
      "drill writes only to copies it created; check `production` in config/",
    );
  }
}

/** Modify or delete only what this run created: not production, and tagged with this run. */
export function assertOwned(
  env: AwsEnvironment,
  id: string,
  tags: Tag[] | undefined,
  runId: string,
  action: string,
): void {
  assertNotProduction(env, id, action);
  const run = tagValue(tags, TAG.run);
  if (run !== runId || tagValue(tags, TAG.drill) === undefined) {
    throw inputError(
      "GUARD_UNTAGGED",
      `refusing to ${action} ${id}: it lacks this run's tags (${TAG.run}=${runId}; found ${run ?? "none"})`,
      "drill only modifies and deletes what the same run created",
    );
  }
}

export function assertInstanceClass(env: AwsEnvironment, instanceClass: string): void {
  const allowed = env.staging.allowedInstanceClasses;
  if (allowed && !allowed.includes(instanceClass)) {
    throw inputError(
      "GUARD_INSTANCE_CLASS",
      `instance class ${instanceClass} is not in the environment's allowedInstanceClasses (${allowed.join(", ")})`,
      "add it to staging.allowedInstanceClasses in config/ or pick an allowed class",
    );
  }
}
