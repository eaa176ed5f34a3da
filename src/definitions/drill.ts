import { z } from "zod";
import { duration, name, strict } from "./common.js";
import { oneOf } from "./one-of.js";
import { timezone } from "./config.js";
import { cronProblem } from "../daemon/cron.js";
import { stepKinds } from "../steps/registry.js";
import { parseWindow } from "../failover/window.js";

export const stepSchema = oneOf(
  "step",
  Object.fromEntries(Object.entries(stepKinds).map(([k, s]) => [k, s.schema])),
);

export const drillSchema = strict({
  name,
  description: z.string().optional(),
  /** Cron expression (node-cron syntax); only `drill daemon` reads it. */
  schedule: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = cronProblem(expr);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  /** Timezone of `schedule`; defaults to config `timezone`, then UTC. */
  timezone: timezone.optional(),
  /** Allows a failover step to fail over production; on demand also `--confirm-production`. */
  production: z.boolean().default(false),
  /** When the daemon may fail production over, e.g. "Tue 10:00-12:00 Europe/Berlin". */
  window: z
    .string()
    .superRefine((w, ctx) => {
      const parsed = parseWindow(w);
      if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
    })
    .optional(),
  environment: name,
  objectives: strict({
    /** Run start → restored copy verified and usable. */
    rto: duration.optional(),
    /** Age of the copy's newest data. */
    rpo: duration.optional(),
    /** Budgets per recovery phase: a phase over its budget fails the run, like a missed RTO. */
    phases: strict({
      restore: duration.optional(),
      scrub: duration.optional(),
      verify: duration.optional(),
    }).optional(),
    /**
     * A phase more than 25% slower than the median of the last 5 passed runs is a regression:
     * reported as a warning, or a failure with `fail`.
     */
    regressions: z.enum(["warn", "fail"]).default("warn"),
  }).optional(),
  steps: z.array(stepSchema).min(1, { message: "give at least one step" }),
  notify: z.array(name).default([]),
}).superRefine((drill, ctx) => {
  // Steps with no kind were reported by their own schema; judge the order of the rest.
  const kinds = drill.steps.map(
    (s) => Object.keys(s).find((k) => (s as Record<string, unknown>)[k] !== undefined) ?? "",
  );
  const firstRestore = kinds.indexOf("restore");
  kinds.forEach((kind, i) => {
    if (kind === "") return;
    if (kind === "cleanup" && i !== kinds.length - 1) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i],
        message: "cleanup must be the last step (it always runs last)",
      });
    }
    if (kind === "restore" && i !== firstRestore) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i],
        message: "a drill restores once; use another drill for another copy",
      });
    }
    const step = drill.steps[i] as { failover?: { target?: string } };
    const needsCopy =
      NEEDS_RESTORED_COPY.has(kind) || (kind === "failover" && step.failover?.target === "staging");
    if (needsCopy && (firstRestore === -1 || firstRestore > i)) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i, kind],
        message: `${kind} needs a restore step before it`,
      });
    }
  });
});

/** Steps that work on the run's restored copy (a failover of `staging` too). */
const NEEDS_RESTORED_COPY = new Set(["scrub", "verify"]);

export type Drill = z.output<typeof drillSchema>;
export type DrillStep = Drill["steps"][number];
