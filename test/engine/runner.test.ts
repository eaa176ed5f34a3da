import { describe, expect, it } from "vitest";
import type { Drill } from "../../src/definitions/drill.js";
import { runDrill, type EngineDeps } from "../../src/engine/runner.js";
import type { RunEvent } from "../../src/engine/events.js";
import type { RunRecord } from "../../src/types.js";
import { DrillError, platformError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import type { Provider } from "../../src/providers/types.js";
import { cleanup } from "../../src/steps/cleanup.js";
import type { StepContext, StepKind, StepResult } from "../../src/steps/types.js";
import { resolveSteps } from "../../src/definitions/steps.js";
import type { StepRegistry } from "../../src/steps/registry.js";
import { z } from "zod";

/** A clock the steps move forward by hand: timing without sleeping. */
function manualClock(start = Date.parse("2026-11-28T10:00:00Z")) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

type Behaviour = (ctx: StepContext) => Promise<StepResult>;

function kind(name: string, behaviour: Behaviour, measures: string[] = []): StepKind {
  return {
    kind: name,
    schema: z.any(),
    defaultTimeoutMs: 60_000,
    measures,
    plan: async () => ({}),
    run: (_o, ctx) => behaviour(ctx),
  };
}

function setup(
  behaviours: Record<string, Behaviour>,
  opts: {
    rto?: number;
    prepare?: () => Promise<void>;
    objectives?: object;
    history?: RunRecord[];
    measures?: Record<string, string[]>;
  } = {},
) {
  const clock = manualClock();
  const calls: string[] = [];
  const provider: Provider = {
    name: "test",
    prepare: async () => {
      calls.push("prepare");
      await opts.prepare?.();
      return {};
    },
    planRestore: async () => ({
      source: { kind: "snapshot", id: "s" },
      description: "",
      details: {},
    }),
    restore: async () => {
      throw new Error("not used");
    },
    release: async () => void calls.push("release"),
  };
  const stepKinds = {
    cleanup,
    ...Object.fromEntries(
      Object.entries(behaviours).map(([k, b]) => [k, kind(k, b, opts.measures?.[k])]),
    ),
  } as Partial<StepRegistry>;
  const raw = {
    name: "t",
    environment: "e",
    objectives: opts.objectives ?? (opts.rto === undefined ? undefined : { rto: opts.rto }),
    steps: Object.keys(behaviours).map((k) => ({ [k]: {} })),
    notify: [],
  } as unknown as Drill;
  const deps: EngineDeps = {
    provider,
    clock,
    log: silentLogger,
    resolvePath: (p) => p,
    newRunId: () => "run-1",
    resources: { scrubbers: new Map(), history: async () => opts.history ?? [] },
  };
  const events: RunEvent[] = [];
  return {
    clock,
    calls,
    raw,
    /** The drill as the runner takes it, its steps resolved by the test's kinds. */
    get drill() {
      return { drill: raw, steps: resolveSteps(raw, stepKinds) };
    },
    deps,
    events,
    emit: (e: RunEvent) => events.push(e),
  };
}

const pass: StepResult = { outcome: "passed", details: {} };

describe("runDrill", () => {
  it("runs steps in order, times them with the clock, and undoes what they created newest first", async () => {
    const s = setup(
      {
        restore: async (ctx) => {
          ctx.defer("copy", async () => void s.calls.push("undo copy"));
          ctx.defer("port", async () => void s.calls.push("undo port"));
          s.clock.advance(4000);
          return pass;
        },
        verify: async () => {
          s.clock.advance(1000);
          return pass;
        },
      },
      { rto: 10_000 },
    );
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("passed");
    expect(record.steps.map((x) => [x.name, x.outcome, x.durationMs])).toEqual([
      ["restore", "passed", 4000],
      ["verify", "passed", 1000],
      ["cleanup", "passed", 0],
    ]);
    expect(record.measurements.rtoMs).toEqual({ value: 5000, objective: 10_000, met: true });
    expect(s.calls).toEqual(["prepare", "undo port", "undo copy", "release"]);
    expect(s.events.map((e) => e.type)).toEqual([
      "prepare:start",
      "prepare:end",
      "run:start",
      "step:start",
      "step:end",
      "step:start",
      "step:end",
      "step:start",
      "step:end",
      "run:end",
    ]);
  });

  it("skips the steps after a failed one, still cleans up, and fails the run with the finding", async () => {
    const s = setup({
      restore: async (ctx) => {
        ctx.defer("copy", async () => void s.calls.push("undo copy"));
        return {
          outcome: "failed",
          details: {},
          findings: ['check "rows": measured 5, expected >= 10'],
        };
      },
      verify: async () => pass,
    });
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("failed");
    expect(record.steps.map((x) => x.outcome)).toEqual(["failed", "skipped", "passed"]);
    expect(record.findings).toEqual(['restore: check "rows": measured 5, expected >= 10']);
    expect(record.measurements.rtoMs?.value).toBeNull();
    expect(s.calls).toEqual(["prepare", "undo copy", "release"]);
  });

  it("turns a thrown platform error into outcome error with its code", async () => {
    const s = setup({
      restore: async () => {
        throw platformError("PG_START", "PostgreSQL would not start", "port taken");
      },
    });
    const result = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(result.record.outcome).toBe("error");
    expect(result.errorKind).toBe("platform");
    expect(result.record.steps[0]!.error).toEqual({
      code: "PG_START",
      message: "PostgreSQL would not start",
      hint: "port taken",
    });
  });

  it("fails a step that outlives its timeout, even one that ignores its signal, and cleans up", async () => {
    const s = setup({
      restore: async (ctx) => {
        ctx.defer("copy", async () => void s.calls.push("undo copy"));
        return new Promise<StepResult>(() => {}); // never settles
      },
    });
    s.raw.steps[0] = { restore: { timeout: 30 } } as never;
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("failed");
    expect(record.steps[0]!.error?.code).toBe("STEP_TIMEOUT");
    expect(record.findings).toEqual(["restore: timed out after 30ms"]);
    expect(s.calls).toContain("undo copy");
  });

  it("on interrupt aborts the running step, runs cleanup, and records interrupted", async () => {
    const controller = new AbortController();
    let sawAbort = false;
    const s = setup({
      restore: (ctx) => {
        ctx.defer("copy", async () => void s.calls.push("undo copy"));
        setTimeout(
          () => controller.abort(new DrillError("interrupted", "INTERRUPTED", "SIGINT")),
          5,
        );
        return new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            reject(ctx.signal.reason);
          }),
        );
      },
      verify: async () => pass,
    });
    const { record } = await runDrill(s.drill, s.deps, controller.signal, s.emit);
    expect(sawAbort).toBe(true);
    expect(record.outcome).toBe("interrupted");
    expect(record.steps.map((x) => x.outcome)).toEqual(["interrupted", "skipped", "passed"]);
    expect(s.calls).toEqual(["prepare", "undo copy", "release"]);
  });

  it("records a failing cleanup without hiding the first error", async () => {
    const s = setup({
      restore: async (ctx) => {
        ctx.defer("copy", async () => {
          throw new Error("rm: busy");
        });
        throw platformError("RESTORE", "snapshot unreadable");
      },
    });
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("error");
    expect(record.steps[0]!.error?.code).toBe("RESTORE");
    expect(record.steps[1]!.outcome).toBe("error");
    expect(record.steps[1]!.error?.message).toBe("copy: rm: busy");
    expect(record.findings[0]).toBe("restore: snapshot unreadable");
    expect(s.calls).toContain("release");
  });

  it("fails a run that misses its RTO and says by how much", async () => {
    const s = setup({ restore: async () => (s.clock.advance(372_000), pass) }, { rto: 300_000 });
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("failed");
    expect(record.findings).toEqual(["RTO 6m12s missed its objective 5m by 1m12s"]);
  });

  it("skips every step when preparing production fails, and still releases the provider", async () => {
    const s = setup(
      { restore: async () => pass },
      {
        prepare: async () => {
          throw platformError("SEED", "seeding failed");
        },
      },
    );
    const result = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(result.record.outcome).toBe("error");
    expect(result.record.steps.map((x) => x.outcome)).toEqual(["skipped", "passed"]);
    expect(result.record.findings).toEqual(["preparing e: seeding failed"]);
    expect(s.calls).toEqual(["prepare", "release"]);
  });

  it("fails a phase over its budget and says by how much", async () => {
    const s = setup(
      { restore: async () => (s.clock.advance(12 * 60_000), pass), verify: async () => pass },
      { objectives: { rto: 3_600_000, phases: { restore: 10 * 60_000 }, regressions: "warn" } },
    );
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("failed");
    expect(record.measurements.restoreMs).toEqual({
      value: 720_000,
      objective: 600_000,
      met: false,
    });
    expect(record.findings).toEqual(["restore 12m missed its objective 10m by 2m"]);
  });

  it("warns about a regression against history, or fails on it when the drill asks", async () => {
    const history = [1000, 1000, 1000].map(
      (v) =>
        ({
          outcome: "passed",
          measurements: { restoreMs: { value: v, objective: null, met: null } },
        }) as unknown as RunRecord,
    );
    for (const mode of ["warn", "fail"] as const) {
      const s = setup(
        { restore: async () => (s.clock.advance(2000), pass) },
        { objectives: { regressions: mode }, history },
      );
      const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
      const line = "restore took 2.0s, 100% slower than the median 1.0s of the last 3 passed runs";
      expect(record.regressions).toEqual([
        { phase: "restore", durationMs: 2000, medianMs: 1000, runs: 3, slowerByPct: 100 },
      ]);
      if (mode === "warn") {
        expect(record.outcome).toBe("passed");
        expect(record.warnings).toEqual([line]);
      } else {
        expect(record.outcome).toBe("failed");
        expect(record.findings).toEqual([line]);
      }
    }
  });

  it("lets a step read what an earlier one measured, and who measured it", async () => {
    let seen: unknown;
    const s = setup(
      {
        restore: async (ctx) => (ctx.measure("rpoMs", 4000, 10_000, "newestData t.c"), pass),
        verify: async (ctx) => ((seen = ctx.measurement("rpoMs")), pass),
      },
      { measures: { restore: ["rpoMs"] } },
    );
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(seen).toEqual({
      value: 4000,
      objective: 10_000,
      met: true,
      step: "restore",
      about: "newestData t.c",
    });
    expect(record.measurements.rpoMs).toEqual({ value: 4000, objective: 10_000, met: true });
  });

  it("errors a step that records a measurement its kind does not declare", async () => {
    const s = setup({ restore: async (ctx) => (ctx.measure("rpoMs", 1), pass) });
    const { record } = await runDrill(s.drill, s.deps, new AbortController().signal, s.emit);
    expect(record.outcome).toBe("error");
    expect(record.steps[0]!.error?.message).toBe(
      "step kind restore measured rpoMs, not in its `measures`",
    );
    expect(record.measurements.rpoMs?.value).toBeNull();
  });

  it("names steps once: as written, else the kind, numbered when it repeats; cleanup appended", () => {
    const s = setup({ verify: async () => pass });
    s.raw.steps.push({ verify: { name: "again" } } as never, { verify: {} } as never);
    expect(s.drill.steps.map((x) => [x.kind, x.name, x.timeoutMs, x.path])).toEqual([
      ["verify", "verify", 60_000, ["steps", 0, "verify"]],
      ["verify", "again", 60_000, ["steps", 1, "verify"]],
      ["verify", "verify#3", 60_000, ["steps", 2, "verify"]],
      ["cleanup", "cleanup", 5 * 60_000, ["steps", 3, "cleanup"]],
    ]);
  });
});
