import { z } from "zod";
import { duration, name, strict } from "./common.js";
import { oneOf } from "./one-of.js";
import { timezone } from "./config.js";
import { cronProblem } from "../daemon/cron.js";
import { stepSchemas } from "../steps/registry.js";
import { parseWindow } from "../failover/window.js";
import { writtenStep } from "./steps.js";
import { CONTROL_IDS } from "./controls.js";

export const stepSchema = oneOf("step", stepSchemas);

export const drillSchema = strict({
  name: name.meta({ description: "the drill's name; must equal the file name without .yaml" }),
  description: z.string().optional().meta({ description: "what the drill proves, for people" }),
  controls: z
    .array(
      z.enum(CONTROL_IDS, {
        error: (issue) =>
          `${typeof issue.input === "string" ? `unknown control ${JSON.stringify(issue.input)}` : "expected a control id"} (allowed: ${CONTROL_IDS.join(", ")})`,
      }),
    )
    .superRefine((ids, ctx) => {
      ids.forEach((id, i) => {
        const first = ids.indexOf(id);
        if (first !== i)
          ctx.addIssue({
            code: "custom",
            path: [i],
            message: `control "${id}" is listed twice (also controls[${first}])`,
          });
      });
    })
    .default([])
    .meta({
      description:
        "compliance controls this drill evidences (e.g. ISO27001-A.8.13, SOC2-A1.3, DORA-12); `drill controls` lists each with its runs",
    }),
  schedule: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = cronProblem(expr);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional()
    .meta({
      description:
        'cron expression, 5 fields or 6 with seconds (e.g. "0 4 * * 1"); only `drill daemon` reads it',
    }),
  timezone: timezone.optional().meta({
    description: "IANA timezone of `schedule` (default: config's `timezone`, then UTC)",
  }),
  production: z.boolean().default(false).meta({
    description:
      "allows a failover step to target production; on demand `--confirm-production` is needed too",
  }),
  window: z
    .string()
    .superRefine((w, ctx) => {
      const parsed = parseWindow(w);
      if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
    })
    .optional()
    .meta({
      description: 'when the daemon may fail production over, e.g. "Tue 10:00-12:00 Europe/Berlin"',
    }),
  environment: name.meta({ description: "an environment from config: where to restore from" }),
  showExamples: z.boolean().default(false).meta({
    description:
      "true: checks record the example values they find (orphan keys, a sql check's text value) as they are; by default they are keyed hashes (HMAC-SHA256 with .drill/examples.key), since records are posted to channels",
  }),
  objectives: strict({
    rto: duration
      .optional()
      .meta({ description: "recovery time: run start → restored copy verified and usable" }),
    rpo: duration.optional().meta({ description: "recovery point: age of the copy's newest data" }),
    phases: strict({
      restore: duration.optional().meta({ description: "budget of the restore step" }),
      scrub: duration.optional().meta({ description: "budget of the scrub step" }),
      verify: duration.optional().meta({ description: "budget of the verify step" }),
    })
      .optional()
      .meta({
        description: "budgets per recovery phase: a phase over its budget fails the run",
      }),
    regressions: z.enum(["warn", "fail"]).default("warn").meta({
      description:
        "a phase more than 25% slower than the median of the last 5 passed runs is a regression: a warning, or with fail a failure",
    }),
  })
    .optional()
    .meta({ description: "what recovery must achieve; a missed objective fails the run" }),
  steps: z
    .array(stepSchema)
    .min(1, { message: "give at least one step" })
    .meta({ description: "what the run does, in order" }),
  notify: z
    .array(name)
    .default([])
    .meta({ description: "channels from config to post each finished run to" }),
}).superRefine((drill, ctx) => {
  // Steps with no kind were reported by their own schema; judge the order of the rest.
  const steps = drill.steps.map(writtenStep);
  const firstRestore = steps.findIndex((s) => s?.kind === "restore");
  steps.forEach((step, i) => {
    if (!step) return;
    if (step.kind === "cleanup" && i !== steps.length - 1) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i],
        message: "cleanup must be the last step (it always runs last)",
      });
    }
    if (step.kind === "restore" && i !== firstRestore) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i],
        message: "a drill restores once; use another drill for another copy",
      });
    }
    if (step.needsCopy && (firstRestore === -1 || firstRestore > i)) {
      ctx.addIssue({
        code: "custom",
        path: step.path,
        message: `${step.kind} needs a restore step before it`,
      });
    }
  });
});

export type Drill = z.output<typeof drillSchema>;
export type DrillStep = Drill["steps"][number];
