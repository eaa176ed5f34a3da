import { stepBase, strict } from "../definitions/common.js";
import { DrillError } from "../errors.js";
import { defineStep } from "./types.js";

export const cleanupSchema = strict({ ...stepBase }).meta({
  description:
    "Removes everything the run created, newest first. Always the last step and always run, also after a failure, a timeout or Ctrl-C; write it only to change its timeout.",
});

/**
 * Always the last step and always run: after a failed step, a timeout or an interrupt too. It
 * undoes what the steps before it registered with `ctx.defer`, newest first, so a step cannot
 * forget to remove what it created. One failing undo does not stop the others.
 */
export const cleanup = defineStep({
  kind: "cleanup",
  schema: cleanupSchema,
  defaultTimeoutMs: 5 * 60_000,
  measures: [],
  plan: async () => ({ action: "stop and delete everything the run created" }),
  async run(_options, ctx) {
    const results = await ctx.runDeferred();
    const failures = results.filter((r) => r.error !== undefined);
    const details = { undone: results.map((r) => r.label) };
    if (failures.length > 0) {
      throw new DrillError(
        "platform",
        "CLEANUP_FAILED",
        failures.map((f) => `${f.label}: ${f.error}`).join("; "),
        { hint: "run `drill cleanup` to remove what is left" },
      );
    }
    return { outcome: "passed", details };
  },
});
