import { cleanup } from "./cleanup.js";
import { failover } from "./failover.js";
import { restore } from "./restore.js";
import { s3Restore } from "./s3-restore.js";
import { scrub } from "./scrub.js";
import type { StepKind } from "./types.js";
import { verify } from "./verify.js";

/**
 * Every step kind a drill can use. `scrub` and `failover` arrive with their issues: add the
 * file, list it here, and the drill schema, `drill schema` and the engine pick it up.
 */
export const stepKinds: Record<string, StepKind> = {
  [restore.kind]: restore as unknown as StepKind,
  [scrub.kind]: scrub as unknown as StepKind,
  [verify.kind]: verify as unknown as StepKind,
  [failover.kind]: failover as unknown as StepKind,
  [s3Restore.kind]: s3Restore as unknown as StepKind,
  [cleanup.kind]: cleanup as unknown as StepKind,
};
