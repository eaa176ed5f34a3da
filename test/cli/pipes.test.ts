import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FileHistoryStore } from "../../src/history/file-store.js";
import type { RunRecord } from "../../src/types.js";
import { runMain } from "../helpers/io.js";
import { DRILL_BIN, REPO, cliEnv, makeProject } from "../helpers/project.js";
import { runRecord } from "../report/records.js";

/**
 * Output over a pipe's 64 KiB arrives whole (#14 "Output is never cut"): the built CLI writes
 * into a real pipe whose reader takes 4 KiB and then pauses, so most of the output is still in
 * the process when its command returns. No cluster: the history comes from the file store, and
 * the runs fail at once on a missing archive, which still prints their full records.
 */
const PIPE = 64 * 1024;
const READ_BYTES = 4096;
const PAUSE_MS = 10;
const RUNS = 60;
let root: string;

beforeAll(async () => {
  const files: Record<string, string> = {
    "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
  };
  // `orders` only has history here (runRecord's drill); the d<i> drills are run below.
  for (const name of ["orders", ...Array.from({ length: RUNS }, (_, i) => `d${i}`)])
    files[`drills/${name}.yaml`] =
      `name: ${name}\nenvironment: sandbox\nsteps:\n  - restore: { from: { archive: dumps/missing.dump } }\n`;
  root = await makeProject(files);
  // Through the store's own API, as drill keeps runs: one history with enough runs to pass
  // 64 KiB as JSON, and one run whose Markdown report alone passes it.
  const store = new FileHistoryStore(join(root, ".drill/history"), root);
  for (let w = 0; w < 100; w++)
    await store.save(
      runRecord({
        at: new Date(Date.UTC(2026, 0, 5) + w * 86_400_000).toISOString(),
        restoreMs: 60_000 + w,
        verifyMs: 9_000,
      }),
    );
  const big = runRecord({ at: "2026-06-01T04:00:00Z", drill: "big", restoreMs: 1, verifyMs: 1 });
  big.findings = Array.from({ length: 2000 }, (_, i) => `check rowCount t${i} failed: measured 0`);
  await store.save(big);
});

interface Piped {
  code: number | null;
  stdout: string;
  stderr: string;
}

let fifos = 0;
/**
 * `node <args>` with its stdout in a real pipe (a FIFO), as a shell's `|` gives it. spawn's own
 * "pipe" is a socket pair, whose larger buffer hid the bug from every other CLI test.
 */
async function intoPipe(args: string[]) {
  const path = join(root, `fifo-${fifos++}`);
  execFileSync("mkfifo", [path]);
  // Each end's open waits for the other, so both go to the thread pool together.
  const [readEnd, writeEnd] = await Promise.all([open(path, "r"), open(path, "w")]);
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: cliEnv(),
    stdio: ["ignore", writeEnd.fd, "pipe"],
  });
  await writeEnd.close();
  return { child, reader: readEnd.createReadStream({ highWaterMark: READ_BYTES }) };
}

/**
 * Read slowly, a few KiB at a time with a pause after each, until the writer closes its end: far
 * slower than the CLI goes from its last write to its exit, so exiting early loses the rest.
 */
