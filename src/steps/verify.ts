import { z } from "zod";
import { stepBase, strict } from "../definitions/common.js";
import { kindOf, oneOf } from "../definitions/one-of.js";
import { checkKinds } from "../checks/registry.js";
import { runChecks } from "../checks/run.js";
import { DrillError } from "../errors.js";
import { defineStep } from "./types.js";

export const checkSchema = oneOf(
  "check",
  Object.fromEntries(Object.entries(checkKinds).map(([k, c]) => [k, c.schema])),
);

export const verify = defineStep({
  kind: "verify",
  schema: strict({
    checks: z.array(checkSchema).min(1, { message: "give at least one check" }),
    /** How many checks run at once, each on its own connection. */
    concurrency: z.number().int().min(1).max(16).default(4),
    /** Per check: a query running longer is cancelled and the check errors. */
    checkTimeout: stepBase.timeout,
    ...stepBase,
  }),
  defaultTimeoutMs: 15 * 60_000,
  plan: async (o) => ({
    checks: o.checks.map((c) => {
      const [kind, options] = kindOf(c);
      return checkKinds[kind]!.describe(options);
    }),
  }),
  async run(o, ctx) {
    if (!ctx.target) {
      throw new DrillError("input", "NO_TARGET", "verify needs a restore step before it");
    }
    const results = await runChecks(o.checks.map(kindOf), ctx.target.connection, {
      concurrency: o.concurrency,
      statementTimeoutMs: o.checkTimeout ?? 5 * 60_000,
      signal: ctx.signal,
      clock: ctx.clock,
      progress: ctx.progress,
    });
    const bad = results.filter((r) => r.outcome !== "passed");
    return {
      outcome: bad.length === 0 ? "passed" : "failed",
      details: { checks: results },
      findings: bad.map((r) =>
        r.outcome === "error"
          ? `check "${r.name}" errored: ${r.message}`
          : `check "${r.name}": measured ${JSON.stringify(r.measured)}, expected ${r.expected}`,
      ),
    };
  },
});
