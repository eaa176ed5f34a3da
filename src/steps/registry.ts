import type { z } from "zod";
import { cleanup, cleanupSchema } from "./cleanup.js";
import { failover, failoverSchema } from "./failover.js";
import { restore, restoreSchema } from "./restore.js";
import { s3Restore, s3RestoreSchema } from "./s3-restore.js";
import { scrub, scrubSchema } from "./scrub.js";
import type { StepKind } from "./types.js";
import { verify, verifySchema } from "./verify.js";

/**
 * Every step kind's options schema, by the key a drill writes it under, in the order `drill
 * schema` and the reference list them. The step types derive from these (not from the kinds
 * below, whose functions take contexts that name the step types).
 */
export const stepSchemas = {
  restore: restoreSchema,
  scrub: scrubSchema,
  verify: verifySchema,
  failover: failoverSchema,
  "s3-restore": s3RestoreSchema,
  cleanup: cleanupSchema,
};

export type StepKindName = keyof typeof stepSchemas;
export type StepOptions<K extends StepKindName> = z.output<(typeof stepSchemas)[K]>;
/** Each kind under its own name, its options typed: a step's kind and options stay paired. */
export type StepRegistry = { [K in StepKindName]: StepKind<K, StepOptions<K>> };

/** Add a step kind: its file, its schema above, the kind here; the engine picks it up. */
export const stepKinds: StepRegistry = {
  restore,
  scrub,
  verify,
  failover,
  "s3-restore": s3Restore,
  cleanup,
};

export const isStepKindName = (name: string): name is StepKindName =>
  Object.hasOwn(stepSchemas, name);
