import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/types.js";
import { runMain } from "../helpers/io.js";
import { makeProject, runCli } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { processesNaming } from "../helpers/processes.js";

const drill = (name: string, checks: string, extra = "") => `
name: ${name}
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - verify:
      ${extra}
      checks:
${checks}
`;

const goodChecks = `
        - rowCount: { table: customers, min: 100 }
        - sql: { name: no negative payments, query: "select count(*) from payments where amount < 0", expect: 0 }`;

let root: string;

beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    "drills/small.yaml": drill("small", goodChecks),
    "drills/failing.yaml": drill(
      "failing",
      "        - rowCount: { table: customers, min: 100000000 }",
    ),
    "drills/slow.yaml": drill(
      "slow",
      '        - sql: { name: sleepy, query: "select pg_sleep(60)", expect: null }',
      "timeout: 2s",
    ),
    "drills/held.yaml": drill(
      "held",
      '        - sql: { name: a while, query: "select count(*) from (select pg_sleep(2)) s", expect: 1 }',
    ),
    "drills/misfit.yaml":
      "name: misfit\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\n  - scrub: { scrubber: misfit }\n",
    "scrubbers/misfit.yaml":
      "deterministic: false\nunknownColumns: warn\ntables:\n  customers:\n    emial: null\n    phone: { mask: { keepLast: 2 } }\n  custmers:\n    id: keep\n",
    "drills/broken.yaml":
      "name: broken\nenvironment: sandbox\nobjectivs: { rto: 5m }\nsteps:\n  - restor: {}\n",
  });
  await seedSandbox(root);
});

afterAll(async () => {
  expect(processesNaming(root)).toEqual([]);
});

const records = async (name: string): Promise<RunRecord[]> => {
  const dir = join(root, ".drill/history", name);
  return Promise.all(
    (await readdir(dir)).map(
      async (f) => JSON.parse(await readFile(join(dir, f), "utf8")) as RunRecord,
    ),
  );
};
/** Modes under `rel`; folders of the server user (cluster data) are listed, not entered. */
async function modesUnder(base: string, rel: string, out = new Map<string, Mode>()) {
  const st = await lstat(join(base, rel));
  const ours = st.uid === process.getuid?.();
  out.set(rel, { mode: st.mode & 0o777, dir: st.isDirectory(), ours });
  if (st.isDirectory() && ours)
    for (const name of await readdir(join(base, rel)))
      await modesUnder(base, `${rel}/${name}`, out);
  return out;
}
type Mode = { mode: number; dir: boolean; ours: boolean };

const stagingLeft = async () =>
  existsSync(join(root, ".drill/runs")) ? readdir(join(root, ".drill/runs")) : [];

