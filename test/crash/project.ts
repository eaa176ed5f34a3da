import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { makeProject, REPO, spawnDrill } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";

/**
 * A small quickstart: the repository's sandbox shapes (scrubbers/shop.yaml, the quickstart's
 * steps) at scale 0.02, with fewer checks so that 20 kills fit in a few minutes.
 */
export const CRASH_DRILL = `
name: crash
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - scrub: { scrubber: shop }
  - verify:
      checks:
        - rowCount: { table: customers, min: 100 }
        - noOrphans: { table: order_items, column: order_id, references: orders.id }
        - sql: { name: no negative payments, query: "select count(*) from payments where amount < 0", expect: 0 }
  - failover:
      target: staging
      mode: crash
      # Asynchronous replication may lose a write acknowledged just before the crash (seen once
      # in CI under load): that is the setting's nature, not what this test is about.
      synchronous: true
      # Shorter than the defaults (1s, 2s): every run of the 20 kills passes through them.
      probe: { writesPerSecond: 50, warmup: 300ms, steady: 500ms }
      expect: { maxDowntime: 30s, lostWrites: 0 }
`;

/** A point-in-time restore: the copy replays the sandbox's archived WAL before it promotes. */
export const CRASH_PITR_DRILL = `
name: crash-pitr
environment: sandbox
steps:
  - restore: { from: { pointInTime: latest } }
  - verify:
      checks:
        - rowCount: { table: customers, min: 100 }
`;

/** The crash project, its sandbox copied from the seed (as its first run would make it). */
export async function crashProject(): Promise<string> {
  const shop = await readFile(join(REPO, "scrubbers/shop.yaml"), "utf8");
  if (!/^deterministic: false/m.test(shop)) throw new Error("scrubbers/shop.yaml changed shape");
  const root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    "drills/crash.yaml": CRASH_DRILL,
    "drills/crash-pitr.yaml": CRASH_PITR_DRILL,
    "scrubbers/shop.yaml": shop,
  });
  await seedSandbox(root);
  return root;
}

/** What a folder holds now (nothing when it does not exist). */
export const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** Where to kill: when a line matching `on` is printed (or at spawn), `delayMs` after. */
export interface KillPoint {
  on?: RegExp;
  delayMs: number;
}

export interface KilledRun {
  /** ms after spawn the SIGKILL was sent; undefined when the run ended first. */
  killedAfterMs: number | undefined;
  stdout: string;
  /** The last line the run printed before it died: where it was. */
  lastLine: string;
  runId: string | undefined;
}

/** Start `drill run <drill>` and SIGKILL it (the process only, as the OOM killer would) at `point`. */
export function runAndKill(root: string, point: KillPoint, drill = "crash"): Promise<KilledRun> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const child = spawnDrill(["run", drill], { cwd: root });
    let stdout = "";
    let killedAfterMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = () =>
      (timer ??= setTimeout(() => {
        killedAfterMs = Date.now() - started;
        child.kill("SIGKILL");
      }, point.delayMs));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (point.on?.test(stdout)) arm();
    });
    if (!point.on) arm();
    child.on("error", fail);
    child.on("close", () => {
      clearTimeout(timer);
      const lines = stdout.trim().split("\n").filter(Boolean);
      done({
        killedAfterMs,
        stdout,
        lastLine: (lines.at(-1) ?? "(nothing printed yet)").replace(/^\d\d:\d\d:\d\d /, ""),
        runId: new RegExp(`run (\\S+) of drill ${drill} started`).exec(stdout)?.[1],
      });
    });
  });
}
