import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findServerBinaries } from "../../src/providers/local/binaries.js";
import { withSession } from "../../src/db.js";
import type { ConnectionInfo } from "../../src/types.js";
import { startTestCluster } from "../helpers/cluster.js";
import { runOn, seen } from "./run-helper.js";
import { tempDir } from "../helpers/temp.js";

let pg: Awaited<ReturnType<typeof startTestCluster>>;
const db = (database: string): ConnectionInfo => ({ ...pg.connection, database });

beforeAll(async () => {
  pg = await startTestCluster();
  await withSession(pg.connection, async (s) => {
    for (const name of ["healthy", "corrupt", "bare"]) await s.query(`create database ${name}`);
  });
  for (const name of ["healthy", "corrupt"]) {
    await withSession(db(name), (s) =>
      s.query(`
        create table items (a int primary key, b int not null, note text);
        create index items_b on items (b);
        create index items_note_hash on items using hash (note);
        insert into items select g, -g, repeat('x', g % 7) from generate_series(1, 500) g;
      `),
    );
  }
});
afterAll(async () => pg?.stop());

describe("amcheck", () => {
  it("checks every user B-tree index, creating the extension in the copy", async () => {
    const [first] = await runOn(db("healthy"), [["amcheck", {}]]);
    // items_pkey, items_b, and the toast table's index (note is text); not the hash index.
    expect(seen(first!)).toEqual(["amcheck B-tree indexes", "passed", 0, "= 0 of 3 corrupt"]);
    expect(first!.details).toEqual({ checked: 3, corrupt: [], extensionCreated: true });
    const [again] = await runOn(db("healthy"), [["amcheck", { systemCatalogs: true }]]);
    expect(again!.outcome).toBe("passed");
    expect(again!.details!.extensionCreated).toBe(false);
    expect(again!.details!.checked as number).toBeGreaterThan(100);
  });

  it("names the corrupt index", async () => {
    // Catalog surgery on a throwaway database: items_b now claims to index column a, so the
    // heap's a-values are missing from an index that holds b-values.
    await withSession(db("corrupt"), (s) =>
      s.query(`set allow_system_table_mods = on;
               update pg_index set indkey = '1' where indexrelid = 'items_b'::regclass`),
    );
    const [r] = await runOn(db("corrupt"), [["amcheck", { name: "indexes" }]]);
    expect(seen(r!)).toEqual(["indexes", "failed", 1, "= 0 of 3 corrupt"]);
    const corrupt = r!.details!.corrupt as { index: string; table: string; error: string }[];
    expect(corrupt.map((c) => [c.index, c.table])).toEqual([["public.items_b", "public.items"]]);
    expect(corrupt[0]!.error).toMatch(
      /^heap tuple \(\d+,\d+\) from table "items" lacks matching index tuple within index "items_b"/,
    );
    expect(r!.message).toBe(`public.items_b on public.items: ${corrupt[0]!.error}`);
  });

  it("errors with a hint when it may not create the extension", async () => {
    const [r] = await runOn(db("bare"), [["amcheck", { install: false }]]);
    expect(r!.outcome).toBe("error");
    expect(r!.message).toBe(
      "the amcheck extension is not installed in the restored copy (hint: set `install: true` on the check (it creates the extension in the copy, never in production), or create it in production so snapshots carry it)",
    );
    const left = await withSession(db("bare"), (s) =>
      s.query("select count(*)::int as n from pg_extension where extname = 'amcheck'"),
    );
    expect(left.rows).toEqual([{ n: 0 }]);
  });

  it("errors with a hint on a PostgreSQL build without amcheck", async () => {
    // The embedded build minus amcheck's files, hard-linked where the temp dir is on its disk.
    const bare = await tempDir("test-no-amcheck", { walkable: true });
    const native = path.dirname((await findServerBinaries("embedded")).bindir);
    await mirrorWithout(native, bare, (name) => name.startsWith("amcheck"));
    const other = await startTestCluster({ bin: path.join(bare, "bin") });
    try {
      const [r] = await runOn(other.connection, [["amcheck", {}]]);
      expect(r!.outcome).toBe("error");
      expect(r!.message).toBe(
        "the amcheck extension is not available on the restored server (hint: amcheck ships with PostgreSQL's contrib modules: install them (Debian: postgresql-contrib; RDS and Aurora have it), or remove the amcheck check)",
      );
    } finally {
      await other.stop();
    }
  });
});

async function mirrorWithout(from: string, to: string, skip: (name: string) => boolean) {
  await fs.mkdir(to, { recursive: true, mode: 0o755 });
  for (const e of await fs.readdir(from, { withFileTypes: true })) {
    if (skip(e.name)) continue;
    const [src, dst] = [path.join(from, e.name), path.join(to, e.name)];
    if (e.isDirectory()) await mirrorWithout(src, dst, skip);
    else if (e.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dst);
    else
      await fs.link(src, dst).catch(async (e: NodeJS.ErrnoException) => {
        // The temp dir is often another disk (tmpfs): copied there, executable bits kept.
        if (e.code !== "EXDEV") throw e;
        await fs.copyFile(src, dst);
        await fs.chmod(dst, (await fs.stat(src)).mode & 0o777);
      });
  }
}
