import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeProject, runCli } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";

/** The CLI as a team runs it: a hostile plain archive is bad input (exit 2), never code. */
describe("drill run/plan with plain SQL archives", () => {
  let root: string;
  const drill = (name: string, from: string) =>
    `name: ${name}\nenvironment: sandbox\nsteps:\n  - restore: { from: ${from} }\n`;

  beforeAll(async () => {
    root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
      "drills/evil.yaml": drill("evil", "{ archive: dumps/evil.sql, format: plain }"),
      "drills/undeclared.yaml": drill("undeclared", "{ archive: dumps/clean.sql }"),
      "dumps/clean.sql": "create table t (a int);\n",
    });
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      join(root, "dumps/evil.sql"),
      `create table t (a int);\n\\! touch ${join(root, "MARKER")}\n`,
    );
  });

  it("`drill run` refuses the archive with its file and line, exit 2; MARKER never appears", async () => {
    const r = await runCli(["run", "evil"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain(
      `${join(root, "dumps/evil.sql")}:2:1: a psql meta-command`,
    );
    expect(existsSync(join(root, "MARKER"))).toBe(false);
    expect(processesNaming(root)).toEqual([]);
  });

  it("`drill plan` refuses an undeclared plain file, naming format: plain", async () => {
    const r = await runCli(["plan", "undeclared"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain("format: plain");
  });
});
