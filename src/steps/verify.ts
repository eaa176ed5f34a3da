import { z } from "zod";
import { duration, stepBase, strict } from "../definitions/common.js";
import { kindsOf, oneOf } from "../definitions/one-of.js";
import { checkKinds } from "../checks/registry.js";
import { runChecks } from "../checks/run.js";
import type { CheckRecord } from "../checks/types.js";
import { DrillError } from "../errors.js";
import { examplesFor } from "../redact.js";
import type { RunRecord } from "../types.js";
import { defineStep, type StepContext } from "./types.js";

export const checkSchema = oneOf(
  "check",
  Object.fromEntries(Object.entries(checkKinds).map(([k, c]) => [k, c.schema])),
);

export const verifySchema = strict({
  checks: z
    .array(checkSchema)
    .min(1, { message: "give at least one check" })
    .meta({ description: "the checks to run on the copy" }),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(4)
    .meta({ description: "checks run at once, each on its own connection" }),
  checkTimeout: duration.prefault("5m").meta({
    description:
      "per check: a query (or a command) running longer is cancelled and the check errors",
  }),
  ...stepBase,
}).meta({
  description:
    "Runs checks on the restored copy, at most `concurrency` at a time; a check that errors does not stop the others.",
});

export const verify = defineStep({
  kind: "verify",
  schema: verifySchema,
  defaultTimeoutMs: 15 * 60_000,
  measures: ["rpoMs"],
  needsCopy: () => true,
  plan: async (o) => ({
    checks: kindsOf(o.checks).map(([kind, options]) => checkKinds[kind]!.describe(options)),
  }),
  async run(o, ctx) {
    const target = ctx.target;
    if (!target) {
      throw new DrillError("input", "NO_TARGET", "verify needs a restore step before it");
    }
    let previous: Promise<RunRecord | undefined> | undefined;
    const takenAt = target.source.takenAt ? Date.parse(target.source.takenAt) : NaN;
    const results = await runChecks(kindsOf(o.checks), {
      connection: target.connection,
      admin: target.admin ?? target.connection,
      concurrency: o.concurrency,
      statementTimeoutMs: o.checkTimeout,
      signal: ctx.signal,
      clock: ctx.clock,
      progress: ctx.progress,
      snapshotTakenAt: Number.isNaN(takenAt) ? undefined : takenAt,
      // Read once, and only when a check compares with the past.
      previousPassedRun: () =>
        (previous ??= ctx.resources
          .history()
          .then((runs) => runs.find((r) => r.outcome === "passed" && r.id !== ctx.runId))),
      cwd: ctx.resolvePath("."),
      examples: examplesFor(ctx.drill.showExamples, ctx.resources.examplesKey),
    });
    const details: Record<string, unknown> = { checks: results };
    const rpo = measuredRpo(results, ctx);
    if (rpo) {
      details.rpo = rpo;
      ctx.measure("rpoMs", rpo.valueMs, ctx.drill.objectives?.rpo ?? null);
    }
    const bad = results.filter((r) => r.outcome !== "passed");
    return {
      outcome: bad.length === 0 ? "passed" : "failed",
      details,
      findings: bad.map((r) =>
        r.outcome === "error"
          ? `check "${r.name}" errored: ${r.message}`
          : r.message !== undefined
            ? `check "${r.name}": ${r.message}`
            : `check "${r.name}": measured ${JSON.stringify(r.measured)}, expected ${r.expected}`,
      ),
    };
  },
});

interface RpoCandidate {
  from: string;
  ageMs: number;
}

/**
 * The RPO is the worst age of the copy's newest data: each freshness check gives one, and so
 * does the restore step's `newestData` (aged at the moment the copy came up), read back from the
 * run's measurements. Undefined when no freshness check measured anything: the restore step's
 * measurement then stands as it is.
 */
function measuredRpo(
  results: CheckRecord[],
  ctx: StepContext,
): { valueMs: number; from: string; candidates: RpoCandidate[] } | undefined {
  const candidates: RpoCandidate[] = [];
  for (const r of results) {
    const d = r.details;
    if (r.kind !== "freshness" || typeof d?.ageMs !== "number") continue;
    candidates.push({ from: `check "${r.name}" (against ${String(d.against)})`, ageMs: d.ageMs });
  }
  if (candidates.length === 0) return undefined;
  const earlier = ctx.measurement("rpoMs");
  if (earlier?.value !== null && earlier?.value !== undefined) {
    const from = earlier.about ? `${earlier.step} ${earlier.about}` : earlier.step;
    candidates.push({ from, ageMs: earlier.value });
  }
  const worst = candidates.reduce((a, b) => (b.ageMs > a.ageMs ? b : a));
  return { valueMs: worst.ageMs, from: worst.from, candidates };
}
