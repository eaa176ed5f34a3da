/**
 * Hostile input: seeded mutations of the repository's own drill, scrubber and config files must
 * end in exit 0 or 2 with one problem per line, never a stack trace, a hang or a stray file.
 *
 * Most cases run in-process through `validateCommand`; a few hundred through the built CLI
 * (`npm run build` first) prove the process itself never prints a stack trace.
 * Reproduce a failure with FUZZ_SEED=<seed> and the case index from the message.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/validate.js";
import { fakeIo } from "../helpers/io.js";
import { DRILL_BIN, makeProject } from "../helpers/project.js";
import { caseAt, FILES, PROBLEM_LINE, STACK, type FuzzCase } from "./mutate.js";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_d811);
const IN_PROCESS_CASES = Number(process.env.FUZZ_CASES ?? 2000);
const CLI_CASES = Number(process.env.FUZZ_CLI_CASES ?? 40);
const CASE_LIMIT_MS = 5000;

/** Every file under `root`, relative, except what lives under `.drill/`. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .filter((p) => p !== ".drill" && !p.startsWith(".drill/"))
    .sort();
}

const EXPECTED_TREE = Object.values(FILES).sort();

/**
 * One project folder per worker, rewritten per case (a folder made and removed per case was a
 * third of the file's time): the case's three files written over the last case's, then checked.
 */
async function reusableProject() {
  const root = await makeProject({});
  const folders = async () => {
    for (const p of EXPECTED_TREE) await mkdir(dirname(join(root, p)), { recursive: true });
  };
  await folders();
  return {
    root,
    async write(c: FuzzCase) {
      await Promise.all(Object.entries(c.files).map(([p, text]) => writeFile(join(root, p), text)));
    },
    /** The tree if the case changed it (wrong), [] if not; either way reset for the next case. */
    async changes(): Promise<string[]> {
      const after = await tree(root);
      const changed = after.join("\n") !== EXPECTED_TREE.join("\n");
      // `.drill/` may be written but must not carry over; after a wrong case, start afresh.
      const top = changed ? await readdir(root) : [".drill"];
      await Promise.all(top.map((n) => rm(join(root, n), { recursive: true, force: true })));
      if (changed) await folders();
      return changed ? after : [];
    },
  };
}

/** What is wrong with one finished case; [] when it behaved. */
function judge(code: number | null, stdout: string, stderr: string, ms: number): string[] {
  const wrong: string[] = [];
  if (code !== 0 && code !== 2) wrong.push(`exit ${code}`);
  if (ms > CASE_LIMIT_MS) wrong.push(`took ${Math.round(ms)} ms`);
  if (STACK.test(stderr) || STACK.test(stdout)) wrong.push("stack trace or internal error");
  if (code === 0) {
    if (!/^ok: \d+ drills?, \d+ scrubbers?, \d+ config files?\n$/.test(stdout))
      wrong.push(`stdout on exit 0: ${JSON.stringify(stdout.slice(0, 200))}`);
    if (stderr !== "") wrong.push("stderr on exit 0");
  }
  if (code === 2) {
    if (stdout !== "") wrong.push(`stdout on exit 2: ${JSON.stringify(stdout.slice(0, 200))}`);
    if (!stderr.endsWith("\n") || stderr.trim() === "") wrong.push("no problem printed");
    for (const line of stderr.slice(0, -1).split("\n"))
      if (!PROBLEM_LINE.test(line))
        wrong.push(`not one problem: ${JSON.stringify(line.slice(0, 300))}`);
  }
  return wrong;
}

const describeCase = (c: FuzzCase, wrong: string[], stderr: string) =>
  `seed ${SEED} case ${c.index} (${c.what}, args ${JSON.stringify(c.args)}): ${wrong.join("; ")}\n` +
  `stderr: ${stderr.slice(0, 600)}`;

describe("fuzzed definition files", () => {
  it(`${IN_PROCESS_CASES} cases in-process: exit 0 or 2, one problem per line, nothing written`, async () => {
    const failures: string[] = [];
    const exits = { 0: 0, 2: 0 } as Record<number, number>;
    let slowest = 0;
    const project = await reusableProject();
    const root = project.root;
    for (let i = 0; i < IN_PROCESS_CASES; i++) {
      const c = caseAt(SEED, i);
      await project.write(c);
      const f = fakeIo(root, c.env);
      const started = performance.now();
      let code: number | null;
      let err: string;
      try {
        code = await validateCommand(c.args, f.io);
        err = f.err();
      } catch (e) {
        code = null;
        err = `threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      }
      const ms = performance.now() - started;
      slowest = Math.max(slowest, ms);
      exits[code ?? -1] = (exits[code ?? -1] ?? 0) + 1;
      const wrong = judge(code, f.out(), err, ms);
      const changed = await project.changes();
      if (changed.length > 0) wrong.push(`files changed: ${changed.join(", ")}`);
      if (wrong.length > 0) failures.push(describeCase(c, wrong, err));
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // The mutations must reach both outcomes, or the fuzzer is only testing one path.
    if (IN_PROCESS_CASES >= 100) {
      expect(exits[2]).toBeGreaterThan(IN_PROCESS_CASES / 2);
      expect(exits[0]).toBeGreaterThan(0);
    }
    expect(slowest).toBeLessThan(CASE_LIMIT_MS);
  }, 300_000);

  it(`${CLI_CASES} cases through the built CLI: no stack trace from the process`, async () => {
    const failures: string[] = [];
    const cases = Array.from({ length: CLI_CASES }, (_, i) => caseAt(SEED ^ 0xc11, i));
    let next = 0;
    const worker = async () => {
      const project = await reusableProject();
      while (next < cases.length) {
        const c = cases[next++]!;
        await project.write(c);
        const root = project.root;
        const started = performance.now();
        const r = await runValidate(root, c);
        const ms = performance.now() - started;
        const wrong = judge(r.code, r.stdout, r.stderr, ms);
        if (r.timedOut) wrong.push("killed after the time limit");
        const changed = await project.changes();
        if (changed.length > 0) wrong.push(`files changed: ${changed.join(", ")}`);
        if (wrong.length > 0) failures.push(describeCase(c, wrong, r.stderr));
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures.slice(0, 10)).toEqual([]);
  }, 300_000);
});

/** `node bin/drill.js validate` in `root`, killed after twice the time limit. */
function runValidate(root: string, c: FuzzCase) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }>(
    (done, fail) => {
      const child = spawn(process.execPath, [DRILL_BIN, "validate", ...c.args], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", HOME: root, DRILL_LOG_LEVEL: "warn", ...c.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, 2 * CASE_LIMIT_MS);
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", fail);
      child.on("close", (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr, timedOut });
      });
    },
  );
}
