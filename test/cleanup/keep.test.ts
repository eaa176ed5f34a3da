import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupProject } from "../../src/cleanup/cleanup.js";
import { loadProject } from "../../src/definitions/project.js";
import type { RunRecord } from "../../src/types.js";
import { makeProject, REPO, runCli } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { processesNaming } from "../helpers/processes.js";

/** Scrub's `keep`: the scrubbed copy outlives the run for the team, then `drill cleanup` takes it. */
const drill = (name: string, keep: string, extra = "") => `
name: ${name}
environment: sandbox
steps:
  - restore: { from: { snapshot: latest } }
  - scrub: { scrubber: shop, keep: ${keep} }
  - verify: { checks: [{ rowCount: { table: customers, min: 100 } }] }
${extra}`;

/** psql from a PostgreSQL client install (Debian keeps it off PATH). */
const psqlDir = ["/usr/lib/postgresql"]
  .flatMap((d) => (existsSync(d) ? readdirSync(d).map((v) => join(d, v, "bin")) : []))
  .find((d) => existsSync(join(d, "psql")));

let root: string;
beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    "scrubbers/shop.yaml": await readFile(join(REPO, "scrubbers/shop.yaml"), "utf8"),
    "drills/brief.yaml": drill("brief", "1s"),
    "drills/long.yaml": drill("long", "1h"),
    "drills/refused.yaml": drill("refused", "1h", "  - failover: { target: staging }"),
  });
  await seedSandbox(root);
});

afterAll(async () => {
  await runCli(["sandbox", "reset"], { cwd: root });
  expect(processesNaming(root)).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

const keptOf = (record: RunRecord) =>
  record.steps.find((s) => s.kind === "scrub")?.details.kept as
    { until: string; pgpassFile: string; connect: string } | undefined;

describe("scrub keep", () => {
  it("keep: 1s leaves a running copy the pgpass file opens; drill cleanup then removes it", async () => {
    const r = await runCli(["run", "brief", "--json"], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as RunRecord;
    const kept = keptOf(record)!;
    expect(kept.connect).toMatch(
      /^PGPASSFILE=\S+\/\.drill\/kept\/\S+\.pgpass psql -h 127\.0\.0\.1 -p \d+ -U postgres shop$/,
    );
    expect(kept.pgpassFile).toBe(join(root, ".drill/kept", `${record.id}.pgpass`));
    expect((await stat(kept.pgpassFile)).mode & 0o777).toBe(0o600);
    const password = (await readFile(kept.pgpassFile, "utf8")).trim().split(":").at(-1)!;
    expect(password.length).toBeGreaterThan(10);
    expect(r.stdout + r.stderr).not.toContain(password);
    const label = await readFile(join(root, ".drill/runs", record.id, "owner.json"), "utf8");
    expect(label).not.toContain(password);
    expect(JSON.parse(label)).toMatchObject({ runId: record.id, keepUntil: kept.until });
    // The kept copy's records are the runner's alone.
    const modes = [
      ".drill/kept",
      `.drill/runs/${record.id}`,
      `.drill/runs/${record.id}/owner.json`,
    ];
    const octal = async (rel: string) => ((await stat(join(root, rel))).mode & 0o777).toString(8);
    expect(await Promise.all(modes.map(octal))).toEqual(["700", "700", "600"]);
    // The one exception to "nothing left running": the kept copy.
    expect(processesNaming(root)).toHaveLength(1);

    if (psqlDir) {
      // The printed line, as the team would paste it.
      const out = execFileSync(
        "sh",
        ["-c", `${kept.connect} -tAc "select count(*) from customers"`],
        {
          env: { PATH: `${psqlDir}:${process.env.PATH}` },
          encoding: "utf8",
        },
      );
      expect(Number(out.trim())).toBeGreaterThan(100);
    } else {
      const pg = await import("pg");
      const port = Number(/-p (\d+)/.exec(kept.connect)![1]);
      const client = new pg.default.Client({
        host: "127.0.0.1",
        port,
        user: "postgres",
        password,
        database: "shop",
      });
      await client.connect();
      expect(
        Number((await client.query("select count(*) as n from customers")).rows[0].n),
      ).toBeGreaterThan(100);
      await client.end();
    }

    await new Promise((res) =>
      setTimeout(res, Math.max(0, Date.parse(kept.until) - Date.now() + 50)),
    );
    const c = await runCli(["cleanup"], { cwd: root });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain(`removed kept copy .drill/runs/${record.id}`);
    expect(processesNaming(root)).toEqual([]);
    expect(existsSync(join(root, ".drill/runs", record.id))).toBe(false);
    expect(existsSync(kept.pgpassFile)).toBe(false);
  });

  it("a copy kept for 1h survives drill cleanup until its time is up", async () => {
    const r = await runCli(["run", "long"], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /copy kept for the team until \S+: PGPASSFILE=\S+ psql -h 127\.0\.0\.1 -p \d+ -U postgres shop/,
    );
    const id = /run (\S+) of drill long started/.exec(r.stdout)![1]!;
    const c = await runCli(["cleanup"], { cwd: root });
    expect(c.code).toBe(0);
    expect(c.stdout).not.toContain(id);
    expect(processesNaming(root)).toHaveLength(1);

    const loaded = await loadProject(root, {});
    if (!loaded.ok) throw new Error("project did not load");
    const later = await cleanupProject(loaded.project, { now: Date.now() + 2 * 3_600_000 });
    expect(later.map((i) => [i.kind, i.status, i.runId])).toContainEqual([
      "kept copy",
      "removed",
      id,
    ]);
    expect(processesNaming(root)).toEqual([]);
    expect(existsSync(join(root, ".drill/kept", `${id}.pgpass`))).toBe(false);
  });

  it("refuses keep with a later failover of the copy before restoring, and keeps nothing", async () => {
    const r = await runCli(["run", "refused", "--json"], { cwd: root });
    expect(r.code).toBe(2);
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record.steps.find((s) => s.kind === "restore")?.outcome).toBe("skipped");
    expect(record.findings).toEqual([
      "scrub: keep cannot be combined with a failover of the staging copy in the same drill",
    ]);
    expect(processesNaming(root)).toEqual([]);
    const runs = join(root, ".drill/runs");
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});
