import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPassword, sandboxPaths } from "../../src/providers/local/sandbox.js";
import { readArchive } from "../../src/providers/local/wal-archive.js";
import type { RunRecord } from "../../src/types.js";
import { processesNaming } from "../helpers/processes.js";
import { makeProject, REPO, runCli } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "./util.js";

const ROWS = (name: string) => `select count(*) from pitr_marks where name = '${name}'`;

const checks = (
  a: number,
  b: number,
) => `        - sql: { name: row A, query: "${ROWS("A")}", expect: ${a} }
        - sql: { name: row B, query: "${ROWS("B")}", expect: ${b} }
`;

/** A drill restoring the sandbox to a time between two commits, and to its newest WAL. */
const drill = (name: string, restore: string, a: number, b: number) => `
name: ${name}
environment: sandbox
steps:
  - restore: ${restore}
  - verify:
      checks:
${checks(a, b)}`;

/** The point-in-time drill the README shows, renamed pitr-latest; its checks come last. */
async function readmeDrill(): Promise<string> {
  const readme = await readFile(join(REPO, "README.md"), "utf8");
  const block = /```yaml\n(name: pitr\n[\s\S]*?)```/.exec(readme)?.[1];
  if (!block?.trimEnd().endsWith("- rowCount: { table: orders, min: 100 }"))
    throw new Error("README.md: the point-in-time drill changed shape");
  return block.replace(/^name: pitr$/m, "name: pitr-latest");
}

/**
 * Point-in-time restores of the sandbox through a real `drill run`: commit A, note T, commit B
 * on the sandbox primary; restoring to T brings A and not B, `pointInTime: latest` both.
 */
describe("point-in-time restore of the sandbox", () => {
  let root: string;
  let t: Date;
  let aCommitted: number;

  beforeAll(async () => {
    root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    });
    await seedSandbox(root);
    const provider = new LocalProvider({ root, environment: localEnv() });
    const prepared = await provider.prepare({ signal: signal(), progress: noop });
    const conn = {
      host: "127.0.0.1",
      port: prepared.primaryPort as number,
      user: "postgres",
      password: await sandboxPassword(root),
      database: "shop",
    };
    await withSession(conn, async (db) => {
      await db.query("create table pitr_marks (name text primary key, at timestamptz)");
      const a = await db.query<{ at: Date }>(
        "insert into pitr_marks values ('A', clock_timestamp()) returning at",
      );
      aCommitted = a.rows[0]!.at.getTime();
      await db.query("select pg_sleep(0.3)");
      t = new Date();
      await db.query("select pg_sleep(0.3)");
      await db.query("insert into pitr_marks values ('B', clock_timestamp())");
    });
    await provider.release();
    const oldest = new Date(Date.now() - 86_400_000).toISOString();
    const files: Record<string, string> = {
      // newestData and freshness age the copy against its target, not against the run's clock.
      "pitr-time": drill(
        "pitr-time",
        `{ from: { snapshot: latest }, target: { time: "${t.toISOString()}" }, newestData: pitr_marks.at }`,
        1,
        0,
      ).replace(
        "      checks:\n",
        "      checks:\n        - freshness: { table: pitr_marks, column: at, maxAge: 1m }\n",
      ),
      // The README's drill, with the two rows checked too.
      "pitr-latest": `${await readmeDrill()}${checks(1, 1)}`,
      "pitr-early": drill("pitr-early", `{ from: { pointInTime: "${oldest}" } }`, 0, 0),
    };
    await mkdir(join(root, "drills"));
    for (const [name, text] of Object.entries(files))
      await writeFile(join(root, "drills", `${name}.yaml`), text);
  }, 120_000);

  afterAll(async () => {
    await runCli(["sandbox", "reset"], { cwd: root });
    expect(processesNaming(root)).toEqual([]);
  });

  const run = async (name: string) => {
    const r = await runCli(["run", name, "--json"], { cwd: root });
    const record = r.stdout ? (JSON.parse(r.stdout) as RunRecord) : undefined;
    return { ...r, record };
  };
  const recovery = (record: RunRecord | undefined) =>
    record?.steps.find((s) => s.kind === "restore")?.details.recovery as
      | {
          target: { kind: string; time?: string };
          lastReplayedCommit: string;
          reachedRpoMs: number;
        }
      | undefined;

  it("restores to a time between two commits: A is there, B is not, RPO as reached", async () => {
    const r = await run("pitr-time");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rec = recovery(r.record);
    expect(rec?.target).toEqual({ kind: "time", time: t.toISOString() });
    // The last commit replayed is A's (its commit record follows its clock_timestamp closely).
    expect(Math.abs(rec!.reachedRpoMs - (t.getTime() - aCommitted))).toBeLessThan(1000);
    expect(Date.parse(rec!.lastReplayedCommit)).toBeLessThanOrEqual(t.getTime());
    // A's own timestamp aged against T (the copy's "as of"), not against the run: under a minute.
    const fresh = r.record!.steps.find((s) => s.kind === "verify")?.details.checks as {
      kind?: string;
      details?: { ageMs?: number; reference?: string };
    }[];
    const age = JSON.stringify(fresh).match(/"ageMs":(\d+)/)?.[1];
    expect(Math.abs(Number(age) - (t.getTime() - aCommitted))).toBeLessThan(1000);
    expect(JSON.stringify(fresh)).toContain(`"reference":"${t.toISOString()}"`);
    expect(
      Math.abs(r.record!.measurements.rpoMs!.value! - (t.getTime() - aCommitted)),
    ).toBeLessThan(1000);
    expect(processesNaming(root)).toEqual([]);
  });

  it("runs the README's drill, from: { pointInTime: latest }: A and B are there", async () => {
    const r = await run("pitr-latest");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(recovery(r.record)?.target).toEqual({ kind: "latest" });
  });

  it("drill plan shows the snapshot, the archive's range and the target, touching nothing", async () => {
    const r = await runCli(["plan", "pitr-time"], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    const wal = (await readArchive(sandboxPaths(root).walArchive)).segments;
    expect(r.stdout).toContain(
      ` + archived WAL ${wal[0]} to ${wal.at(-1)}, replayed to ${t.toISOString()}`,
    );
    expect(r.stdout).toMatch(/plan: sandbox snapshot snap-\S+ \(taken \d+[smh] ago, \d+ MB\)/);
    expect(processesNaming(root)).toEqual([]);
  });

  it("refuses a time before the oldest snapshot with exit 2, naming that snapshot's time", async () => {
    const r = await run("pitr-early");
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(
      /is before the oldest snapshot, snap-\S+ taken at \d{4}-\d\d-\d\dT[\d:.]+Z/,
    );
  });
});
