import { promises as fs } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/io.js";
import { sandboxCommand } from "../../src/cli/sandbox.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
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

    const r = io(root);
    expect(await sandboxCommand("reset", r.io, localEnv())).toBe(0);
    expect(r.text.stdout).toContain("removed .drill/sandbox and 1 run copies");
    expect(processesNaming(root)).toEqual([]);
    await expect(fs.stat(path.join(root, ".drill", "sandbox"))).rejects.toThrow();
    await expect(fs.stat(path.join(root, ".drill", "runs", "crashed-run"))).rejects.toThrow();
  });
});
