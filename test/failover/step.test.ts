import { promises as fs } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drillSchema } from "../../src/definitions/drill.js";
import { resolveDrill } from "../../src/definitions/steps.js";
import { runDrill } from "../../src/engine/runner.js";
import { silentLogger } from "../../src/log.js";
import { sandboxStandbyPaths } from "../../src/providers/local/failover.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword, sandboxPaths } from "../../src/providers/local/sandbox.js";
import { systemClock } from "../../src/types.js";
import { seededRoot } from "../helpers/seeded-sandbox.js";
import { localEnv, noop } from "../local/util.js";
import { processesNaming } from "../helpers/processes.js";

/** The `failover` step through the engine, on a restored copy and on the sandbox "production". */
describe("failover step", () => {
  let root: string;

  beforeAll(async () => {
    root = await seededRoot("failover-step");
  });

  afterAll(async () => {
    expect(processesNaming(root)).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  const run = async (raw: object) => {
    const drill = drillSchema.parse({ name: "fo", environment: "sandbox", ...raw });
    const provider = new LocalProvider({ root, environment: localEnv() });
    return (
      await runDrill(
        resolveDrill(drill),
        {
          provider,
          clock: systemClock,
          log: silentLogger,
          resolvePath: (p) => p,
          resources: { scrubbers: new Map(), history: async () => [] },
        },
        new AbortController().signal,
        noop,
      )
    ).record;
  };

  it("fails the restored copy over and records downtime and lost writes beside their objectives", async () => {
    const record = await run({
      steps: [
        { restore: { from: { snapshot: "latest" } } },
        {
          failover: {
            probe: { writesPerSecond: 40 },
            expect: { maxDowntime: "60s", lostWrites: 0 },
          },
        },
      ],
    });
    expect(record.findings).toEqual([]);
    expect(record.outcome).toBe("passed");
    expect(record.steps.map((s) => [s.kind, s.outcome])).toEqual([
      ["restore", "passed"],
      ["failover", "passed"],
      ["cleanup", "passed"],
    ]);
    const downtime = record.measurements.downtimeMs!;
    expect(downtime.objective).toBe(60_000);
    expect(downtime.value).toBeGreaterThan(0);
    expect(downtime.met).toBe(true);
    expect(record.measurements.lostWrites).toEqual({ value: 0, objective: 0, met: true });
    expect(record.measurements.promoteMs!.value).toBeGreaterThan(0);
    const details = record.steps[1]!.details as { probe: { resolutionMs: number } };
    expect(details.probe.resolutionMs).toBe(25);
    expect(record.steps[2]!.details).toMatchObject({
      undone: [
        expect.stringMatching(/^probe table drill_failover_probe_[0-9a-f]{8}$/),
        "standby of the restored copy",
        expect.stringMatching(/^restored copy/),
        "local provider",
      ],
    });
    const password = await sandboxPassword(root);
    expect(JSON.stringify(record)).not.toContain(password);
  });

  it("refuses production without the drill's `production: true`, before touching anything", async () => {
    const record = await run({
      steps: [
        { restore: { from: { snapshot: "latest" } } },
        { failover: { target: "production" } },
      ],
    });
    expect(record.outcome).toBe("error");
    expect(record.steps[1]!.error).toMatchObject({ code: "PRODUCTION_NOT_ALLOWED" });
    await expect(fs.stat(sandboxStandbyPaths(root).dataDir)).rejects.toThrow(/ENOENT/);
  });

  it("fails the sandbox primary over, switches back, and keeps the standby for the next drill", async () => {
    const drill = {
      production: true,
      steps: [
        { restore: { from: { snapshot: "latest" } } },
        { failover: { target: "production", expect: { lostWrites: 0 } } },
      ],
    };
    const first = await run(drill);
    expect(first.findings).toEqual([]);
    expect(first.steps[1]!.details).toMatchObject({
      standby: { standbyBuilt: true },
      repair: { failback: { failbackMs: expect.any(Number) } },
    });
    const second = await run(drill);
    expect(second.findings).toEqual([]);
    expect(second.steps[1]!.details).toMatchObject({ standby: { standbyBuilt: false } });
    // The primary is back in its own folder, the standby kept (stopped) for next time.
    await fs.stat(`${sandboxStandbyPaths(root).dataDir}/standby.signal`);
    await expect(fs.stat(`${sandboxPaths(root).dataDir}/standby.signal`)).rejects.toThrow(/ENOENT/);
  });
});
