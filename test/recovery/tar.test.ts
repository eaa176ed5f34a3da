import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { c } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { extractTar } from "../../src/providers/local/recovery/tar-safe.js";
import { binariesForMajor } from "../../src/providers/local/recovery/versions.js";
import { run } from "../../src/providers/local/os-user.js";
import { makeProject } from "../helpers/project.js";
import { removeTempDirs, tempDir } from "../helpers/temp.js";
import { localEnv } from "../local/util.js";

const signal = () => new AbortController().signal;

afterAll(removeTempDirs);

describe("pg_basebackup tars are untrusted", () => {
  it("a hostile tar writes nothing outside the data folder and fails naming what it held", async () => {
    const dir = await tempDir("hostile-tar");
    const work = path.join(dir, "work");
    await fs.mkdir(path.join(work, "sub"), { recursive: true });
    await fs.writeFile(path.join(dir, "victim"), "original");
    await fs.writeFile(path.join(work, "victim"), "overwritten");
    await fs.writeFile(path.join(work, "PG_VERSION"), "15\n");
    await fs.symlink("/etc", path.join(work, "sub", "etc-link"));
    const tar = path.join(dir, "base.tar");
    // GNU tar keeps `..` and absolute names only with -P: what an attacker would write.
    await run("tar", [
      "-cPf",
      tar,
      "-C",
      path.join(work, "sub"),
      "../PG_VERSION",
      "etc-link",
      "../victim",
      path.join(work, "victim"),
    ]);
    const data = path.join(dir, "data", "pgdata");
    await fs.mkdir(data, { recursive: true });
    const err = await extractTar(tar, data, undefined, signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrillError);
    expect((err as DrillError).code).toBe("BACKUP_TAR_UNSAFE");
    expect((err as DrillError).exitCode).toBe(1);
    expect((err as DrillError).message).toContain("SymbolicLink");
    expect((err as DrillError).message).toContain("climbs out");
    expect(await fs.readFile(path.join(dir, "victim"), "utf8")).toBe("original");
    expect(await fs.readFile(path.join(work, "victim"), "utf8")).toBe("overwritten");
    expect(existsSync(path.join(data, "etc-link"))).toBe(false);
    expect(existsSync(path.join(dir, "data", "victim"))).toBe(false);
  });

  it("a bad entry after megabytes of good ones stops the system tar before it", async () => {
    const dir = await tempDir("late-bad-tar");
    const src = path.join(dir, "src");
    await fs.mkdir(path.join(src, "base"), { recursive: true });
    await fs.writeFile(path.join(src, "base", "big"), Buffer.alloc(3 << 20, 7));
    await fs.symlink("/etc", path.join(src, "zz-link"));
    const tar = path.join(dir, "base.tar.gz");
    await run("tar", ["-czf", tar, "-C", src, "base", "zz-link"]);
    const out = path.join(dir, "out");
    await fs.mkdir(out);
    const err = await extractTar(tar, out, undefined, signal()).catch((e: unknown) => e);
    expect((err as DrillError).code).toBe("BACKUP_TAR_UNSAFE");
    expect((err as DrillError).message).toContain('"zz-link" (SymbolicLink');
    expect(existsSync(path.join(out, "zz-link"))).toBe(false);
  });

  it("a truncated tar fails as unreadable, not as a partial restore", async () => {
    const dir = await tempDir("cut-tar");
    await fs.mkdir(path.join(dir, "src"));
    await fs.writeFile(path.join(dir, "src", "f"), Buffer.alloc(100_000, 1));
    const tar = path.join(dir, "base.tar");
    await c({ file: tar, cwd: path.join(dir, "src") }, ["f"]);
    await fs.truncate(tar, 50_000);
    const out = path.join(dir, "out");
    await fs.mkdir(out);
    const err = await extractTar(tar, out, undefined, signal()).catch((e: unknown) => e);
    expect((err as DrillError).code).toBe("BACKUP_TAR_UNREADABLE");
  });

  it("a plain tar extracts", async () => {
    const dir = await tempDir("plain-tar");
    await fs.mkdir(path.join(dir, "src", "base", "1"), { recursive: true });
    await fs.writeFile(path.join(dir, "src", "PG_VERSION"), "15\n");
    await fs.writeFile(path.join(dir, "src", "base", "1", "1234"), "x".repeat(100));
    const tar = path.join(dir, "base.tar");
    await c({ file: tar, cwd: path.join(dir, "src") }, ["PG_VERSION", "base"]);
    const out = path.join(dir, "out");
    await fs.mkdir(out);
    const r = await extractTar(tar, out, undefined, signal());
    expect(r.bytes).toBe(103);
    expect(await fs.readFile(path.join(out, "base", "1", "1234"), "utf8")).toHaveLength(100);
  });
});

