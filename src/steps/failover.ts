import { z } from "zod";
import { duration, stepBase, strict } from "../definitions/common.js";
import { postgresUrl, TLS_DESCRIPTION } from "../definitions/postgres-url.js";
import { inputError } from "../errors.js";
import { failoverUnderProbe } from "../failover/run.js";
import { failoverSafety } from "../failover/safety.js";
import { connectionFromUrl } from "../pg-url.js";
import { defineStep } from "./types.js";

const target = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, {
    message: 'expected "staging", "production" or the name of a cluster',
  })
  .meta({
    description:
      "staging (the run's restored copy), production (needs the drill's `production: true`), or a named cluster of the provider",
  });

export const failoverSchema = strict({
  target: target.default("staging"),
  mode: z.enum(["crash", "switchover"]).default("crash").meta({
    description: "crash: the primary is killed; switchover: it is stopped cleanly first (planned)",
  }),
  synchronous: z.boolean().default(false).meta({
    description:
      "commits wait for the standby (synchronous replication): no acknowledged write may be lost",
  }),
  probe: strict({
    writesPerSecond: z.number().int().min(1).max(500).default(20).meta({
      description: "sequenced writes per second; downtime is measured to 1/this of a second",
    }),
    warmup: duration.optional().meta({
      description:
        "writes acknowledged before the failover, so there is a last write before it (default 1s)",
    }),
    steady: duration.optional().meta({
      description:
        "how long writes must flow on the new primary before the probe stops (default 2s)",
    }),
    url: postgresUrl.optional().meta({
      description: `AWS production: a postgres:// URL of the endpoint the probe writes through (write it as \${VARIABLE}). ${TLS_DESCRIPTION}`,
    }),
  })
    .default({ writesPerSecond: 20 })
    .meta({ description: "the writer that measures what clients see during the failover" }),
  expect: strict({
    maxDowntime: duration.optional().meta({
      description: "last acknowledged write before the failover → first after, as the probe saw it",
    }),
    lostWrites: z.number().int().min(0).optional().meta({
      description: "acknowledged writes allowed to be missing on the new primary",
    }),
  })
    .default({})
    .meta({ description: "limits on what the probe measured; one exceeded fails the step" }),
  production: strict({
    dbInstance: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "an RDS Multi-AZ instance, rebooted with failover" }),
    dbCluster: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "an Aurora cluster, failed over to a reader" }),
    targetInstance: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Aurora: the reader to promote (default: Aurora picks)" }),
  })
    .refine((p) => (p.dbInstance === undefined) !== (p.dbCluster === undefined), {
      message: "give exactly one of dbInstance, dbCluster",
    })
    .optional()
    .meta({ description: "AWS: the production database to fail over (target: production)" }),
  ...stepBase,
}).meta({
  description:
    "Fails a database over for real while a probe writes sequenced rows, and measures what clients saw: downtime and acknowledged writes lost. `target: staging` gives the restored copy a streaming standby first; `target: production` needs `production: true` in the drill and, on demand, `--confirm-production`.",
});

export type FailoverOptions = z.output<typeof failoverSchema>;

/**
 * Fail a database over for real under a write probe and measure what clients saw: downtime and
 * acknowledged writes lost. The pair is repaired afterwards, the probe table dropped.
 */
export const failover = defineStep({
  kind: "failover",
  schema: failoverSchema,
  defaultTimeoutMs: 15 * 60_000,
  measures: ["downtimeMs", "lostWrites", "promoteMs"],
  needsCopy: (o) => o.target === "staging",
  touchesProduction: (o) => o.target === "production",
  movesCopy: (o) => o.target === "staging",
  plan: async (o, ctx) => ({
    target: o.target,
    mode: o.mode,
    synchronous: o.synchronous,
    writesPerSecond: o.probe.writesPerSecond,
    resolutionMs: Math.round(1000 / o.probe.writesPerSecond),
    expect: o.expect,
    supported: ctx.provider.failoverPair !== undefined,
  }),
  async run(o, ctx) {
    if (!ctx.provider.failoverPair)
      throw inputError(
        "FAILOVER_UNSUPPORTED",
        `the ${ctx.provider.name} provider cannot fail a database over`,
      );
    // Defence in depth: the CLI checks the confirmation flag and the window before the run.
    const refused = failoverSafety(
      ctx.drill,
      { target: o.target },
      {
        confirmProduction: true,
        fromDaemon: false,
        now: ctx.clock.now(),
      },
    );
    if (refused.length > 0) throw inputError("PRODUCTION_NOT_ALLOWED", refused.join("; "));
    const copy = ctx.target;
    const pair = await ctx.provider.failoverPair({
      target: o.target,
      ...(o.target === "staging" && copy
        ? {
            copy: {
              runId: ctx.runId,
              connection: copy.connection,
              ...(copy.admin ? { admin: copy.admin } : {}),
            },
          }
        : {}),
      synchronous: o.synchronous,
      ...(o.production ? { production: awsTarget(o.production) } : {}),
      ...(o.probe.url
        ? { probeEndpoint: await connectionFromUrl(o.probe.url, "failover probe.url") }
        : {}),
      signal: ctx.signal,
      progress: ctx.progress,
      defer: ctx.defer,
    });
    const out = await failoverUnderProbe(
      pair,
      {
        mode: o.mode,
        writesPerSecond: o.probe.writesPerSecond,
        ...(o.probe.warmup !== undefined ? { warmupMs: o.probe.warmup } : {}),
        ...(o.probe.steady !== undefined ? { steadyMs: o.probe.steady } : {}),
        ...(o.expect.maxDowntime !== undefined ? { maxDowntimeMs: o.expect.maxDowntime } : {}),
        ...(o.expect.lostWrites !== undefined ? { lostWrites: o.expect.lostWrites } : {}),
        production: o.target !== "staging",
      },
      { signal: ctx.signal, progress: ctx.progress, defer: ctx.defer },
    );
    ctx.measure("downtimeMs", out.report.downtimeMs, o.expect.maxDowntime ?? null);
    ctx.measure("lostWrites", out.report.lostWrites, o.expect.lostWrites ?? null);
    ctx.measure("promoteMs", out.promoteMs);
    // Later steps work on the copy where it now accepts writes.
    if (o.target === "staging" && copy) {
      const primary = pair.primary();
      const at = { host: primary.host, port: primary.port };
      ctx.setTarget({
        ...copy,
        connection: primary,
        ...(copy.admin ? { admin: { ...copy.admin, ...at } } : {}),
      });
    }
    return { outcome: out.outcome, details: out.details, findings: out.findings };
  },
});

function awsTarget(p: NonNullable<FailoverOptions["production"]>) {
  return p.dbCluster !== undefined
    ? { dbCluster: p.dbCluster, ...(p.targetInstance ? { targetInstance: p.targetInstance } : {}) }
    : { dbInstance: p.dbInstance! };
}