async function slowRead(piped: Promise<Awaited<ReturnType<typeof intoPipe>>>): Promise<Piped> {
  const { child, reader } = await piped;
  const chunks: Buffer[] = [];
  let stderr = "";
  reader.on("data", (d: Buffer | string) => {
    chunks.push(Buffer.from(d));
    reader.pause();
    setTimeout(() => reader.resume(), PAUSE_MS);
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code] = await Promise.all([exited(child), once(reader, "end")]);
  return { code, stdout: Buffer.concat(chunks).toString(), stderr };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((done, fail) => {
    child.on("error", fail);
    child.on("close", done);
  });

const throughSlowReader = (args: string[]) => slowRead(intoPipe([DRILL_BIN, ...args]));

describe("piped output over 64 KiB arrives whole", () => {
  it("drill schema: the same text as in-process, and it parses", async () => {
    const piped = await throughSlowReader(["schema"]);
    expect(piped.stderr).toBe("");
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBeGreaterThan(PIPE);
    expect(piped.stdout).toBe((await runMain(["schema"], root)).stdout);
    expect(Object.keys(JSON.parse(piped.stdout) as object)).toContain("drill");
  });

  it("drill history --json: every stored run, parseable", async () => {
    const piped = await throughSlowReader(["history", "orders", "--json", "--limit", "200"]);
    expect(piped.stderr).toBe("");
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBeGreaterThan(PIPE);
    const runs = JSON.parse(piped.stdout) as RunRecord[];
    expect(runs).toHaveLength(100);
    expect(runs.at(-1)!.id).toBe("20260105T000000-orders-abcd");
  });

  it("drill report --markdown: the whole report, ending in its last finding", async () => {
    const piped = await throughSlowReader(["report", "latest", "--drill", "big", "--markdown"]);
    expect(piped.stderr).toBe("");
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBeGreaterThan(PIPE);
    expect(piped.stdout).toBe(
      (await runMain(["report", "latest", "--drill", "big", "--markdown"], root)).stdout,
    );
    expect(piped.stdout).toContain("- ❌ check rowCount t1999 failed: measured 0\n");
  });

  it("drill run --json over many drills: every record, and the run's own exit code", async () => {
    const names = Array.from({ length: RUNS }, (_, i) => `d${i}`);
    const piped = await throughSlowReader(["run", "--json", ...names]);
    expect(piped.stdout.length).toBeGreaterThan(PIPE);
    const records = JSON.parse(piped.stdout) as RunRecord[];
    expect(records.map((r) => r.drill)).toEqual(names);
    expect(records.every((r) => r.steps[0]!.error?.code === "ARCHIVE_NOT_FOUND")).toBe(true);
    // A missing archive is bad input: 2, the code main returned, not lost on the way out.
    expect(piped.code).toBe(2);
  });
});

describe("a reader that leaves or stalls", () => {
  it("leaving (EPIPE) stops no run, prints no stack trace, keeps the exit code", async () => {
    const names = Array.from({ length: RUNS }, (_, i) => `d${i}`);
    // Without --json the plain display writes as each run goes: most writes find no reader.
    const { child, reader } = await intoPipe([DRILL_BIN, "run", ...names]);
    reader.once("data", () => reader.destroy());
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await exited(child);
    expect(stderr).not.toMatch(/EPIPE|Error|\n +at /);
    expect(code).toBe(2);
    // Every drill still ran to its record (and its cleanup).
    const history = JSON.parse(
      (await runMain(["history", "--json", "--limit", "1000"], root)).stdout,
    ) as RunRecord[];
    for (const n of names)
      expect(
        history.some((r) => r.drill === n),
        n,
      ).toBe(true);
  });

  // The third Ctrl-C's path (exitWhenFlushed with a limit), and the normal one without.
  const writeThenExit = (exit: string) => [
    "--input-type=module",
    "-e",
    `import { exitWhenFlushed } from ${JSON.stringify(join(REPO, "dist/drill.js"))};
     process.stdout.write("x".repeat(1 << 18)); ${exit};`,
  ];

  it("stalling holds an abandoning exit only for its limit", async () => {
    const { child, reader } = await intoPipe(writeThenExit("exitWhenFlushed(130, 300)"));
    reader.pause();
    const started = Date.now();
    expect(await exited(child)).toBe(130);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5000);
    reader.destroy();
  });

  it("without a limit the exit waits for a slow reader and loses nothing", async () => {
    const piped = await slowRead(intoPipe(writeThenExit("exitWhenFlushed(0)")));
    expect(piped.code).toBe(0);
    expect(piped.stdout.length).toBe(1 << 18);
  });
});