describe("the backup's major picks the server", () => {
  it("PostgreSQL 15 finds the embedded server", async () => {
    const bins = await binariesForMajor(15, "embedded");
    expect(bins.postgres).toMatch(/postgres$/);
  });

  it("a backup of PostgreSQL 99 fails the restore with exit 3 naming the package", async () => {
    const dir = await tempDir("pg99", { walkable: true });
    const src = path.join(dir, "src");
    await fs.mkdir(src);
    await fs.writeFile(path.join(src, "PG_VERSION"), "99\n");
    await fs.writeFile(
      path.join(src, "backup_label"),
      "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIME: 2026-12-01 10:00:00 UTC\nLABEL: fake\n",
    );
    const base = path.join(dir, "base.tar");
    await c({ file: base, cwd: src }, ["backup_label", "PG_VERSION"]);
    const wal = path.join(dir, "wal");
    await fs.mkdir(wal);
    const provider = new LocalProvider({ root: await makeProject({}), environment: localEnv() });
    const plan = await provider.planRestore({
      kind: "basebackup",
      base,
      wal,
      superuser: "postgres",
      database: "postgres",
      target: { kind: "latest" },
    });
    expect(plan.details.set).toMatchObject({
      postgresMajor: 99,
      startSegment: "000000010000000000000002",
    });
    let created = false;
    const err = await provider
      .restore(plan, {
        runId: "pg99",
        signal: signal(),
        progress: () => {},
        onCreated: () => (created = true),
      })
      .catch((e: unknown) => e);
    expect((err as DrillError).exitCode).toBe(3);
    expect((err as DrillError).message).toContain("the backup is PostgreSQL 99");
    expect((err as DrillError).hint).toContain("apt-get install postgresql-99");
    expect(created).toBe(false);
  });

  it("majors before 12 are refused (recovery.conf era)", async () => {
    const err = await binariesForMajor(11, "embedded").catch((e: unknown) => e);
    expect((err as DrillError).exitCode).toBe(3);
    expect((err as DrillError).code).toBe("POSTGRES_TOO_OLD");
  });
});

// Only root runs the server as another user; as that user itself every folder it made is readable.
const asRoot = process.getuid?.() === 0;

describe("the WAL folder", () => {
  it.skipIf(!asRoot)(
    "one the server user cannot read is exit 3 before replay, not missing WAL",
    async () => {
      const dir = await tempDir("wal-private", { walkable: true });
      const src = path.join(dir, "src");
      await fs.mkdir(src);
      await fs.writeFile(path.join(src, "PG_VERSION"), "15\n");
      await fs.writeFile(
        path.join(src, "backup_label"),
        "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nLABEL: fake\n",
      );
      const base = path.join(dir, "base.tar");
      await c({ file: base, cwd: src }, ["backup_label", "PG_VERSION"]);
      const wal = path.join(dir, "wal");
      await fs.mkdir(wal, { mode: 0o700 }); // root's alone
      const provider = new LocalProvider({ root: await makeProject({}), environment: localEnv() });
      const plan = await provider.planRestore({
        kind: "basebackup",
        base,
        wal,
        superuser: "postgres",
        database: "postgres",
        target: { kind: "latest" },
      });
      let dispose: (() => Promise<void>) | undefined;
      const err = await provider
        .restore(plan, {
          runId: "walpriv",
          signal: signal(),
          progress: () => {},
          onCreated: (d) => (dispose = d),
        })
        .catch((e: unknown) => e);
      await dispose?.();
      expect((err as DrillError).code).toBe("WAL_FOLDER_UNREADABLE");
      expect((err as DrillError).exitCode).toBe(3);
    },
  );
});
