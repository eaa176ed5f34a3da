import { spawn, execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgEnv, withSession } from "../../src/db.js";
import { findClientTools } from "../../src/providers/local/binaries.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { psqlInvocation } from "../../src/providers/feed-tool.js";
import { PlainSqlGuard } from "../../src/providers/plain-sql.js";
import type { RestoredCopy, RestoreSource } from "../../src/providers/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { localEnv, noop, signal } from "./util.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

const PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump";
/** A value whose COPY text starts with a backslash: the data line begins with `\\!`. */
const TRICKY = "\\! touch nothing\there";

describe("local plain SQL archives: declared, checked line by line, never code", () => {
  const pg = useTestCluster();
  let root: string;
  let marker: string;
  let provider: LocalProvider;
  const disposers: (() => Promise<void>)[] = [];

  const restore = async (file: string, runId: string, format?: "plain") => {
    const source: RestoreSource = { kind: "archive", path: file, ...(format ? { format } : {}) };
    let created = false;
    try {
      const plan = await provider.planRestore(source);
      const copy = await provider.restore(plan, {
        runId,
        signal: signal(),
        progress: noop,
        onCreated: (d) => {
          created = true;
          disposers.push(d);
        },
      });
      return { copy, created };
    } catch (e) {
      return { error: e, created };
    }
  };
  const write = async (name: string, text: string) => {
    const file = path.join(root, name);
    await fs.writeFile(file, text);
    return file;
  };

  beforeAll(async () => {
    root = await tempDir("plain-archive", { walkable: true });
    marker = path.join(root, "MARKER");
    provider = new LocalProvider({ root, environment: localEnv() });
    await provider.prepare({ signal: signal(), progress: noop, production: false });
  });
  afterAll(async () => {
    for (const d of disposers) await d();
    await provider.release();
    expect(processesNaming(root)).toEqual([]);
  });

  it("refuses `\\!` and `\\copy … to program` with file and line (exit 2); MARKER never appears", async () => {
    const attacks = {
      "bang.sql": `create table t (a int);\ninsert into t values (1);\n\\! touch ${marker}\n`,
      "copy.sql": `create table t (a int);\n\\copy (select 1) to program 'touch ${marker}'\n`,
      "inline.sql": `create table t (a int);\nselect 1; \\! touch ${marker}\n`,
    };
    const lines = { "bang.sql": "3:1", "copy.sql": "2:1", "inline.sql": "2:11" };
    for (const [name, text] of Object.entries(attacks)) {
      const file = await write(name, text);
      const r = await restore(file, `20261202-050000-evil-${name.slice(0, 4)}`, "plain");
      expect(r.error, name).toMatchObject({
        code: "ARCHIVE_META_COMMAND",
        exitCode: 2,
        message: expect.stringContaining(`${file}:${lines[name as keyof typeof lines]}:`),
      });
      expect((r.error as Error).message.split("\n")).toHaveLength(1);
    }
    await expect(fs.stat(marker)).rejects.toThrow();
  });

  it("refuses an undeclared plain file before creating anything, naming format: plain", async () => {
    const file = await write("clean.sql", "create table t (a int);\n");
    const r = await restore(file, "20261202-050000-undeclared-0001");
    expect(r.error).toMatchObject({
      code: "ARCHIVE_FORMAT",
      exitCode: 2,
      message: expect.stringContaining("format: plain"),
    });
    expect((r.error as Error).message).toContain(file);
    expect(r.created).toBe(false);
  });

  it("restores a declared pg_dump plain archive whose COPY data has lines starting with a backslash", async () => {
    await withSession(pg.connection, async (db) => {
      await db.query("create table notes (body text, id int primary key)");
      await db.query("insert into notes values ($1, 1), (E'a\\\\b', 2), (null, 3)", [TRICKY]);
    });
    const file = path.join(root, "notes.sql");
    const c = pg.connection;
    await promisify(execFile)(
      PG_DUMP,
      ["-h", c.host, "-p", String(c.port), "-U", c.user, "-d", c.database, "-Fp", "-f", file],
      { env: { ...process.env, PGPASSWORD: c.password ?? "" } },
    );
    const text = await fs.readFile(file, "utf8");
    expect(text).toMatch(/^\\\\! touch nothing\\there\t1$/m);
    expect(text).toMatch(/^\\restrict /m);
    const r = await restore(file, "20261202-050000-clean-0001", "plain");
    expect(r.error).toBeUndefined();
    const copy = r.copy as RestoredCopy;
    expect(copy.details).toMatchObject({ format: "plain" });
    const rows = await withSession(
      copy.connection,
      async (db) => (await db.query("select id, body from notes order by id")).rows,
    );
    expect(rows).toEqual([
      { id: 1, body: TRICKY },
      { id: 2, body: "a\\b" },
      { id: 3, body: null },
    ]);
  });

  it("psql itself refuses what would slip past the check (\\restrict), and sees none of drill's secrets", async () => {
    const tools = await findClientTools(15);
    const run = (input: string, extra: Record<string, string> = {}) =>
      new Promise<number | null>((resolve) => {
        const { args, env } = psqlInvocation(pgEnv(pg.connection));
        const child = spawn(tools.psql, args, { env: { ...env, ...extra }, stdio: "pipe" });
        child.on("close", resolve);
        child.stdin.end(input);
      });
    const prelude = new PlainSqlGuard("x").prelude();
    expect(await run(`${prelude}select 1;\n\\! touch ${marker}\n`)).not.toBe(0);
    await expect(fs.stat(marker)).rejects.toThrow();
    // Without the prelude (the guard is what stops this): the shell's environment is psql's.
    process.env.SCRUB_SECRET = "scrub-secret-value";
    process.env.AWS_SECRET_ACCESS_KEY = "aws-secret-value";
    try {
      const dump = path.join(root, "env.txt");
      expect(await run(`\\! env > ${dump}\n`)).toBe(0);
      const seen = await fs.readFile(dump, "utf8");
      expect(seen).toContain("PGPORT=");
      expect(seen).not.toMatch(/secret-value|SCRUB_SECRET|AWS_|SLACK|WEBHOOK/i);
    } finally {
      delete process.env.SCRUB_SECRET;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });
});
