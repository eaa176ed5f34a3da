import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { DrillError } from "../../src/errors.js";
import { CLEANUP_PERIOD_MS } from "../../src/daemon/maintenance.js";
import type { DaemonOptions } from "../../src/daemon/options.js";
import { openHistory } from "../../src/history/open.js";
import { createLogger } from "../../src/log.js";
import type { RunRecord } from "../../src/types.js";
import { record } from "../history/helpers.js";
import { makeProject } from "../helpers/project.js";
import { fakeTime } from "./fake-time.js";

const T0 = Date.parse("2026-11-28T03:00:30Z");
const MIN = 60_000;
const CONFIG = "environments:\n  sandbox: { provider: local }\n";
const drillFile = (name: string) =>
  `name: ${name}\nenvironment: sandbox\nschedule: "* * * * *"\nsteps:\n  - restore: { from: { snapshot: latest } }\n`;

/** A daemon on fake time whose log lines are kept as parsed JSON. */
async function daemonFor(root: string, more: Partial<DaemonOptions> = {}) {
  const time = fakeTime(T0);
  const lines: { level: number; msg: string; kept?: string[] }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const daemon = await Daemon.load({
    root,
    env: {},
    log: createLogger("info", sink),
    signal: new AbortController().signal,
    port: 0,
    host: "127.0.0.1",
    watch: false,
    ...time,
    ...more,
  });
  if (!daemon) throw new Error("the project did not load");
  await daemon.start();
  return { daemon, time, lines };
}

describe("the daemon object", () => {
  it("cleans up at start and then once CLEANUP_PERIOD_MS of clock time has passed, however many rounds ran", async () => {
    expect(CLEANUP_PERIOD_MS).toBe(60 * MIN);
    const root = await makeProject({ "config/drill.yaml": CONFIG });
    // Timers that never fire: the only rounds are the first (at start) and the test's.
    let now = T0;
    const at: number[] = [];
    const { daemon } = await daemonFor(root, {
      clock: { now: () => now },
      timer: { set: () => 0, clear: () => {} },
      cleanup: async () => void at.push((now - T0) / MIN),
    });
    const roundAt = async (minute: number) => {
      now = T0 + minute * MIN;
      await daemon.maintain();
    };
    await roundAt(0);
    expect(at).toEqual([0]);
    for (let m = 1; m < 60; m++) await roundAt(m);
    expect(at).toEqual([0]);
    await roundAt(60);
    // The clock jumps (a suspended VM): one round later, the period has passed.
    await roundAt(200);
    // Set back (NTP): cleanup does not wait for the clock to catch up with the last one.
    await roundAt(100);
    await roundAt(130);
    expect(at).toEqual([0, 60, 200, 100]);
    await daemon.stop();
  });

  it("on reload schedules new drills, keeps the history store and logs one line saying so", async () => {
    const root = await makeProject({
      "config/drill.yaml": CONFIG,
      "drills/a.yaml": drillFile("a"),
    });
    let ran!: (r: RunRecord) => void;
    const finished = new Promise<RunRecord>((r) => (ran = r));
    const { daemon, time, lines } = await daemonFor(root, {
      execute: async (project, drill) => {
        const r: RunRecord = { ...record(drill, 1), drill };
        await openHistory(project).save(r);
        ran(r);
        return r;
      },
    });
    const warnings = () => lines.filter((l) => l.level === 40).map((l) => l.msg);

    await writeFile(join(root, "drills/b.yaml"), drillFile("b"));
    await daemon.reload();
    expect(lines.filter((l) => l.msg === "scheduled").length).toBe(2);
    expect(warnings()).toEqual([]);

    await writeFile(
      join(root, "config/drill.yaml"),
      `${CONFIG}history: { store: file, path: .drill/elsewhere }\ndaemon: { maxConcurrent: 3 }\n`,
    );
    await daemon.reload();
    expect(warnings()).toEqual([
      "config changed history, daemon.maxConcurrent: the old history store and daemon settings stay until the daemon restarts",
    ]);
    expect(lines.find((l) => l.level === 40)?.kept).toEqual(["history", "daemon.maxConcurrent"]);

    // A run after the reload is recorded where the daemon's leases and metrics live.
    await time.advanceTo(T0 + MIN);
    const run = await finished;
    await daemon.stop();
    expect(await readdir(join(root, ".drill/history", run.drill))).toEqual([`${run.id}.json`]);
    expect(existsSync(join(root, ".drill/elsewhere"))).toBe(false);
  });

  it("fails with exit 3 and a hint when its port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as AddressInfo).port;
    const root = await makeProject({ "config/drill.yaml": CONFIG });
    const failure = await daemonFor(root, { port }).catch((e: unknown) => e);
    taken.close();
    expect(failure).toBeInstanceOf(DrillError);
    expect(failure).toMatchObject({ code: "DAEMON_PORT", exitCode: 3 });
    expect((failure as DrillError).message).toContain("EADDRINUSE");
    expect((failure as DrillError).hint).toContain("--port");
  });
});
