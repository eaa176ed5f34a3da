import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import parsePrometheus from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../src/daemon/daemon.js";
import { loadProject } from "../../src/definitions/project.js";
import { openHistory } from "../../src/history/open.js";
import { createLogger } from "../../src/log.js";
import { notifyRun } from "../../src/notify/notify.js";
import { outboxFor } from "../../src/notify/outbox.js";
import type { RunRecord } from "../../src/types.js";
import { makeProject } from "../helpers/project.js";
import { record } from "../history/helpers.js";
import { startReceiver } from "../notify/receiver.js";
import { fakeTime } from "./fake-time.js";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => (receiver = await startReceiver()));
afterAll(async () => receiver?.close());

const T0 = Date.parse("2026-11-28T03:55:00Z");
const MIN = 60_000;

describe("drill daemon", () => {
  it("delivers an old outbox, runs due drills, serves /metrics, announces an overdue drill once", async () => {
    const root = await makeProject({
      "config/drill.yaml":
        'environments:\n  sandbox: { provider: local }\nchannels:\n  audit: { webhook: { url: "${HOOK_URL}" } }\n',
      "drills/nightly.yaml":
        'name: nightly\nenvironment: sandbox\nschedule: "0 4 * * *"\nsteps:\n  - restore: { from: { snapshot: latest } }\nnotify: [audit]\n',
      "drills/flaky.yaml":
        'name: flaky\nenvironment: sandbox\nschedule: "*/10 * * * *"\nsteps:\n  - restore: { from: { snapshot: latest } }\nnotify: [audit]\n',
    });
    const env = { HOOK_URL: receiver.url("/hook") };
    const time = fakeTime(T0);
    const log = createLogger("silent", new Writable({ write: (_c, _e, done) => done() }));

    // A run whose post failed before the daemon (re)started: it sits in the outbox.
    const loaded = await loadProject(root, env);
    if (!loaded.ok) throw new Error("project");
    const earlier = record("nightly", 0);
    receiver.failNext(1);
    await notifyRun(loaded.project, earlier, { log, retryDelays: [], clock: time.clock });
    expect((await outboxFor(root).list()).length).toBe(1);
    expect(receiver.received).toEqual([]);

    const abort = new AbortController();
    let port = 0;
    const done = runDaemon({
      root,
      env,
      log,
      signal: abort.signal,
      port: 0,
      host: "127.0.0.1",
      watch: false,
      ...time,
      onListening: (p) => (port = p),
      execute: async (project, drill) => {
        const r: RunRecord = { ...record(drill, (time.clock.now() - T0) / MIN), drill };
        r.startedAt = new Date(time.clock.now()).toISOString();
        r.finishedAt = new Date(time.clock.now() + 1500).toISOString();
        if (drill === "flaky") r.outcome = "failed";
        r.measurements = {
          ...r.measurements,
          restoreMs: { value: 800, objective: null, met: null },
          verifyMs: { value: 400, objective: null, met: null },
          downtimeMs: { value: 4200, objective: 60_000, met: true },
          lostWrites: { value: 0, objective: 0, met: true },
        };
        await openHistory(project).save(r);
        return r;
      },
    });
    while (port === 0) await sleep(10);

    // Minute by minute to 04:25, letting each round of work finish.
    for (let t = T0 + MIN; t <= T0 + 30 * MIN; t += MIN) {
      await time.advanceTo(t);
      await sleep(15);
    }
    const bodies = receiver.received.map(
      (r) => r.body as { id?: string; type?: string; drill: string; title?: string },
    );
    expect(bodies.map((b) => b.id ?? `${b.type} ${b.title}`)).toEqual([
      earlier.id,
      "notice ⏰ flaky overdue",
    ]);
    expect(await outboxFor(root).list()).toEqual([]);

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const families = parsePrometheus(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      families
        .find((f) => f.name === name)
        ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
    expect(value("drill_rto_seconds", { drill: "nightly" })).toBe("1.2");
    expect(value("drill_rpo_seconds", { drill: "nightly" })).toBe("4.6");
    expect(value("drill_phase_duration_seconds", { drill: "nightly", phase: "restore" })).toBe(
      "0.8",
    );
    expect(value("drill_phase_duration_seconds", { drill: "nightly", phase: "verify" })).toBe(
      "0.4",
    );
    expect(value("drill_failover_downtime_seconds", { drill: "nightly" })).toBe("4.2");
    expect(value("drill_failover_lost_writes", { drill: "nightly" })).toBe("0");
    expect(value("drill_last_outcome", { drill: "flaky", outcome: "failed" })).toBe("1");
    expect(value("drill_last_outcome", { drill: "flaky", outcome: "passed" })).toBe("0");
    expect(value("drill_runs_total", { drill: "flaky", outcome: "failed" })).toBe("3");
    expect(value("drill_runs_total", { drill: "nightly", outcome: "passed" })).toBe("1");
    expect(value("drill_last_success_timestamp_seconds", { drill: "nightly" })).toBe(
      String(Date.parse("2026-11-28T04:00:01.500Z") / 1000),
    );
    expect(value("drill_overdue", { drill: "flaky" })).toBe("1");
    expect(value("drill_overdue", { drill: "nightly" })).toBe("0");
    expect(value("drill_daemon_uptime_seconds")).toBe(String(30 * 60));
    expect(value("drill_next_run_timestamp_seconds", { drill: "nightly" })).toBe(
      String(Date.parse("2026-11-29T04:00:00Z") / 1000),
    );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    abort.abort();
    expect(await done).toBe(0);
  }, 30_000);
});
