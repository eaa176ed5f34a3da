import { z } from "zod";
import { duration, name, stepBase, strict } from "../definitions/common.js";
import { DrillError, inputError } from "../errors.js";
import type { CopyKeeper } from "../providers/types.js";
import type { DatabaseScrubber } from "../scrub/databases.js";
import { scrubberSourceOf } from "../scrub/source.js";
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
  scrubber: name.optional().meta({
    description:
      "a file in scrubbers/, by name, for the database the copy's connection names (give this, `scrubbers`, or both)",
  }),
  scrubbers: z.record(z.string().min(1).max(63), name).optional().meta({
    description:
      "a scrubber per database of the copy, by database name (e.g. { analytics: analytics }); a database may be named once, here or by `scrubber`",
  }),
  otherDatabases: z.enum(["drop", "fail"]).optional().meta({
    description:
      "databases holding tables or large objects that no scrubber names: `fail` the step before anything is handed over (the default), or `drop` them (the default with `keep`); empty databases are left as they are",
  }),
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
})
  .refine((o) => o.scrubber !== undefined || Object.keys(o.scrubbers ?? {}).length > 0, {
    message:
      "a scrub step needs `scrubber` (the copy's own database), `scrubbers` (by database), or both",
  })
  .meta({
    description:
      "Makes the restored copy safe before anyone uses it: in every database, every column classified by its scrubber, tables with anything to transform rewritten (not updated in place), then a leak scan; databases no scrubber names are dropped or fail the step.",
  });

/** Refuse `keep` where it cannot hold: before anything is rewritten. */
function assertKeepable(ctx: Pick<StepContext, "provider" | "steps">): CopyKeeper {
  const keeper = ctx.provider.keeper;
  if (!keeper) {
    throw inputError(
      "KEEP_UNSUPPORTED",
      `scrub: keep is not supported by the ${ctx.provider.name} provider`,
      "remove `keep` from the scrub step",
    );
  }
  // A later failover of the copy would leave the team a standby of a deleted primary.
  if (ctx.steps.some((s) => s.movesCopy)) {
    throw inputError(
      "KEEP_WITH_FAILOVER",
      "scrub: keep cannot be combined with a failover of the staging copy in the same drill",
      "keep the copy in a drill without `failover: { target: staging }`",
    );
  }
  keeper.check?.();
  return keeper;
}

/**
 * Make every database of the restored copy safe before anyone uses it: every column classified,
 * personal data rewritten (not updated in place), and a leak scan per database that must find
 * nothing; the copy is kept for the team only after all of them passed.
 */
export const scrub = defineStep({
  kind: "scrub",
  schema: scrubSchema,
  defaultTimeoutMs: 30 * 60_000,
  measures: ["scrubRows", "scrubRowsPerSecond"],
  needsCopy: () => true,
  scrubbers: (o) => [
    ...(o.scrubber ? [{ name: o.scrubber, path: ["scrubber"] }] : []),
    ...Object.entries(o.scrubbers ?? {}).map(([database, name]) => ({
      name,
      path: ["scrubbers", database],
    })),
  ],
  plan: async (o, ctx) => {
    const tables = (n: string) => {
      const s = ctx.resources.scrubbers.get(n);
      return s ? `${Object.keys(s.tables).length} table(s)` : "unknown scrubber";
    };
    const mapping = [
      ...(o.scrubber ? [`the copy's own database → ${o.scrubber} (${tables(o.scrubber)})`] : []),
      ...Object.entries(o.scrubbers ?? {}).map(([d, n]) => `${d} → ${n} (${tables(n)})`),
    ];
    return {
      databases: mapping.join(", "),
      otherDatabases: `${otherDatabases(o)} (databases with data no scrubber names)`,
      workers: o.workers,
      leakScan: o.leakScan,
      ...(o.keep !== undefined ? { keepMs: o.keep } : {}),
    };
  },
  /** Before anything is restored: keep must be possible, and rules must fit production's tables. */
  async preflight(o, ctx) {
    if (o.keep !== undefined) assertKeepable(ctx);
    const { preflightDatabases } = await import("../scrub/databases-preflight.js");
    await preflightDatabases(o, ctx);
  },
  async run(o, ctx) {
    if (!ctx.target)
      throw new DrillError("input", "NO_TARGET", "scrub needs a restore step before it");
    const connection = ctx.target.connection;
    const scrubbers = scrubbersOf(o, connection.database, ctx.resources);
    const keeper = o.keep !== undefined ? assertKeepable(ctx) : undefined;
    const { scrubDatabases } = await import("../scrub/databases.js");
    const report = await scrubDatabases(connection, {
      scrubbers,
      otherDatabases: otherDatabases(o),
      workers: o.workers,
      leakScan: o.leakScan,
      signal: ctx.signal,
      progress: ctx.progress,
    });
    ctx.measure("scrubRows", report.totals.rows);
    ctx.measure("scrubRowsPerSecond", report.totals.rowsPerSecond);
    const { outcome, findings, ...rest } = report;
    const details = { ...(o.scrubber ? { scrubber: o.scrubber } : {}), ...rest };
    // Released to the team only once every database passed; else cleanup removes the copy.
    if (keeper && o.keep !== undefined && outcome === "passed") {
      const kept = await keeper.keep({
        runId: ctx.runId,
        until: new Date(ctx.clock.now() + o.keep),
        // The scrubbed copy is the team's: it gets the superuser, as the copy's maker would.
        connection: ctx.target.admin ?? connection,
      });
      ctx.progress(`copy kept for the team until ${kept.until}: ${kept.connect}`);
      return { outcome, details: { ...details, kept }, findings };
    }
    return { outcome, details, findings };
  },
});

type ScrubOptions = z.output<typeof scrubSchema>;

/** Without `keep` a database nobody classified fails the step; with it, it is dropped. */
const otherDatabases = (options: ScrubOptions) =>
  options.otherDatabases ?? (options.keep ? "drop" : "fail");

/**
 * Each database to scrub with its scrubber: `scrubber` for the connection's database first, then
 * `scrubbers` in the order written. A database named twice is the user's mistake (exit 2).
 */
export function scrubbersOf(
  options: ScrubOptions,
  own: string,
  resources: RunResources,
): Map<string, DatabaseScrubber> {
  const out = new Map<string, DatabaseScrubber>();
  const entries = [
    ...(options.scrubber ? [[own, options.scrubber] as const] : []),
    ...Object.entries(options.scrubbers ?? {}),
  ];
  if (entries.length === 0)
    throw inputError("NO_SCRUBBER", "scrub: give `scrubber`, `scrubbers`, or both");
  for (const [database, name] of entries) {
    if (out.has(database)) {
      throw inputError(
        "SCRUB_DATABASE_TWICE",
        `scrub: database ${database} is named twice (\`scrubber\` is for the copy's own database, ${own})`,
        `remove ${database} from \`scrubbers\` or drop \`scrubber\``,
      );
    }
    const scrubber = resources.scrubbers.get(name);
    if (!scrubber) throw inputError("UNKNOWN_SCRUBBER", `unknown scrubber "${name}"`);
    out.set(database, { name, scrubber, source: scrubberSourceOf(name, resources) });
  }
  return out;
}
