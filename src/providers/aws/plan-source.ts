import type { RestorePlan } from "../types.js";
import type { ResolvedSource, Wanted } from "./source.js";

/**
 * How a plan carries its source as plain JSON (it is printed by `drill plan` and may be made
 * offline), and how a restore reads it back.
 */
export function sourceOf(
  resolved: ResolvedSource | undefined,
  wanted: Wanted | undefined,
): RestorePlan["source"] {
  if (resolved?.kind === "snapshot") {
    return {
      kind: "snapshot",
      id: resolved.snapshot,
      ...(resolved.takenAt ? { takenAt: resolved.takenAt } : {}),
    };
  }
  if (resolved?.kind === "pointInTime") {
    const at = resolved.time === "latest" ? resolved.latestRestorableTime : resolved.time;
    return {
      kind: "snapshot",
      id: `point-in-time:${resolved.time}`,
      ...(at ? { takenAt: at } : {}),
    };
  }
  if (wanted?.kind === "pointInTime") {
    return {
      kind: "snapshot",
      id: `point-in-time:${wanted.time === "latest" ? "latest" : wanted.time.toISOString()}`,
    };
  }
  return { kind: "snapshot", id: wanted?.kind === "snapshot" ? wanted.id : "latest" };
}

/** What was asked, as plain JSON in the plan: a plan made offline is resolved at restore. */
export const askedOf = (wanted: Wanted) =>
  wanted.kind === "snapshot"
    ? { snapshot: wanted.id }
    : wanted.kind === "before"
      ? { before: wanted.before.toISOString() }
      : { pointInTime: wanted.time === "latest" ? "latest" : wanted.time.toISOString() };

export function wantedBack(plan: RestorePlan): Wanted {
  const a = (plan.details.asked ?? {}) as {
    snapshot?: string;
    before?: string;
    pointInTime?: string;
  };
  if (a.before) return { kind: "before", before: new Date(a.before) };
  if (a.pointInTime) {
    return {
      kind: "pointInTime",
      time: a.pointInTime === "latest" ? "latest" : new Date(a.pointInTime),
    };
  }
  return { kind: "snapshot", id: a.snapshot ?? plan.source.id };
}

/** "snapshot rds:prod-2026-11-28 (taken …)", "point in time latest restorable (…)", … */
export function describeFrom(wanted: Wanted, resolved: ResolvedSource | undefined): string {
  if (!resolved) {
    return wanted.kind === "pointInTime"
      ? `point in time ${wanted.time === "latest" ? "latest restorable" : wanted.time.toISOString()}`
      : `snapshot ${wanted.kind === "before" ? `before ${wanted.before.toISOString()}` : wanted.id}`;
  }
  if (resolved.kind === "snapshot") {
    const taken = resolved.takenAt ? ` (taken ${resolved.takenAt})` : "";
    const shared = resolved.sharedFrom ? `, shared from account ${resolved.sharedFrom}` : "";
    return `snapshot ${resolved.snapshot}${taken}${shared}`;
  }
  return `point in time ${resolved.time === "latest" ? `latest restorable (${resolved.latestRestorableTime ?? "?"})` : resolved.time}`;
}
