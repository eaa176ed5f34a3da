import { z } from "zod";
import { duration, name, strict } from "./common.js";
import { oneOf } from "./one-of.js";
import { stepKinds } from "../steps/registry.js";

export const stepSchema = oneOf(
  "step",
  Object.fromEntries(Object.entries(stepKinds).map(([k, s]) => [k, s.schema])),
);

export const drillSchema = strict({
  name,
  description: z.string().optional(),
  /** Cron expression; only `drill daemon` reads it. */
  schedule: z.string().min(1).optional(),
  timezone: z.string().optional(),
  environment: name,
  objectives: strict({ rto: duration.optional(), rpo: duration.optional() }).optional(),
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
    if (kind !== "restore" && kind !== "cleanup" && (firstRestore === -1 || firstRestore > i)) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", i, kind],
        message: `${kind} needs a restore step before it`,
      });
    }
  });
});

export type Drill = z.output<typeof drillSchema>;
export type DrillStep = Drill["steps"][number];
