import { existsSync, watch } from "node:fs";
import { appendFile, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { inject } from "vitest";
import { parse } from "yaml";
import { openToServer } from "../../src/providers/local/home.js";
import { copyTree } from "../../src/providers/local/files.js";
import { chownTree, serverUser } from "../../src/providers/local/os-user.js";
import { sandboxPaths } from "../../src/providers/local/sandbox.js";
import { READY, SEED_SCALE, WANTED } from "./seed-setup.js";
import { tempDir } from "./temp.js";

let seed: Promise<string> | undefined;

/** The seed project the globalSetup built (asked for on first use), or why it could not. */
function seedProject(): Promise<string> {
  seed ??= (async () => {
    const base = inject("sandboxSeed");
    const ready = join(base, READY);
    const answered = appeared(ready);
    await appendFile(join(base, WANTED), "");
    await answered;
    const answer = JSON.parse(await readFile(ready, "utf8")) as {
      project?: string;
      error?: string;
    };
    if (answer.project === undefined)
      throw new Error(`the seeded sandbox could not be built: ${answer.error}`);
    return answer.project;
  })();
  return seed;
}

/** Resolves once `file` exists: the folder is watched before it is looked at, so none is missed. */
function appeared(file: string): Promise<void> {
  return new Promise((done, fail) => {
    const watcher = watch(dirname(file), () => check());
    watcher.on("error", fail);
    const check = () => {
      if (!existsSync(file)) return;
      watcher.close();
      done();
    };
    check();
  });
}

/**
 * Give the project at `root` the sandbox a first `drill run` would make (shop data at scale
 * SEED_SCALE, its first snapshot), copied from the one seed: the copy is the project's own, so
 * files running side by side never share a server or a data folder. Its state names no port
 * and no starter, so it starts on any free port like a sandbox that was stopped. It keeps the
 * seed's password: the snapshot's copies are made with it (a test password, in 0600 files).
 */
export async function seedSandbox(root: string): Promise<void> {
  await assertSeedScale(root);
  const from = sandboxPaths(await seedProject());
  const to = sandboxPaths(root);
  const as = await serverUser();
  // As the provider does before it creates the primary: the server user passes through.
  if (as) openToServer(dirname(to.primary));
  await copyTree(from.base, to.base);
  await copyTree(from.primary, to.primary);
  await chownTree(to.primary, as);
}

/** A project whose local environments want another scale or server would get the seed's silently. */
async function assertSeedScale(root: string): Promise<void> {
  const text = await readFile(join(root, "config/drill.yaml"), "utf8").catch(() => undefined);
  if (text === undefined) return;
  const config = parse(text) as { environments?: Record<string, Record<string, unknown>> };
  for (const [name, env] of Object.entries(config.environments ?? {})) {
    if (env.provider !== "local") continue;
    if (env.scale !== SEED_SCALE || (env.postgres ?? "embedded") !== "embedded")
      throw new Error(
        `seedSandbox: environment ${name} of ${root} wants scale ${String(env.scale ?? 1)}, postgres ${JSON.stringify(env.postgres ?? "embedded")}; the seed is scale ${SEED_SCALE}, embedded`,
      );
  }
}

/** A temp project root the `postgres` user can walk through, with a seeded sandbox. */
export async function seededRoot(prefix: string): Promise<string> {
  const root = await tempDir(prefix, { walkable: true });
  await seedSandbox(root);
  return root;
}
