import type { Drill } from "../definitions/drill.js";
import { formatPath } from "../definitions/problems.js";
import type { ResolvedStep } from "../definitions/steps.js";
import { insideWindow, parseWindow } from "./window.js";

/** The few options of a failover step that decide whether it touches production. */
export interface FailoverStepRef {
  target: string;
  /** Where the step sits, for messages: `steps[3].failover`. */
  path?: string;
}

export interface SafetyContext {
  /** `drill run --confirm-production` was given. */
  confirmProduction: boolean;
  /** Epoch ms. */
  now: number;
  /** The daemon runs the drill (on its schedule), not a person at a terminal. */
  fromDaemon: boolean;
}

/**
 * Why failing this step over must not happen now, one line each (empty: it may). Failing over
 * production is the one write to production drill ever makes: it needs the drill's
 * `production: true`, and a person's `--confirm-production` on demand, or the daemon inside the
 * drill's `window`. Callers turn problems into exit 2 before anything runs.
 */
export function failoverSafety(
  drill: Pick<Drill, "name"> & { production?: boolean; window?: string; timezone?: string },
  step: FailoverStepRef,
  ctx: SafetyContext,
): string[] {
  if (step.target === "staging") return [];
  const where = step.path ?? "failover";
  const what = `${where}: target "${step.target}" fails over a production database`;
  if (drill.production !== true)
    return [`${what}; the drill must say \`production: true\` to allow it`];
  if (!ctx.fromDaemon) {
    return ctx.confirmProduction
      ? []
      : [`${what}; run it with --confirm-production to confirm (drill ${drill.name})`];
  }
  if (drill.window === undefined)
    return [`${what}; the daemon runs it only inside the drill's \`window\`, and it has none`];
  const w = parseWindow(drill.window);
  if (typeof w === "string") return [`window: ${w}`];
  if (!insideWindow(w, ctx.now, drill.timezone ?? "UTC"))
    return [`${what}; now is outside its window "${drill.window}"`];
  return [];
}

/** Every failover step of a drill with its target, for `failoverSafety`. */
export const failoverSteps = (steps: readonly ResolvedStep[]): FailoverStepRef[] =>
  steps.flatMap((s) =>
    s.kind === "failover" ? [{ target: s.options.target, path: formatPath(s.path) }] : [],
  );
