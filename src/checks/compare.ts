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
export function describeComparison(c: Comparison): string {
  const parts: string[] = [];
  // Lower bounds first, as one reads a range.
  if (c.gt !== undefined) parts.push(`> ${c.gt}`);
  if (c.gte !== undefined) parts.push(`>= ${c.gte}`);
  if (c.lt !== undefined) parts.push(`< ${c.lt}`);
  if (c.lte !== undefined) parts.push(`<= ${c.lte}`);
  if (c.between !== undefined) parts.push(`between ${c.between[0]} and ${c.between[1]}`);
  return parts.join(" and ");
}

export function holds(c: Comparison, x: number): boolean {
  return (
    (c.lt === undefined || x < c.lt) &&
    (c.lte === undefined || x <= c.lte) &&
    (c.gt === undefined || x > c.gt) &&
    (c.gte === undefined || x >= c.gte) &&
    (c.between === undefined || (x >= c.between[0] && x <= c.between[1]))
  );
}
