import { lstat, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { serverUser } from "../../src/providers/local/os-user.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { readState, sandboxPassword, sandboxPaths } from "../../src/providers/local/sandbox.js";
import type { ConnectionInfo } from "../../src/types.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "./util.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

/** The copies of the one seeded sandbox that CLI and provider tests start from. */
describe("seeded sandbox copies", () => {
  const roots: string[] = [];
  const providers: LocalProvider[] = [];

  beforeAll(async () => {
    // The second is private (0700): as root, its primary lives under the temp dir instead.
    for (const [name, walkable] of [
      ["seed-a", true],
      ["seed-private", false],
    ] as const) {
      const root = await tempDir(name, { walkable });
      await seedSandbox(root);
      roots.push(root);
      providers.push(new LocalProvider({ root, environment: localEnv() }));
    }
  });

  afterAll(async () => {
    await Promise.all(providers.map((p) => p.release()));
    for (const root of roots) {
      const home = dirname(sandboxPaths(root).primary);
      expect(processesNaming(home)).toEqual([]);
      if (!home.startsWith(root)) await rm(home, { recursive: true, force: true });
    }
  });

  it("are seeded sandboxes that nobody started: no port, no starter", async () => {
    for (const root of roots) {
      const state = await readState(root);
      expect(state).toMatchObject({ seeded: true, scale: 0.02 });
      expect(state).not.toHaveProperty("port");
      expect(state).not.toHaveProperty("startedBy");
    }
  });

  it("belong to the server user where the server writes and to us elsewhere, private", async () => {
    const as = await serverUser();
    for (const root of roots) {
      const paths = sandboxPaths(root);
      // As root, a private project's primary is outside it, where the provider looks for it.
      if (as && root === roots[1]) expect(paths.primary.startsWith(root)).toBe(false);
      const data = await lstat(paths.dataDir);
      expect([data.uid, data.mode & 0o777], paths.dataDir).toEqual([
        as?.uid ?? process.getuid?.(),
        0o700,
      ]);
      for (const file of [paths.passwordFile, paths.stateFile]) {
        const st = await lstat(file);
        expect([st.uid, st.mode & 0o777], file).toEqual([process.getuid?.(), 0o600]);
      }
    }
  });

  it("start side by side, each on its own port with its own data", async () => {
    const prepared = await Promise.all(
      providers.map((p) => p.prepare({ signal: signal(), progress: noop })),
    );
    for (const p of prepared)
      expect(p).toMatchObject({ created: false, snapshot: { taken: false } });
    // One seed: the same snapshot in both.
    const ids = prepared.map((p) => (p.snapshot as { id: string }).id);
    expect(ids[0]).toBe(ids[1]);
    const ports = prepared.map((p) => p.primaryPort);
    expect(ports[0]).not.toBe(ports[1]);

    const conns = await Promise.all(roots.map(primary));
    await withSession(conns[0]!, (db) => db.query("create table only_in_a (x int)"));
    const tables = await Promise.all(
      conns.map((c) =>
        withSession(c, (db) =>
          db.query<{ n: string }>(
            "select count(*) as n from pg_tables where tablename = 'only_in_a'",
          ),
        ),
      ),
    );
    expect(tables.map((t) => Number(t.rows[0]!.n))).toEqual([1, 0]);
  });

  it("refuse a project that wants another scale than the seed's", async () => {
    const root = await tempDir("seed-scale", { walkable: true });
    await mkdir(join(root, "config"));
    await writeFile(
      join(root, "config/drill.yaml"),
      "environments:\n  sandbox: { provider: local, scale: 1 }\n",
    );
    await expect(seedSandbox(root)).rejects.toThrow(
      /environment sandbox of .* wants scale 1, postgres "embedded"; the seed is scale 0.02/,
    );
    await expect(lstat(join(root, ".drill"))).rejects.toThrow();
  });
});

/** The running primary of a copy, as its state and password file say. */
async function primary(root: string): Promise<ConnectionInfo> {
  return {
    host: "127.0.0.1",
    port: (await readState(root)).port!,
    user: "postgres",
    password: await sandboxPassword(root),
    database: "shop",
  };
}
