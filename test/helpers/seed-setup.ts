import { existsSync, watch } from "node:fs";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import type { LocalEnvironment } from "../../src/definitions/config.js";
import { writeFileAtomic } from "../../src/private-files.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { readState, sandboxPaths } from "../../src/providers/local/sandbox.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder of the seeded sandbox's handshake files (see seeded-sandbox.ts). */
    sandboxSeed: string;
  }
}

/** The scale every test sandbox is seeded at: large enough for the checks, quick to copy. */
export const SEED_SCALE = 0.02;

export const SEED_ENVIRONMENT: LocalEnvironment = {
  provider: "local",
  postgres: "embedded",
  scale: SEED_SCALE,
  backupInterval: 24 * 3_600_000,
};

/** A test file asks for the seed by creating this file; the answer is READY. */
export const WANTED = "wanted";
/** `{ "project": <root> }` once the seed is built, `{ "error": <why> }` when it cannot be. */
export const READY = "ready.json";

/**
 * vitest's globalSetup: one seeded sandbox (primary and first snapshot) per `npm test`, which
 * test files copy instead of each initdb-ing, seeding and snapshotting their own. It is built
 * only when a test file first asks for it, so a run of files that need none pays nothing.
 * Test files run in other processes: they ask and wait through files in a shared folder.
 */
export default async function setup(project: TestProject) {
  const base = await mkdtemp(join(tmpdir(), "drill-seed-"));
  // The `postgres` user (when we are root) walks through to the seed's primary.
  await chmod(base, 0o755);
  const controller = new AbortController();
  let building: Promise<void> | undefined;
  const onRequest = () => {
    if (!building && existsSync(join(base, WANTED))) building = buildSeed(base, controller.signal);
  };
  const watcher = watch(base, onRequest);
  project.provide("sandboxSeed", base);
  return async () => {
    watcher.close();
    // Only an interrupted run ends while the seed is still being built.
    controller.abort();
    await building;
    await rm(base, { recursive: true, force: true });
  };
}

async function buildSeed(base: string, signal: AbortSignal): Promise<void> {
  const root = join(base, "project");
  await mkdir(root, { mode: 0o755 });
  const provider = new LocalProvider({ root, environment: SEED_ENVIRONMENT });
  let answer: { project: string } | { error: string };
  try {
    await provider.prepare({ signal, progress: () => {} });
    await provider.release();
    // A copy is started by nobody yet and takes any free port: copies run side by side.
    const { port: _port, startedBy: _by, lastUpAt: _up, ...state } = await readState(root);
    await writeFileAtomic(sandboxPaths(root).stateFile, `${JSON.stringify(state, null, 2)}\n`);
    answer = { project: root };
  } catch (e) {
    await provider.release().catch(() => undefined);
    answer = { error: e instanceof Error ? e.message : String(e) };
  }
  await writeFileAtomic(join(base, READY), JSON.stringify(answer));
}
