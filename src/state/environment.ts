import type { Environment } from "../definitions/config.js";
import { acquireLock, lockKey, type Holder } from "./locks.js";

/** As much of a project as holding its environments needs (`drill sandbox` may have no drills). */
export interface ProjectState {
  root: string;
  config: { environments: Record<string, Environment> };
}

/**
 * Run `fn` holding the environments. A local environment's servers, snapshots and run folders
 * are one set of files on this machine, so one holder at a time: `drill run`, `drill scrubber
 * init`, `drill sandbox reset`, and `drill cleanup` when it stops a sandbox server. A second
 * one gets exit 2 naming the holder (pid, drill, since). An AWS environment is not held: each
 * run restores into resources of its own.
 */
export async function withEnvironment<T>(
  project: ProjectState,
  env: string | readonly string[],
  fn: () => Promise<T>,
  holder: Holder,
): Promise<T> {
  const local = [env]
    .flat()
    .filter((name) => project.config.environments[name]?.provider === "local");
  const releases: (() => Promise<void>)[] = [];
  try {
    for (const name of local)
      releases.push(
        await acquireLock(project.root, lockKey.environment(name), holder, `environment ${name}`),
      );
    return await fn();
  } finally {
    for (const release of releases.reverse()) await release().catch(() => {});
  }
}

/** Every local environment of the project: they share one sandbox folder. */
export const localEnvironments = (project: ProjectState): string[] =>
  Object.entries(project.config.environments)
    .filter(([, e]) => e.provider === "local")
    .map(([name]) => name);
