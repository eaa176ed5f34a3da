import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { RunRecord } from "../../src/types.js";
import { makeProject, REPO, runCli } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";

/** The README's promise: the repository's own quickstart passes on a machine with nothing set up. */
it("runs the repository's quickstart twice: the first creates the sandbox, the second reuses it", async () => {
  const root = await makeProject({
    "drills/quickstart.yaml": await readFile(join(REPO, "drills/quickstart.yaml"), "utf8"),
    "config/drill.yaml": await readFile(join(REPO, "config/drill.yaml"), "utf8"),
    "scrubbers/shop.yaml": await readFile(join(REPO, "scrubbers/shop.yaml"), "utf8"),
  });
  const first = await runCli(["run", "quickstart", "--json"], { cwd: root });
  const a = JSON.parse(first.stdout) as RunRecord;
  // A failed first run says why (findings, each step's outcome), not only its exit code.
  const why = JSON.stringify({
    measurements: a.measurements,
    findings: a.findings,
    steps: a.steps.map((s) => [s.kind, s.outcome, s.error?.message]),
  });
  expect(first.code, why).toBe(0);
  expect(a.outcome).toBe("passed");
  expect(a.preparation?.details).toMatchObject({ created: true, snapshot: { taken: true } });
  expect(a.steps.map((s) => [s.kind, s.outcome])).toEqual([
    ["restore", "passed"],
    ["scrub", "passed"],
    ["verify", "passed"],
    ["failover", "passed"],
    ["cleanup", "passed"],
  ]);
  expect(a.steps.find((s) => s.kind === "verify")?.details.checks).toHaveLength(14);
  expect(a.measurements.lostWrites).toEqual({ value: 0, objective: 0, met: true });
  expect(a.measurements.downtimeMs?.met).toBe(true);
  expect(a.measurements.scrubRows?.value).toBeGreaterThan(10_000);
  expect(a.measurements.rtoMs?.met).toBe(true);
  expect(a.measurements.rpoMs?.met).toBe(true);
  expect(processesNaming(root)).toEqual([]);

  const second = await runCli(["run", "quickstart", "--json"], { cwd: root });
  expect(second.code).toBe(0);
  const b = JSON.parse(second.stdout) as RunRecord;
  expect(b.outcome).toBe("passed");
  expect(b.preparation?.details).toMatchObject({ created: false, snapshot: { taken: false } });
  expect(processesNaming(root)).toEqual([]);
});
