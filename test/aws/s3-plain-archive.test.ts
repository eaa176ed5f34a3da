import { promises as fs } from "node:fs";
import path from "node:path";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalS3Provider } from "../../src/providers/aws/local-s3.js";
import type { Provider, RestoredCopy } from "../../src/providers/types.js";
import { localEnv } from "../local/util.js";
import { startS3rver } from "../helpers/s3rver.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

const ROWS = 100_000;

describe("S3 plain SQL archives: declared, checked as they stream, never code (s3rver)", () => {
  let s3: S3Client;
  let stopS3: () => Promise<void>;
  let root: string;
  let marker: string;
  let provider: Provider;
  let bigLines: number;

  const put = (key: string, body: Buffer | string) =>
    s3.send(new PutObjectCommand({ Bucket: "backups", Key: key, Body: body }));

  beforeAll(async () => {
    ({ s3, stop: stopS3 } = await startS3rver());
    root = await tempDir("s3-plain", { walkable: true });
    marker = path.join(root, "MARKER");
    await s3.send(new CreateBucketCommand({ Bucket: "backups" }));
    // Several MB of clean data first: the command comes in a late chunk of the stream.
    const rows = Array.from({ length: ROWS }, (_, i) => `${i}\t\\\\row ${i}`);
    const big = [
      "create table t (id int, note text);",
      "COPY public.t (id, note) FROM stdin;",
      ...rows,
      "\\.",
      `\\! touch ${marker}`,
      "",
    ].join("\n");
    bigLines = ROWS + 4;
    await put("evil/bang.sql", big);
    await put(
      "evil/copy.sql",
      `create table t (a int);\n\\copy (select 1) to program 'touch ${marker}'\n`,
    );
    await put(
      "clean/notes.sql",
      "create table notes (body text, id int);\nCOPY notes (body, id) FROM stdin;\n\\\\! not a command\\tat all\t1\n\\N\t2\n\\.\n",
    );
    await put("latest/old.dump", "PGDMP older");
    await new Promise((r) => setTimeout(r, 1100));
    await put("latest/new.sql", "create table t (a int);\n");
    provider = new LocalS3Provider(
      { root, environment: localEnv() },
      {
        clients: { s3: async () => s3, rds: () => Promise.reject(new Error("no RDS here")) },
      },
    );
  });
  afterAll(async () => {
    await stopS3?.();
    expect(processesNaming(root)).toEqual([]);
  });

  const restore = async (url: string, runId: string, format?: "plain") => {
    const disposers: (() => Promise<void>)[] = [];
    try {
      const plan = await provider.planRestore({
        kind: "archive",
        path: url,
        ...(format ? { format } : {}),
      });
      const copy: RestoredCopy = await provider.restore(plan, {
        runId,
        signal: new AbortController().signal,
        progress: () => {},
        onCreated: (d) => disposers.push(d),
      });
      const rows = await withSession(
        copy.connection,
        async (db) => (await db.query("select * from notes order by id")).rows,
      );
      return { copy, rows };
    } catch (e) {
      return { error: e };
    } finally {
      for (const d of disposers) await d();
    }
  };

  it("refuses `\\!` after megabytes of data and `\\copy … to program`, with object and line; MARKER never appears", async () => {
    const bang = await restore(
      "s3://backups/evil/bang.sql",
      "20261202-050000-s3bang-0001",
      "plain",
    );
    expect(bang.error).toMatchObject({
      code: "ARCHIVE_META_COMMAND",
      exitCode: 2,
      message: expect.stringContaining(`s3://backups/evil/bang.sql:${bigLines}:1:`),
    });
    const copy = await restore(
      "s3://backups/evil/copy.sql",
      "20261202-050000-s3copy-0001",
      "plain",
    );
    expect(copy.error).toMatchObject({
      code: "ARCHIVE_META_COMMAND",
      exitCode: 2,
      message: expect.stringContaining("s3://backups/evil/copy.sql:2:1:"),
    });
    await expect(fs.stat(marker)).rejects.toThrow();
  });

  it("refuses the newest object under a prefix when it is plain SQL and not declared, before creating anything", async () => {
    const e = await provider
      .planRestore({ kind: "archive", path: "s3://backups/latest/" })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: "ARCHIVE_FORMAT",
      exitCode: 2,
      message: expect.stringContaining("s3://backups/latest/new.sql"),
    });
    expect((e as Error).message).toContain("format: plain");
    // A plan made offline looks the object up at restore time: refused there, no psql run.
    const offline = new LocalS3Provider(
      { root, environment: localEnv() },
      {
        offline: true,
        clients: { s3: async () => s3, rds: () => Promise.reject(new Error("no RDS here")) },
      },
    );
    const plan = await offline.planRestore({ kind: "archive", path: "s3://backups/latest/" });
    let created = false;
    const r = await offline
      .restore(plan, {
        runId: "20261202-050000-s3undecl-0001",
        signal: new AbortController().signal,
        progress: () => {},
        onCreated: () => (created = true),
      })
      .catch((x: unknown) => x);
    expect(r).toMatchObject({ code: "ARCHIVE_FORMAT", exitCode: 2 });
    expect(created).toBe(false);
  });

  it("restores a declared clean plain archive whose COPY data lines start with a backslash", async () => {
    const r = await restore(
      "s3://backups/clean/notes.sql",
      "20261202-050000-s3clean-0001",
      "plain",
    );
    expect(r.error).toBeUndefined();
    expect(r.copy?.details).toMatchObject({ format: "plain" });
    expect(r.rows).toEqual([
      { body: "\\! not a command\tat all", id: 1 },
      { body: null, id: 2 },
    ]);
  });
});
