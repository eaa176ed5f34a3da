import type { AwsEnvironment } from "../../definitions/config.js";
import { isCluster } from "./source.js";

/**
 * The record's cost estimate: RDS bills per second with a 10-minute minimum; Aurora adds storage
 * and I/O (not estimated), a snapshot copy its storage for the hours it exists (cents: not
 * estimated). A copy kept for the team (scrub's `keep`) bills until its keep time at least.
 */
export function costEstimate(
  env: AwsEnvironment,
  ms: number,
  keptUntil?: string,
  now = Date.now(),
): Record<string, unknown> {
  const price = env.hourlyPrice;
  if (price === undefined) return { hourlyPrice: null };
  const keptMs = keptUntil ? Math.max(0, Date.parse(keptUntil) - now) : 0;
  const hours = Math.max(ms + keptMs, 10 * 60_000) / 3_600_000;
  // Multi-AZ bills a standby instance; Aurora here runs one instance.
  const instances = !isCluster(env) && env.staging.multiAz ? 2 : 1;
  return {
    hourlyPrice: price,
    instances,
    instanceHours: Number((hours * instances).toFixed(3)),
    estimateUsd: Number((hours * instances * price).toFixed(2)),
    // Kept: the copy is still running and billing; the estimate runs to its keep time.
    final: ms > 0 && !keptUntil,
    ...(keptUntil ? { keptUntil } : {}),
  };
}
