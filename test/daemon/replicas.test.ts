import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgCoordinator } from "../../src/daemon/coordinator.js";
import { runDaemon } from "../../src/daemon/daemon.js";
import { PgHistoryStore } from "../../src/history/pg-store.js";
import { createLogger } from "../../src/log.js";
import type { RunRecord } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { makeProject } from "../helpers/project.js";
import { record } from "../history/helpers.js";
import { fakeTime, settle } from "./fake-time.js";
import { Writable } from "node:stream";

let pg: Awaited<ReturnType<typeof startTestCluster>>;
let url: string;
let store: PgHistoryStore;

beforeAll(async () => {
  pg = await startTestCluster();
  const c = pg.connection;
  // The test cluster is plain, on loopback: drill would otherwise insist on verified TLS.
  url = `postgres://${c.user}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/${c.database}?sslmode=disable`;
  store = new PgHistoryStore({ url });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await pg?.stop();
});

const T0 = Date.parse("2026-11-28T21:59:30Z");

describe("two daemons sharing a PostgreSQL history", () => {
  it("run a due drill exactly once, and skip a slot the other replica is still running", async () => {
    const root = await makeProject({
      "config/drill.yaml": `environments:\n  sandbox: { provider: local }\nhistory: { store: postgres, url: "\${HISTORY_URL}" }\n`,
      "drills/nightly.yaml": `name: nightly\nenvironment: sandbox\nschedule: "* * * * *"\nsteps:\n  - restore: { from: { snapshot: latest } }\n`,
    });
    const runs: string[] = [];
    const skips: string[] = [];
    let release!: () => void;
    const finished = new Promise<void>((r) => (release = r));
    const replica = (name: string) => {
      const time = fakeTime(T0);
      const abort = new AbortController();
      let port = 0;
      const lines = new Writable({
        write(chunk: Buffer, _e, done) {
          for (const l of chunk.toString().split("\n").filter(Boolean)) {
            const j = JSON.parse(l) as { msg: string; detail?: string };
            if (j.msg.startsWith("run skipped")) skips.push(`${name}: ${j.msg}`);
            if (process.env.DEBUG_DAEMON) console.log(name, l);
          }
          done();
        },
      });
      const done = runDaemon({
        root,
        env: { HISTORY_URL: url },
        log: createLogger("info", lines),
        signal: abort.signal,
        port: 0,
        host: "127.0.0.1",
        watch: false,
        ...time,
        notify: { retryDelays: [] },
        onListening: (p) => (port = p),
        execute: async (_p, drill) => {
          runs.push(`${name} ${drill}`);
          await finished; // the run goes on until the test lets it finish
          const r: RunRecord = { ...record(drill, runs.length), drill };
          await store.save(r);
          return r;
        },
      });
      const ready = () =>
        until(async () => port > 0 && (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
      return { time, abort, done, ready };
    };
    const a = replica("a");
    const b = replica("b");
    await Promise.all([a.ready(), b.ready()]);
    await settle();

    // 22:00 is due on both; b's clock runs two seconds behind a's.
    await a.time.advanceTo(Date.parse("2026-11-28T22:00:00Z"));
    await until(() => runs.length === 1);
    await b.time.advanceTo(Date.parse("2026-11-28T22:00:02Z"));
    await until(() => skips.length === 1);
    // 22:01: b is first this time, but a's 22:00 run still holds the drill's lease.
    await b.time.advanceTo(Date.parse("2026-11-28T22:01:00Z"));
    await until(() => skips.length === 2);
    release();
    await until(async () => (await store.list("nightly")).length === 2);
    await settle();
    // The overlapped 22:01 slot is in the history as skipped; the slot b lost to a is not.
    const history = await store.list("nightly");
    expect(history.map((r) => [r.outcome, r.startedAt])).toEqual([
      ["skipped", "2026-11-28T22:01:00.000Z"],
      ["passed", expect.any(String) as string],
    ]);
    expect(history[0]!.findings[0]).toMatch(
      /^skipped: the previous run overlaps this slot \(still running: /,
    );
    expect(history[0]!.steps).toEqual([]);

    expect(runs).toEqual(["a nightly"]);
    expect(skips).toEqual([
      "b: run skipped: another replica runs it",
      "b: run skipped: the drill's previous run overlaps this slot",
    ]);
    a.abort.abort();
    b.abort.abort();
    expect(await Promise.all([a.done, b.done])).toEqual([0, 0]);
  }, 30_000);

  it("lets a crashed replica's lease lapse", async () => {
    const crashed = new PgCoordinator(store, 300);
    const other = new PgCoordinator(store, 300);
    expect("lease" in (await crashed.acquire("lapse", "run-1"))).toBe(true);
    const held = await other.acquire("lapse", "run-2");
    expect(held).toEqual({ heldBy: `run-1 on ${crashed.owner}` });
    await sleep(400); // the crashed replica never renews
    const taken = await other.acquire("lapse", "run-2");
    if (!("lease" in taken)) throw new Error(`still held: ${taken.heldBy}`);
    expect(await taken.lease.renew()).toBe(true);
    await taken.lease.release();
  });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${cond.toString()}`);
    await sleep(20);
  }
}
