import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/types.js";
import { processesNaming } from "../helpers/processes.js";
import { makeProject, runCli } from "../helpers/project.js";
import { removeTempDirs } from "../helpers/temp.js";
import { makeBaseBackupFixture, PG_BIN, type BaseBackupFixture } from "./fixture.js";

/**
 * A physical copy goes on through the later steps like any other: a failover of staging (its
 * standby streams over drill's own hba and runs on drill's config), and scrub's `keep` (the kept
 * connection opens the copy). The backup's superuser is `boss`, not postgres.
 */
describe("a restored pg_basebackup through failover and keep", () => {
  let f: BaseBackupFixture;
  let root: string;

  beforeAll(async () => {
    f = await makeBaseBackupFixture();
    const from = `{ basebackup: { base: ${f.base}, wal: ${f.wal}, superuser: boss } }`;
    root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
      "scrubbers/t.yaml": "deterministic: false\ntables:\n  t: { id: keep, tag: keep }\n",
      "drills/fo.yaml": [
        "name: fo",
        "environment: sandbox",
        "steps:",
        `  - restore: { from: ${from}, target: { time: "${f.t.toISOString()}" } }`,
        "  - failover: { target: staging, mode: crash, probe: { writesPerSecond: 20 }, expect: { maxDowntime: 60s } }",
        "  - verify: { checks: [ { rowCount: { table: t, min: 100, max: 100 } } ] }",
        "",
      ].join("\n"),
      "drills/kept.yaml": [
        "name: kept",
        "environment: sandbox",
        "steps:",
        `  - restore: { from: ${from} }`,
        "  - scrub: { scrubber: t, keep: 1s }",
        "",
      ].join("\n"),
    });
  }, 60_000);

  afterAll(async () => {
    await f?.source.stop();
    if (root) await runCli(["cleanup"], { cwd: root });
    if (root) expect(processesNaming(root)).toEqual([]);
    await removeTempDirs();
  });

  it("fails the copy over to its standby: the probe passes, the data is there, nothing left running", async () => {
    const r = await runCli(["run", "fo", "--json"], { cwd: root });
    const record = JSON.parse(r.stdout) as RunRecord;
    expect(record.findings).toEqual([]);
    expect(
      record.steps.map((s) => [s.kind, s.outcome, s.outcome === "passed" ? "" : s.details]),
    ).toEqual([
      ["restore", "passed", ""],
      ["failover", "passed", ""],
      ["verify", "passed", ""],
      ["cleanup", "passed", ""],
    ]);
    expect(r.code).toBe(0);
    expect(record.measurements.downtimeMs!.value).toBeGreaterThan(0);
    expect(processesNaming(root)).toEqual([]);
  }, 120_000);

  it("keep: the kept connection opens the copy as the backup's superuser", async () => {
    const r = await runCli(["run", "kept", "--json"], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as RunRecord;
    const kept = record.steps.find((s) => s.kind === "scrub")!.details.kept as {
      pgpassFile: string;
      until: string;
      connect: string;
    };
    expect(kept.connect).toMatch(/ -U boss postgres$/);
    // The one process left after the run: the kept copy.
    expect(processesNaming(root)).toHaveLength(1);
    // The printed line, as the team would paste it.
    const out = execFileSync("sh", ["-c", `${kept.connect} -tAc "select count(*) from t"`], {
      env: { PATH: `${PG_BIN}:${process.env.PATH ?? ""}` },
      encoding: "utf8",
    });
    expect(out.trim()).toBe("200");
    await new Promise((res) =>
      setTimeout(res, Math.max(0, Date.parse(kept.until) - Date.now() + 50)),
    );
    const c = await runCli(["cleanup"], { cwd: root });
    expect(c.code, c.stderr).toBe(0);
    expect(processesNaming(root)).toEqual([]);
    expect(existsSync(path.join(root, ".drill", "kept", `${record.id}.pgpass`))).toBe(false);
  }, 120_000);
});
