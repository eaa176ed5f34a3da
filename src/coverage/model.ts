import { formatDuration } from "../duration.js";

/**
 * Coverage: which databases an environment can see have a recent passing drill. A database is
 * covered (a drill restores it and passed within maxAge), stale (drills restore it, but none
 * passed within maxAge, or ever) or uncovered (no drill restores it). Stale and uncovered are
 * both problems; an ignored one (tagged `drill:ignore`) never is.
 */

export type ResourceKind =
  | "rds-instance"
  | "aurora-cluster"
  | "s3-prefix"
  | "sandbox"
  | "archive"
  | "basebackup"
  | "pgbackrest"
  | "barman";

/** A database (or a backup of one) an environment can see. */
export interface Resource {
  environment: string;
  kind: ResourceKind;
  id: string;
  /** Tagged `drill:ignore`: why (the tag's value). */
  ignored?: string;
}

export type CoverageState = "covered" | "stale" | "uncovered";

export interface LastPass {
  drill: string;
  runId: string;
  at: string;
  ageMs: number;
}

export interface CoverageEntry extends Resource {
  /** "ignored" for a resource tagged drill:ignore, whatever its drills. */
  state: CoverageState | "ignored";
  drills: string[];
  lastPass: LastPass | null;
}

export interface CoverageReport {
  checkedAt: string;
  maxAgeMs: number;
  entries: CoverageEntry[];
  counts: Record<CoverageEntry["state"], number>;
}

/** How a resource is matched with the drills that restore it (identifiers compare lowercased). */
export const resourceKey = (r: Pick<Resource, "kind" | "id">): string =>
  `${r.kind}\0${r.kind === "rds-instance" || r.kind === "aurora-cluster" ? r.id.toLowerCase() : r.id}`;

export function stateOf(
  lastPass: LastPass | null,
  drills: number,
  maxAgeMs: number,
): CoverageState {
  if (drills === 0) return "uncovered";
  return lastPass && lastPass.ageMs <= maxAgeMs ? "covered" : "stale";
}

export const isProblem = (e: CoverageEntry): boolean =>
  e.state === "stale" || e.state === "uncovered";

/** An age as people read it in a listing: to the minute ("3h", "40d2h"), seconds when younger. */
export const ageText = (ms: number): string =>
  formatDuration(ms < 60_000 ? ms : Math.round(ms / 60_000) * 60_000);
