import { z } from "zod";
import { strict } from "../definitions/common.js";

/**
 * A numeric expectation: `{ lt: 5 }`, `{ gte: 1 }`, `{ between: [1, 10] }` (inclusive), or several
 * keys at once, all of which must hold (`{ gt: 0, lte: 100 }`).
 */
export const comparison = strict({
  lt: z.number().optional().meta({ description: "less than" }),
  lte: z.number().optional().meta({ description: "at most" }),
  gt: z.number().optional().meta({ description: "greater than" }),
  gte: z.number().optional().meta({ description: "at least" }),
  between: z.tuple([z.number(), z.number()]).optional().meta({
    description: "inclusive range [low, high]",
  }),
})
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    message: "give at least one of lt, lte, gt, gte, between",
  })
  .refine((c) => c.between === undefined || c.between[0] <= c.between[1], {
    message: "between: the first bound must not exceed the second",
  });

export type Comparison = z.output<typeof comparison>;

/** `>= 1 and < 5`, `between 1 and 10`. */
export function describeComparison(comparison: Comparison): string {
  const parts: string[] = [];
  // Lower bounds first, as one reads a range.
  if (comparison.gt !== undefined) parts.push(`> ${comparison.gt}`);
  if (comparison.gte !== undefined) parts.push(`>= ${comparison.gte}`);
  if (comparison.lt !== undefined) parts.push(`< ${comparison.lt}`);
  if (comparison.lte !== undefined) parts.push(`<= ${comparison.lte}`);
  if (comparison.between !== undefined)
    parts.push(`between ${comparison.between[0]} and ${comparison.between[1]}`);
  return parts.join(" and ");
}

export function holds(comparison: Comparison, x: number): boolean {
  return (
    (comparison.lt === undefined || x < comparison.lt) &&
    (comparison.lte === undefined || x <= comparison.lte) &&
    (comparison.gt === undefined || x > comparison.gt) &&
    (comparison.gte === undefined || x >= comparison.gte) &&
    (comparison.between === undefined || (x >= comparison.between[0] && x <= comparison.between[1]))
  );
}
