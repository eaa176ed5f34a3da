import type { Project } from "../definitions/project.js";
import { formatDuration } from "../duration.js";
import { DrillError } from "../errors.js";
import type { ExitCode } from "../errors.js";
import { silentLogger } from "../log.js";
import { createProvider } from "../providers/index.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport, resolverFor, resourcesFor, selectedDrills } from "./project.js";

interface DrillPlan {
  drill: string;
  environment: string;
  provider: string;
  objectives: { rtoMs: number | null; rpoMs: number | null };
  steps: { kind: string; timeoutMs: number; plan: Record<string, unknown> }[];
}

/**
 * `drill plan` and `drill run --dry-run`: resolve everything a run would use (which snapshot,
 * which checks, which budgets) without creating, starting or writing anything.
 */
export async function planCommand(
  targets: string[],
  flags: { json?: boolean; offline?: boolean },
  io: Io,
): Promise<ExitCode> {
  const project = await loadOrReport(io, targets.length > 0 ? targets : undefined);
  if (!project) return 2;
  const names = targets.length > 0 ? selectedDrills(project, targets) : [...project.drills.keys()];
  const plans: DrillPlan[] = [];
  try {
    for (const name of names) plans.push(await planOne(project, name, flags.offline ?? false));
  } catch (e) {
    if (!(e instanceof DrillError)) throw e;
    writeLine(io.stderr, `${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`);
    return e.exitCode;
  }
  if (flags.json) {
    writeLine(io.stdout, JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 2));
    return 0;
  }
  for (const p of plans) {
    const obj = (label: string, v: number | null) =>
      `${label} ${v === null ? "none" : formatDuration(v)}`;
    writeLine(
      io.stdout,
      `drill ${p.drill}  environment ${p.environment} (${p.provider})  ${obj("RTO", p.objectives.rtoMs)}, ${obj("RPO", p.objectives.rpoMs)}`,
    );
    p.steps.forEach((s, i) => {
      writeLine(io.stdout, `  ${i + 1}. ${s.kind} (timeout ${formatDuration(s.timeoutMs)})`);
      for (const [k, v] of Object.entries(s.plan))
        writeLine(io.stdout, `       ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    });
    writeLine(io.stdout, "  nothing was created: this is a plan");
  }
  return 0;
}

async function planOne(project: Project, name: string, offline: boolean): Promise<DrillPlan> {
  const { drill, steps } = project.drills.get(name)!;
  const env = project.config.environments[drill.environment]!;
  const provider = await createProvider(env, {
    root: project.root,
    environmentName: drill.environment,
    log: silentLogger,
    drill: drill.name,
    offline,
  });
  const ctx = {
    drill,
    steps,
    provider,
    resolvePath: resolverFor(project.root),
    resources: resourcesFor(project, drill.name),
  };
  return {
    drill: drill.name,
    environment: drill.environment,
    provider: env.provider,
    objectives: { rtoMs: drill.objectives?.rto ?? null, rpoMs: drill.objectives?.rpo ?? null },
    steps: await Promise.all(
      steps.map(async (step) => ({
        kind: step.kind,
        timeoutMs: step.timeoutMs,
        plan: await step.plan({ ...ctx, step }),
      })),
    ),
  };
}
