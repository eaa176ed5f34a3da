import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import type { RecoveryTarget, RestoredCopy } from "../../src/providers/types.js";
import { sleep } from "../../src/sleep.js";
import { makeProject, runCli } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";
import { localEnv } from "../local/util.js";
import { startPgBackRestRepo, type PgBackRestRepo } from "./pgbackrest-repo.js";

/**
 * A pgBackRest repository restored through the local provider: full backup → rows A → T → rows
 * B, every segment archived by archive-push. To T the copy has A and not B; to latest, both.
 */
describe("restore from pgBackRest, replayed to a target", () => {
  let repo: PgBackRestRepo;
  let provider: LocalProvider;
  let label: string;
  let commitA: Date;
  let t: Date;
  const copies: RestoredCopy[] = [];
  let n = 0;

  beforeAll(async () => {
    repo = await startPgBackRestRepo({ conf: ["track_commit_timestamp = on"] });
    await repo.sql("create table t (id int primary key, tag text not null)");
    label = await repo.backup("full");
    await repo.sql("insert into t select g, 'A' from generate_series(1, 100) g");
    const [a] = await repo.sql<{ ts: Date }>(
      "select pg_xact_commit_timestamp(xmin) as ts from t limit 1",
    );
    commitA = a!.ts;
    await repo.switchWal();
    // T: a millisecond after A (a target's precision), and B strictly after it.
    t = new Date(commitA.getTime() + 1);
    while (Date.now() <= t.getTime() + 1) await sleep(2);
    await repo.sql("insert into t select g, 'B' from generate_series(101, 200) g");
    await repo.switchWal();
    provider = new LocalProvider({ root: await makeProject({}), environment: localEnv() });
  });

  afterAll(async () => {
    for (const c of copies) await c.dispose();
    await repo?.stop();
  });

  const restore = async (target: RecoveryTarget, set = "latest") => {
    const plan = await provider.planRestore({
      kind: "pgbackrest",
      stanza: repo.stanza,
      config: { repoPath: repo.repo },
      set,
      superuser: "postgres",
      database: "postgres",
      target,
    });
    let dispose: (() => Promise<void>) | undefined;
    try {
      const copy = await provider.restore(plan, {
        runId: `pgbr-${process.pid}-${n++}`,
        signal: new AbortController().signal,
        progress: () => {},
        onCreated: (d) => (dispose = d),
      });
      copies.push(copy);
      return { plan, copy };
    } catch (e) {
      await dispose?.();
      throw e;
    }
  };
  const tags = (copy: RestoredCopy) =>
    withSession(copy.connection, async (db) =>
      (await db.query<{ tag: string }>("select distinct tag from t order by 1")).rows.map(
        (r) => r.tag,
      ),
    );

  it("to a time T: A and not B, reached RPO within a second of T − A's commit", async () => {
    const { plan, copy } = await restore({ kind: "time", time: t });
    expect(plan.description).toMatch(
      new RegExp(`set ${label} \\(full, finished [^)]+\\) \\+ WAL [0-9A-F]{24} to [0-9A-F]{24}`),
    );
    expect(await tags(copy)).toEqual(["A"]);
    const rec = copy.details.recovery as Record<string, unknown>;
    expect(rec.lastReplayedCommit).toBe(commitA.toISOString());
    const expected = t.getTime() - commitA.getTime();
    expect(Math.abs((rec.reachedRpoMs as number) - expected)).toBeLessThan(1000);
    expect(copy.source).toMatchObject({ kind: "pgbackrest", id: label });
  });

  it("to latest, by label: A and B; the copies pushed nothing into the repository", async () => {
    const { copy } = await restore({ kind: "latest" }, label);
    expect(await tags(copy)).toEqual(["A", "B"]);
    expect((copy.details.recovery as Record<string, unknown>).timeline).toBe(2);
    // A promoted copy archiving would leave timeline 2's history file in production's archive.
    const { stdout } = await repo.tool("repo-ls", "--recurse", "archive");
    expect(stdout).toContain("000000010000000000000001");
    expect(stdout).not.toMatch(/\/00000002[0-9A-F]{16}|00000002\.history/);
  });

  describe("drill plan", () => {
    let root: string;
    const drill = (name: string, set: string, target: string) =>
      [
        `name: ${name}`,
        "environment: sandbox",
        "steps:",
        "  - restore:",
        `      from: { pgbackrest: { stanza: main, config: { repoPath: ${repo.repo} }, set: ${set} } }`,
        `      target: ${target}`,
        "",
      ].join("\n");

    beforeAll(async () => {
      root = await makeProject({
        "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
        "drills/pitr.yaml": drill("pitr", "latest", `{ time: "${t.toISOString()}" }`),
        "drills/typo.yaml": drill("typo", "20200101-000000F", "latest"),
      });
    });

    it("shows the chosen set, when it finished and the WAL range", async () => {
      const r = await runCli(["plan", "pitr"], { cwd: root });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `set ${label} \\(full, finished \\d{4}-[^)]+\\) \\+ WAL [0-9A-F]{24} to [0-9A-F]{24}`,
        ),
      );
      expect(r.stdout).toContain(`replayed to ${t.toISOString()}`);
    });

    it("names the known labels for an unknown one (exit 2)", async () => {
      const r = await runCli(["plan", "typo"], { cwd: root });
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toContain(`known: latest, ${label}`);
      // Found by asking the repository, still located where the drill names the set.
      expect(r.stderr).toMatch(
        /drills\/typo\.yaml:5:\d+ steps\[0\]\.restore\.from\.pgbackrest\.set: no backup "20200101-000000F"/,
      );
    });

    it("says to install pgbackrest when it is not on PATH (exit 3)", async () => {
      const r = await runCli(["plan", "pitr"], {
        cwd: root,
        env: { PATH: await tempDir("empty-path") },
      });
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).toContain("apt-get install pgbackrest");
    });
  });
});