describe("drill run", () => {
  it("passes a drill and prints only the run record with --json; nothing stays running", async () => {
    const r = await runCli(["run", "small", "--json"], { cwd: root });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record).toMatchObject({
      schemaVersion: 1,
      drill: "small",
      outcome: "passed",
      environment: "sandbox",
    });
    expect(record.steps.map((s) => [s.kind, s.outcome])).toEqual([
      ["restore", "passed"],
      ["verify", "passed"],
      ["cleanup", "passed"],
    ]);
    for (const s of record.steps) expect(s.durationMs).toBeGreaterThanOrEqual(0);
    expect(record.measurements.rtoMs).toMatchObject({ objective: 300_000, met: true });
    expect(record.measurements.rtoMs!.value).toBeGreaterThan(0);
    expect(record.measurements.rpoMs).toMatchObject({ objective: 93_600_000, met: true });
    expect(record.measurements.rpoMs!.value).toBeGreaterThanOrEqual(0);
    expect(record.storedAt).toBe(`.drill/history/small/${record.id}.json`);
    // The stored file is the record's canonical form (its digest is the evidence's subject): the
    // record minus storedAt, which says where it went.
    const { storedAt: _where, ...stored } = record;
    expect(JSON.parse(await readFile(join(root, record.storedAt!), "utf8"))).toEqual(stored);
    expect(processesNaming(root)).toEqual([]);
    expect(await stagingLeft()).toEqual([]);
  });

  it("keeps what the run wrote to itself: folders 0700, files 0600, HTML reports 0600", async () => {
    // As root, clusters inside .drill run as `postgres`, which must pass through .drill and runs/.
    const passThrough = process.getuid?.() === 0 ? 0o711 : 0o700;
    const through = new Set([".drill", ".drill/runs"]);
    const seen = await modesUnder(root, ".drill");
    expect(seen.size).toBeGreaterThan(10);
    for (const [rel, { mode, dir, ours }] of seen) {
      const want = dir ? (through.has(rel) ? passThrough : 0o700) : ours ? mode & 0o700 : mode;
      expect(`${rel} ${mode.toString(8)}`).toBe(`${rel} ${want.toString(8)}`);
    }
    for (const rel of [".drill/history/small", ".drill/locks", ".drill/sandbox/snapshots"])
      expect(seen.get(rel)?.mode, rel).toBe(0o700);
    for (const rel of [".drill/sandbox/password", ".drill/sandbox/state.json"])
      expect(seen.get(rel)?.mode, rel).toBe(0o600);
    expect([...seen.keys()].filter((k) => k.startsWith(".drill/history/small/"))).not.toEqual([]);

    // A report written over an existing, world-readable file is a new 0600 file.
    await mkdir(join(root, "reports", "old"), { recursive: true, mode: 0o755 });
    await writeFile(join(root, "reports/old/latest.html"), "", { mode: 0o644 });
    for (const out of ["reports/new/latest.html", "reports/old/latest.html"]) {
      const r = await runCli(["report", "latest", "--html", out], { cwd: root });
      expect(r.code, r.stderr).toBe(0);
      expect((await stat(join(root, out))).mode & 0o777, out).toBe(0o600);
    }
    expect((await stat(join(root, "reports/new"))).mode & 0o777).toBe(0o700);
  });

  it("prints plain step lines and a summary when stdout is not a terminal", async () => {
    const r = await runCli(["run", "small"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step restore started/);
    expect(r.stdout).toMatch(/step verify passed in/);
    expect(r.stdout).toMatch(/✔ rowCount customers +measured \d+, expected >= 100/);
    expect(r.stdout).toMatch(/RTO .* objective 5m +met/);
    expect(r.stdout).toMatch(/record: \.drill\/history\/small\/.*\.json/);
  });

  it("fails with exit 1 on a failed check, names it with its values, and cleans up", async () => {
    const r = await runCli(["run", "failing", "--json"], { cwd: root });
    expect(r.code).toBe(1);
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record.outcome).toBe("failed");
    expect(record.findings).toEqual([
      expect.stringMatching(
        /^verify: check "rowCount customers": measured \d+, expected >= 100000000$/,
      ),
    ]);
    expect(processesNaming(root)).toEqual([]);
    expect(await stagingLeft()).toEqual([]);
  });

  it("fails a step that exceeds its timeout and still cleans up", async () => {
    const r = await runCli(["run", "slow", "--json"], { cwd: root });
    expect(r.code).toBe(1);
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record.steps[1]).toMatchObject({
      kind: "verify",
      outcome: "failed",
      error: { code: "STEP_TIMEOUT" },
    });
    expect(record.steps[2]).toMatchObject({ kind: "cleanup", outcome: "passed" });
    expect(processesNaming(root)).toEqual([]);
  });

  it.each(["SIGINT", "SIGTERM"] as const)(
    "on %s stops, cleans up, records interrupted and exits 130",
    async (sig) => {
      let sent = false;
      const r = await runCli(["run", "small"], {
        cwd: root,
        onStdout: (text, child) => {
          if (!sent && text.includes("step restore started")) {
            sent = true;
            child.kill(sig);
          }
        },
      });
      expect(sent).toBe(true);
      expect(r.code).toBe(130);
      const latest = (await records("small")).sort((a, b) =>
        b.startedAt.localeCompare(a.startedAt),
      )[0]!;
      expect(latest.outcome).toBe("interrupted");
      expect(latest.steps.at(-1)).toMatchObject({ kind: "cleanup", outcome: "passed" });
      expect(processesNaming(root)).toEqual([]);
      expect(await stagingLeft()).toEqual([]);
    },
  );

  it("refuses a second run of the same drill while the first holds its lock", async () => {
    const holder = spawn("sleep", ["30"]);
    try {
      const lock = {
        pid: holder.pid,
        host: hostname(),
        runId: "r-other",
        drill: "small",
        since: "2026-11-28T10:00:00Z",
      };
      await writeFile(join(root, ".drill/locks/drill-small.lock"), JSON.stringify(lock));
      const r = await runCli(["run", "small"], { cwd: root });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `drill small: drill small is in use by run r-other of drill small (pid ${holder.pid}, since 2026-11-28T10:00:00Z) (hint: wait for it to finish, or stop that process; a lock of a dead process is taken over)`,
      );
    } finally {
      holder.kill();
    }
  });

  it("refuses `drill sandbox reset` while a run holds the sandbox; the run goes on and passes", async () => {
    let reset: ReturnType<typeof runMain> | undefined;
    let runner: number | undefined;
    const r = await runCli(["run", "held"], {
      cwd: root,
      onStdout: (text, child) => {
        if (!reset && text.includes("step verify started")) {
          runner = child.pid;
          reset = runMain(["sandbox", "reset"], root);
        }
      },
    });
    expect(reset).toBeDefined();
    const refused = await reset!;
    expect(r.code, r.stderr).toBe(0);
    const [record, ...others] = await records("held");
    expect(others).toEqual([]);
    expect(record!.outcome).toBe("passed");
    // One line naming the holder: its run, drill, pid and since when.
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(
      new RegExp(
        `^drill sandbox reset: environment sandbox is in use by run ${record!.id} of drill held \\(pid ${runner}, since 20\\d\\d-[\\d-]+T[\\d:.]+Z\\) \\(hint: wait for it to finish[^\\n]*\\n$`,
      ),
    );
    expect(existsSync(join(root, ".drill/sandbox/snapshots"))).toBe(true);
    expect(processesNaming(root)).toEqual([]);
  });

  it("reports bad input with file, line and field, exit 2, no stack trace", async () => {
    const r = await runCli(["run", "broken"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      'drills/broken.yaml:3:1 objectivs: unknown key "objectivs" (allowed: name, description, controls, schedule, timezone, production, window, environment, showExamples, objectives, steps, notify)',
      'drills/broken.yaml:5:5 steps[0].restor: unknown step kind "restor" (known: restore, scrub, verify, failover, s3-restore, cleanup)',
    ]);
  });

  it("refuses scrubber rules that production's tables contradict, exit 2, before restoring", async () => {
    const r = await runCli(["run", "misfit", "--json"], { cwd: root });
    expect(r.code).toBe(2);
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record.outcome).toBe("error");
    expect(record.steps.map((s) => `${s.kind} ${s.outcome}`)).toEqual([
      "restore skipped",
      "scrub skipped",
      "cleanup passed",
    ]);
    expect(record.findings).toEqual([
      expect.stringMatching(
        /^scrubbers\/misfit\.yaml:5:5 tables\.customers\.emial: column "emial" does not exist in customers in production \(columns: id, full_name, email, /,
      ) as string,
      expect.stringMatching(
        /^scrubbers\/misfit\.yaml:7:3 tables\.custmers: table "custmers" does not exist in production \(tables: /,
      ) as string,
    ]);
    expect(await stagingLeft()).toEqual([]);
  });

  it("plans without creating anything", async () => {
    const fresh = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
      "drills/small.yaml": drill("small", goodChecks),
    });
    const r = await runCli(["run", "small", "--dry-run"], { cwd: fresh });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1\. restore/);
    expect(r.stdout).toMatch(/rowCount customers/);
    expect(existsSync(join(fresh, ".drill"))).toBe(false);
  });

  it("exits 3 with the reason when PostgreSQL cannot be started", async () => {
    const broken = await makeProject({
      "config/drill.yaml":
        'environments:\n  sandbox: { provider: local, scale: 0.02, postgres: { bin: "/nonexistent/bin" } }\n',
      "drills/small.yaml": drill("small", goodChecks),
    });
    const r = await runCli(["run", "small", "--json"], { cwd: broken });
    expect(r.code).toBe(3);
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record.outcome).toBe("error");
    expect(record.findings[0]).toMatch(/\/nonexistent\/bin/);
  });
});
