import { z } from "zod";
import { duration, name, stepBase, strict } from "../definitions/common.js";
import { kindOf } from "../definitions/one-of.js";
import { DrillError, inputError } from "../errors.js";
import type { Provider } from "../providers/types.js";
import type { ConnectionInfo } from "../types.js";
import type { ScrubberSource } from "../scrub/plan.js";
import { defineStep, type RunResources, type StepContext } from "./types.js";

const leakScan = strict({
  sample: z.number().int().min(0).max(100_000).default(1000).meta({
    description:
      "original values remembered (as keyed hashes) per scrubbed column; none may reappear",
  }),
  patterns: z.boolean().default(true).meta({
    description: "look for emails, phone and card numbers and IBANs in kept text and JSON columns",
  }),
  canaries: z.boolean().default(true).meta({
    description: "plant known fake personal data before the scrub and check it comes out changed",
  }),
});

export const scrubSchema = strict({
  scrubber: name.meta({ description: "a file in scrubbers/, by name" }),
  workers: z
    .number()
    .int()
    .min(1)
    .max(32)
    .default(4)
    .meta({ description: "tables rewritten at once, each on its own connection" }),
  leakScan: z
    .union([leakScan, z.literal(false)])
    .default({ sample: 1000, patterns: true, canaries: true })
    .meta({ description: "after the scrub, prove nothing personal is left; false skips it" }),
  keep: duration.optional().meta({
    description:
      "after the scrub and leak scan pass, keep the copy running for the team this long (e.g. 4h); `drill cleanup` removes it after",
  }),
  ...stepBase,
}).meta({
  description:
    "Makes the restored copy safe before anyone uses it: every column classified by the scrubber, tables with anything to transform rewritten (not updated in place), then a leak scan.",
});

/** A provider that can leave a run's copy running after the run (local and aws can). */
interface CopyKeeper {
  keep(o: { runId: string; until: Date; connection: ConnectionInfo }): Promise<{
    until: string;
    pgpassFile: string;
    connect: string;
  }>;
  /** Throws (exit 2) when the provider's configuration cannot keep a copy (aws: no team groups). */
  checkKeep?(): void;
}

const keeperOf = (p: Provider): CopyKeeper | undefined =>
  typeof (p as Partial<CopyKeeper>).keep === "function" ? (p as unknown as CopyKeeper) : undefined;

/** Refuse `keep` where it cannot hold: before anything is rewritten. */
function assertKeepable(ctx: Pick<StepContext, "provider" | "drill">): CopyKeeper {
  const keeper = keeperOf(ctx.provider);
  if (!keeper) {
    throw inputError(
      "KEEP_UNSUPPORTED",
      `scrub: keep is not supported by the ${ctx.provider.name} provider`,
      "remove `keep` from the scrub step",
    );
  }
  // A later failover of the copy would leave the team a standby of a deleted primary.
  const failsOverCopy = ctx.drill.steps.some((s) => {
    const [kind, o] = kindOf(s);
    return kind === "failover" && ((o as { target?: string }).target ?? "staging") === "staging";
  });
  if (failsOverCopy) {
    throw inputError(
      "KEEP_WITH_FAILOVER",
      "scrub: keep cannot be combined with a failover of the staging copy in the same drill",
      "keep the copy in a drill without `failover: { target: staging }`",
    );
  }
  keeper.checkKeep?.();
  return keeper;
}

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
      ...(o.keep !== undefined ? { keepMs: o.keep } : {}),
    };
  },
  /** Before anything is restored: keep must be possible, and rules must fit production's tables. */
  async preflight(o, ctx) {
    if (o.keep !== undefined) assertKeepable(ctx);
    const scrubber = ctx.resources.scrubbers.get(o.scrubber);
    const catalog = scrubber && (await ctx.sourceCatalog());
    if (!scrubber || !catalog) return;
    const { planScrub } = await import("../scrub/plan.js");
    planScrub(catalog, scrubber, sourceOf(o.scrubber, ctx.resources), "production");
  },
  async run(o, ctx) {
    if (!ctx.target)
      throw new DrillError("input", "NO_TARGET", "scrub needs a restore step before it");
    const scrubber = ctx.resources.scrubbers.get(o.scrubber);
    if (!scrubber) throw inputError("UNKNOWN_SCRUBBER", `unknown scrubber "${o.scrubber}"`);
    const keeper = o.keep !== undefined ? assertKeepable(ctx) : undefined;
    const { scrubDatabase } = await import("../scrub/scrub.js");
    const report = await scrubDatabase(ctx.target.connection, scrubber, {
      ...sourceOf(o.scrubber, ctx.resources),
      workers: o.workers,
      leakScan: o.leakScan,
      signal: ctx.signal,
      progress: ctx.progress,
    });
    ctx.measure("scrubRows", report.totals.rows);
    ctx.measure("scrubRowsPerSecond", report.totals.rowsPerSecond);
    const { outcome, findings, ...details } = report;
    // Released to the team only once the scrub and its leak scan passed; else cleanup removes it.
    if (keeper && o.keep !== undefined && outcome === "passed") {
      const kept = await keeper.keep({
        runId: ctx.runId,
        until: new Date(ctx.clock.now() + o.keep),
        connection: ctx.target.connection,
      });
      ctx.progress(`copy kept for the team until ${kept.until}: ${kept.connect}`);
      return { outcome, details: { scrubber: o.scrubber, ...details, kept }, findings };
    }
    return { outcome, details: { scrubber: o.scrubber, ...details }, findings };
  },
});

/** The scrubber's file (and rule positions, when loaded from one) for messages. */
const sourceOf = (name: string, resources: RunResources): ScrubberSource =>
  resources.scrubberSources?.get(name) ?? { file: `scrubbers/${name}.yaml` };
