import { checkKinds } from "../../src/checks/registry.js";
import { examplesFor } from "../../src/redact.js";
import { runChecks, type RunChecksOptions } from "../../src/checks/run.js";
import type { CheckRecord } from "../../src/checks/types.js";
import { REPO } from "../helpers/project.js";
import { systemClock, type ConnectionInfo } from "../../src/types.js";

/**
 * Run checks against a test cluster with the defaults verify would use, overridable. Options go
 * through the check's schema first, as they do when a drill file is loaded.
 */
export function runOn(
  connection: ConnectionInfo,
  checks: [string, unknown][],
  over: Partial<RunChecksOptions> = {},
  /** false: skip the schema, to reach names no drill file could write (quoting tests). */
  parse = true,
): Promise<CheckRecord[]> {
  const parsed = parse
    ? checks.map(([k, o]): [string, unknown] => [k, checkKinds[k]!.schema.parse(o)])
    : checks;
  return runChecks(parsed, {
    connection,
    admin: connection,
    concurrency: 3,
    statementTimeoutMs: 10_000,
    signal: new AbortController().signal,
    clock: systemClock,
    progress: () => {},
    snapshotTakenAt: undefined,
    previousPassedRun: async () => undefined,
    cwd: REPO,
    examples: examplesFor(false),
    ...over,
  });
}

/** The fields a reader of the summary sees, for exact comparisons. */
export const seen = (r: CheckRecord) => [r.name, r.outcome, r.measured, r.expected];
