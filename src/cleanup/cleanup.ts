import type { Project } from "../definitions/project.js";
import { inputError } from "../errors.js";
import { awsLeftovers } from "./aws.js";
import { localLeftovers } from "./local.js";
import { staleLocks } from "./locks.js";
import { deadRuns, recordDeadRun } from "./records.js";
import {
  msg,
  type CleanupItem,
  type CleanupOptions,
  type CleanupScope,
  type Leftover,
} from "./types.js";

export type { CleanupItem, CleanupOptions } from "./types.js";

/**
 * `drill cleanup`: find what runs that are no longer alive (or are past their expiry) left
 * behind, and remove it, and nothing else. Local run folders and their servers, kept copies whose
 * time is up, sandbox servers nobody runs, tagged AWS resources, stale locks; then each dead
 * run's marker becomes its history record (outcome `error`, "runner died").
 *
 * Errors while removing one thing do not stop the others: they come back as `failed` items.
 */
export async function cleanupProject(
  project: Project,
  opts: CleanupOptions = {},
): Promise<CleanupItem[]> {
  const names = Object.keys(project.config.environments);
  if (opts.environment !== undefined && !names.includes(opts.environment)) {
    throw inputError(
      "UNKNOWN_ENVIRONMENT",
      `--environment: unknown environment "${opts.environment}" (known: ${names.join(", ") || "none"})`,
    );
  }
  const scope: CleanupScope = {
    project,
    environments: opts.environment !== undefined ? [opts.environment] : names,
    now: opts.now ?? Date.now(),
    dryRun: opts.dryRun ?? false,
  };
  const items: CleanupItem[] = [];
  const dead = await deadRuns(scope);
  const deadIds = new Set(dead.map((d) => d.runId));

  items.push(...(await settle(scope, await localLeftovers(scope), opts)));
  let aws: Leftover[] = [];
  try {
    aws = await awsLeftovers(scope, deadIds, opts);
  } catch (e) {
    const what = "tagged resources";
    items.push({
      kind: "aws",
      what,
      why: "listing",
      action: "remove",
      status: "failed",
      error: msg(e),
    });
  }
  // Deleting a database waits minutes for AWS: all at once.
  items.push(...(await Promise.all(aws.map((l) => settleOne(scope, l, opts)))));
  items.push(...(await settle(scope, await staleLocks(scope), opts)));

  for (const d of dead) {
    const item: CleanupItem = {
      kind: "run",
      what: `${d.runId} as error ("runner died") in history`,
      why: d.why,
      runId: d.runId,
      action: "record",
      status: scope.dryRun ? "listed" : "removed",
    };
    if (!scope.dryRun) {
      try {
        await recordDeadRun(
          scope,
          d,
          items.filter((i) => i.runId === d.runId),
        );
      } catch (e) {
        Object.assign(item, { status: "failed", error: msg(e) });
      }
    }
    items.push(item);
    log(opts, item);
  }
  return items;
}

async function settle(scope: CleanupScope, found: Leftover[], opts: CleanupOptions) {
  const out: CleanupItem[] = [];
  for (const l of found) out.push(await settleOne(scope, l, opts));
  return out;
}

async function settleOne(scope: CleanupScope, leftover: Leftover, opts: CleanupOptions) {
  const item: CleanupItem = {
    kind: leftover.kind,
    what: leftover.what,
    why: leftover.why,
    ...(leftover.runId ? { runId: leftover.runId } : {}),
    action: leftover.action ?? "remove",
    status: "listed",
  };
  if (!scope.dryRun) {
    try {
      await leftover.remove();
      item.status = "removed";
    } catch (e) {
      Object.assign(item, { status: "failed", error: msg(e) });
    }
  }
  log(opts, item);
  return item;
}

function log(opts: CleanupOptions, item: CleanupItem) {
  if (item.status === "failed") opts.log?.error({ ...item }, "cleanup: could not remove");
  else opts.log?.info({ ...item }, `cleanup: ${item.status}`);
}
