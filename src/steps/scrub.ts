import { z } from "zod";
import { name, stepBase, strict } from "../definitions/common.js";
import { DrillError, inputError } from "../errors.js";
import { defineStep } from "./types.js";

const leakScan = strict({
  /** Original values remembered (as keyed hashes) per scrubbed column. */
  sample: z.number().int().min(0).max(100_000).default(1000),
  /** Look for emails, phone and card numbers, IBANs in kept text and JSON columns. */
  patterns: z.boolean().default(true),
  /** Plant known fake personal data before the scrub and check it comes out transformed. */
  canaries: z.boolean().default(true),
});

export const scrubSchema = strict({
  scrubber: name.meta({ description: "a file in scrubbers/, by name" }),
  /** Tables rewritten at once, each on its own connection. */
  workers: z.number().int().min(1).max(32).default(4),
  leakScan: z
    .union([leakScan, z.literal(false)])
    .default({ sample: 1000, patterns: true, canaries: true }),
  ...stepBase,
});

/**
 * Make the restored copy safe before anyone uses it: every column classified, personal data
 * rewritten (not updated in place), and a leak scan that must find nothing.
 */
export const scrub = defineStep({
  kind: "scrub",
  schema: scrubSchema,
  defaultTimeoutMs: 30 * 60_000,
  plan: async (o, ctx) => {
    const s = ctx.resources.scrubbers.get(o.scrubber);
    return {
      scrubber: o.scrubber,
      tables: s ? Object.keys(s.tables).length : null,
      workers: o.workers,
      leakScan: o.leakScan,
    };
  },
  async run(o, ctx) {
    if (!ctx.target)
      throw new DrillError("input", "NO_TARGET", "scrub needs a restore step before it");
    const scrubber = ctx.resources.scrubbers.get(o.scrubber);
    if (!scrubber) throw inputError("UNKNOWN_SCRUBBER", `unknown scrubber "${o.scrubber}"`);
    const { scrubDatabase } = await import("../scrub/scrub.js");
    const report = await scrubDatabase(ctx.target.connection, scrubber, {
      file: `scrubbers/${o.scrubber}.yaml`,
      workers: o.workers,
      leakScan: o.leakScan,
      signal: ctx.signal,
      progress: ctx.progress,
    });
    ctx.measure("scrubRows", report.totals.rows);
    ctx.measure("scrubRowsPerSecond", report.totals.rowsPerSecond);
    const { outcome, findings, ...details } = report;
    return { outcome, details: { scrubber: o.scrubber, ...details }, findings };
  },
});
