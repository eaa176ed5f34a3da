import { promises as fs } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/io.js";
import { sandboxCommand } from "../../src/cli/sandbox.js";
import { postmasterPids } from "../../src/providers/local/processes.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { runsDir } from "../../src/providers/local/run-cluster.js";
import { sandboxPaths } from "../../src/providers/local/sandbox.js";
import { awsKeptPgpassFile, keptPgpassFile } from "../../src/state/layout.js";
import { writeRunningMarker } from "../../src/state/running.js";
import { runCli } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "./util.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

function io(cwd: string) {
  const text = { stdout: "", stderr: "" };
  const sink = (k: keyof typeof text) =>
    new Writable({
      write(chunk, _enc, cb) {
        text[k] += String(chunk);
        cb();
      },
    });
  const value: Io = {
    stdout: sink("stdout"),
    stderr: sink("stderr"),
    env: {},
    cwd,
    signal: signal(),
  };
  return { io: value, text };
}

describe("drill sandbox status | reset", () => {
  let root: string;
  let provider: LocalProvider;

  beforeAll(async () => {
    root = await tempDir("cli-sandbox", { walkable: true });
    // For the CLI (`drill sandbox reset` as a user runs it); the other tests call the command.
    await fs.mkdir(path.join(root, "config"));
    await fs.writeFile(
      path.join(root, "config/drill.yaml"),
      "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    );
    provider = new LocalProvider({ root, environment: localEnv() });
  });

  afterAll(async () => {
    await provider.release();
    expect(processesNaming(root)).toEqual([]);
    await fs.rm(root, { recursive: true, force: true });
  });

  it("says when there is no sandbox yet", async () => {
    const t = io(root);
    expect(await sandboxCommand("status", t.io, localEnv())).toBe(0);
    expect(t.text.stdout).toContain("not created yet");
    expect(t.text.stdout).toContain("snapshots: none");
  });

  it("shows the primary, its rows, snapshots and left-behind copies, and reset removes them all", async () => {
    await seedSandbox(root);
    const prepared = await provider.prepare({ signal: signal(), progress: noop });
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    // A run that crashed: its copy is never disposed.
    await provider.restore(plan, {
      runId: "crashed-run",
      signal: signal(),
      progress: noop,
      onCreated: noop,
    });

    const s = io(root);
    expect(await sandboxCommand("status", s.io, localEnv())).toBe(0);
    expect(s.text.stdout).toContain(`running on port ${prepared.primaryPort}`);
    expect(s.text.stdout).toMatch(/rows: customers 200, orders \d+/);
    expect(s.text.stdout).toContain(plan.source.id);
    expect(s.text.stdout).toMatch(/\.drill\/runs\/crashed-run\s+running/);
    expect(s.text.stdout).toMatch(
      /WAL archive: \.drill\/sandbox-primary\/wal-archive {2}\d+ segments [0-9A-F]{24} to [0-9A-F]{24} {2}\d+ MB/,
    );

    const r = io(root);
    expect(await sandboxCommand("reset", r.io, localEnv())).toBe(0);
    expect(r.text.stdout).toContain("removed .drill/sandbox and 1 run copies");
    expect(processesNaming(root)).toEqual([]);
    await expect(fs.stat(path.join(root, ".drill", "sandbox"))).rejects.toThrow();
    await expect(fs.stat(path.join(root, ".drill", "runs", "crashed-run"))).rejects.toThrow();
    await expect(fs.stat(sandboxPaths(root).walArchive)).rejects.toThrow();
  });

  it("stops on Ctrl-C with exit 130, before removing anything; a second reset finishes", async () => {
    await provider.prepare({ signal: signal(), progress: noop });
    const p = sandboxPaths(root);
    const [postmaster] = await postmasterPids(p.dataDir);
    expect(postmaster).toBeDefined();
    // A primary slow to stop: stopped, it takes the immediate shutdown only once continued, so
    // SIGINT reaches reset while it waits for that server.
    process.kill(postmaster!, "SIGSTOP");
    let sent = false;
    let sentAt = 0;
    try {
      const r = await runCli(["sandbox", "reset"], {
        cwd: root,
        onStdout: (text, child) => {
          if (!sent && text.includes("stopping PostgreSQL on")) {
            sent = true;
            sentAt = Date.now();
            child.kill("SIGINT");
          }
        },
      });
      expect(sent).toBe(true);
      // Not after the 10 s reset would give the server before killing it.
      expect(Date.now() - sentAt).toBeLessThan(8_000);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/^drill sandbox reset: interrupted by SIGINT$/m);
      expect(r.stdout).not.toContain("removed");
      await fs.stat(p.snapshots);
    } finally {
      process.kill(postmaster!, "SIGCONT");
    }
    const again = io(root);
    expect(await sandboxCommand("reset", again.io, localEnv())).toBe(0);
    expect(again.text.stdout).toContain("removed .drill/sandbox");
    expect(processesNaming(root)).toEqual([]);
    await expect(fs.stat(p.base)).rejects.toThrow();
  });

  it("leaves the run folder of a run in progress and kept AWS copies' password files", async () => {
    const dir = path.join(runsDir(root), "aws-run");
    await fs.mkdir(path.join(dir, "pgdata"), { recursive: true });
    // Written by this live process, as a run in progress writes it.
    const done = await writeRunningMarker(root, {
      runId: "aws-run",
      drill: "archive",
      environment: "aws-staging",
      now: Date.now(),
    });
    const busy = io(root);
    expect(await sandboxCommand("reset", busy.io, localEnv())).toBe(0);
    expect(busy.text.stdout).toContain("leaving .drill/runs/aws-run: its run is in progress");
    await fs.stat(dir);
    await done();
    // A kept AWS copy lives on after a reset; its password file must too.
    const awsPass = awsKeptPgpassFile(root, "aws-kept");
    await fs.mkdir(path.dirname(awsPass), { recursive: true });
    await fs.writeFile(awsPass, "x");
    await fs.writeFile(keptPgpassFile(root, "local-kept"), "x");
    const after = io(root);
    expect(await sandboxCommand("reset", after.io, localEnv())).toBe(0);
    expect(after.text.stdout).toContain("1 run copies");
    await expect(fs.stat(dir)).rejects.toThrow();
    await fs.stat(awsPass);
    await expect(fs.stat(keptPgpassFile(root, "local-kept"))).rejects.toThrow();
  });
});
