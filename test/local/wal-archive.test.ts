import { execFile } from "node:child_process";
import { chmod, lstat, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverUser } from "../../src/providers/local/os-user.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { sandboxPaths } from "../../src/providers/local/sandbox.js";
import {
  archiveCommand,
  archiveCovers,
  pruneArchive,
  readArchive,
} from "../../src/providers/local/wal-archive.js";
import { processesNaming } from "../helpers/processes.js";
import { seededRoot } from "../helpers/seeded-sandbox.js";
import { tempDir } from "../helpers/temp.js";
import { localEnv, noop, signal } from "./util.js";

const sh = promisify(execFile);

/** The sandbox primary archives its WAL into a private folder beside its data folder. */
describe("sandbox WAL archive", () => {
  let root: string;
  let provider: LocalProvider;
  let prepared: Record<string, unknown>;

  beforeAll(async () => {
    root = await seededRoot("wal-archive");
    provider = new LocalProvider({ root, environment: localEnv() });
    prepared = await provider.prepare({ signal: signal(), progress: noop });
  });

  afterAll(async () => {
    await provider.release();
    expect(processesNaming(root)).toEqual([]);
  });

  it("holds every segment up to the one prepare closed, private to the server user", async () => {
    const p = sandboxPaths(root);
    const archived = prepared.walArchived as { segment: string };
    const archive = await readArchive(p.walArchive);
    expect(archive.segments).toContain(archived.segment);
    const snap = (await provider.snapshots.list())[0]!;
    // The seed's snapshot can be replayed forward: the archive reaches back to its end.
    expect(archiveCovers(archive, snap)).toBe(true);
    expect(snap.stopLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const st = await lstat(p.walArchive);
    const as = await serverUser();
    expect([st.uid, st.mode & 0o777]).toEqual([as?.uid ?? process.getuid?.(), 0o700]);
    const conf = await readFile(join(p.dataDir, "postgresql.conf"), "utf8");
    // Rewritten on each start, never appended twice.
    expect(conf.match(/^archive_command = /gm)).toHaveLength(1);
    // A prepare closes a segment even when nothing was written since the last one.
    const again = await provider.prepare({ signal: signal(), progress: noop });
    expect((again.walArchived as { segment: string }).segment > archived.segment).toBe(true);
  });

  it("never overwrites an archived segment with other content, accepts the same again", async () => {
    const dir = await tempDir("wal-cmd");
    const folder = join(dir, "it's 100% archive");
    const segment = "000000010000000000000042";
    await writeFile(join(dir, segment), "one");
    const run = (cmd: string) =>
      sh(
        "/bin/sh",
        ["-c", cmd.replace(/%p/g, segment).replace(/%f/g, segment).replace(/%%/g, "%")],
        {
          cwd: dir,
        },
      ).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
    await sh("mkdir", [folder]);
    expect(await run(archiveCommand(folder))).toBe(0);
    expect(await run(archiveCommand(folder))).toBe(0);
    await writeFile(join(dir, segment), "two");
    expect(await run(archiveCommand(folder))).not.toBe(0);
    expect(await readFile(join(folder, segment), "utf8")).toBe("one");
    expect(await readdir(folder)).toEqual([segment]);
  });

  it("prunes segments before the oldest kept snapshot, keeps timeline history", async () => {
    const dir = await tempDir("wal-prune");
    const names = [
      "000000010000000000000001",
      "000000010000000000000002",
      "000000010000000000000002.00000028.backup",
      "000000010000000000000003",
      "000000020000000000000004",
      "00000002.history",
    ];
    for (const n of names) await writeFile(join(dir, n), "x");
    expect(await pruneArchive(dir, "000000010000000000000003")).toBe(3);
    expect((await readdir(dir)).sort()).toEqual([
      "000000010000000000000003",
      "00000002.history",
      "000000020000000000000004",
    ]);
  });

  it("names the segment when archive_command fails (exit 3)", async () => {
    const p = sandboxPaths(root);
    // The server user can no longer write into its archive.
    await chmod(p.walArchive, 0o500);
    try {
      const e = await provider.prepare({ signal: signal(), progress: noop }).catch((x) => x);
      expect(e).toMatchObject({ kind: "platform", code: "WAL_ARCHIVE_FAILED" });
      expect((e as Error).message).toMatch(/WAL segment [0-9A-F]{24}/);
    } finally {
      await chmod(p.walArchive, 0o700);
    }
    // Once the folder is writable again, the archiver catches up by itself.
    const ok = await provider.prepare({ signal: signal(), progress: noop });
    expect(ok.walArchived).toBeDefined();
  });
});
