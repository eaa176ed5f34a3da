import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { DRILL_BIN, REPO } from "../test/helpers/project.js";

/**
 * Cold start of the built CLI (`npm run build` first): `drill --help` and `drill validate`
 * beside `node -e 0` in the same run, interleaved so load on the machine hits all alike. Target:
 * each at most 3x node's own start. test/cli/cold-start.test.ts checks what they load.
 */
const project = mkdtempSync(join(tmpdir(), "drill-startup-"));
for (const dir of ["drills", "scrubbers", "config"])
  cpSync(join(REPO, dir), join(project, dir), { recursive: true });
afterAll(() => rmSync(project, { recursive: true, force: true }));

const ROUNDS = 21;

const timed = (args: string[]): number => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: project, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

it("drill --help and drill validate start within 3x of node -e 0", () => {
  const commands: Record<string, string[]> = {
    "node -e 0": ["-e", "0"],
    "drill --help": [DRILL_BIN, "--help"],
    "drill validate": [DRILL_BIN, "validate"],
  };
  const times: Record<string, number[]> = {};
  for (let i = 0; i < ROUNDS; i++)
    for (const [name, args] of Object.entries(commands)) (times[name] ??= []).push(timed(args));
  // The fastest of the interleaved runs is each command's own cost; the median also carries
  // whatever else the machine did (on a shared 2-core box, ±30%). Both are printed.
  const baseMin = Math.min(...times["node -e 0"]!);
  const baseMedian = median(times["node -e 0"]!);
  const rows = Object.entries(times).map(([name, ts]) => ({
    command: name,
    "min ms": Math.round(Math.min(...ts)),
    "median ms": Math.round(median(ts)),
    "x node (min)": Number((Math.min(...ts) / baseMin).toFixed(2)),
    "x node (median)": Number((median(ts) / baseMedian).toFixed(2)),
  }));
  console.table(rows);
  for (const row of rows) expect(row["x node (min)"], row.command).toBeLessThanOrEqual(3);
});
