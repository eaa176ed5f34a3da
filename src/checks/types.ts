import type { z } from "zod";
import type { Queryable } from "../db.js";

export interface CheckOutput {
  measured: unknown;
  /** Human-readable expectation, e.g. ">= 1000". */
  expected: string;
  passed: boolean;
}

/** One kind of check inside `verify`: its schema, a default name, and how to run it. */
export interface CheckKind<Schema extends z.ZodType = z.ZodType> {
  kind: string;
  schema: Schema;
  describe(options: z.output<Schema>): string;
  run(options: z.output<Schema>, db: Queryable): Promise<CheckOutput>;
}

export const defineCheck = <S extends z.ZodType>(check: CheckKind<S>): CheckKind<S> => check;
