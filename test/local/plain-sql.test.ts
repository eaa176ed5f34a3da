import { describe, expect, it } from "vitest";
import { guardPlainSql } from "../../src/providers/feed-tool.js";
import { PlainSqlGuard } from "../../src/providers/plain-sql.js";

/** Run a whole text through the guard: what psql would get, or the refusal. */
function check(text: string): { out: string } | { error: { code: string; message: string } } {
  const g = new PlainSqlGuard("dump.sql");
  try {
    const out = text.split("\n").map((l) => g.line(l));
    g.end();
    return { out: out.join("\n") };
  } catch (e) {
    return { error: e as { code: string; message: string } };
  }
}

const refusedAt = (text: string, where: string) =>
  expect(check(text)).toMatchObject({
    error: { code: "ARCHIVE_META_COMMAND", message: expect.stringContaining(`dump.sql:${where}:`) },
  });

describe("plain SQL guard: meta-commands are found, data is not mistaken for them", () => {
  it("refuses meta-commands at the start of a line, with file and line", () => {
    refusedAt("create table t (a int);\n\\! touch MARKER\n", "2:1");
    refusedAt("select 1;\n  \\copy (select 1) to program 'touch MARKER'\n", "2:3");
    refusedAt("\\set x 1", "1:1");
    refusedAt("\\o |sh", "1:1");
  });

  it("refuses a meta-command after SQL on the same line (psql runs those too)", () => {
    refusedAt("select 1; \\! touch MARKER", "1:11");
    refusedAt("select 1 \\g |sh", "1:10");
    refusedAt("select 'a' \\gexec", "1:12");
  });

  it("passes COPY data whose lines start with a backslash, until \\.", () => {
    const dump = [
      "COPY public.t (a, b) FROM stdin;",
      "\\N\tnull first",
      "\\\\! not a command\t\\x41",
      "\\.",
      "select 1;",
    ].join("\n");
    expect(check(dump)).toEqual({ out: dump });
    refusedAt(`${dump}\n\\! after the data`, "6:1");
    expect(check("COPY t FROM stdin;\n1")).toMatchObject({
      error: { message: expect.stringContaining("ends inside COPY data") },
    });
  });

  it("knows strings, identifiers, dollar quotes and comments", () => {
    const ok = [
      "select 'a \\ b', E'it\\'s \\\\', \"we\\ird\", $$ x \\ y $$, $f$ \\ $f$; -- \\! no",
      "create function f() returns text language sql as $body$",
      "  select 'C:\\\\x';",
      "$body$;",
      "/* a \\ comment /* nested */ still \\ */ select 1;",
      "select 'copy t from stdin;';",
      "select 1;",
    ].join("\n");
    expect(check(ok)).toEqual({ out: ok });
    // Text looking like COPY inside a comment does not open a data block.
    refusedAt("/*\nCOPY t FROM stdin;\n*/\n\\! touch MARKER\n\\.", "4:1");
    refusedAt("select 'x\nCOPY t FROM stdin;\n';\n\\! touch MARKER\n\\.", "4:1");
    // psql sends a BEGIN ATOMIC body whole: a COPY inside it opens no data block.
    refusedAt(
      "create function f() returns int begin atomic select 1;\nCOPY t FROM stdin;\n\\! x\n",
      "2:18",
    );
    const atomic =
      "create function f() returns int language sql\nbegin atomic\n select 1;\nend;\nCOPY t FROM stdin;\n\\N\n\\.";
    expect(check(atomic)).toEqual({ out: atomic });
  });

  it("refuses what reads two ways, and drops pg_dump's own \\restrict lines", () => {
    // With standard_conforming_strings off, 'a\' continues the string: psql may see a command.
    refusedAt("select 'a\\'; \\! x --';", "1:10");
    refusedAt("SET client_encoding = 'SJIS';", "1:29");
    refusedAt("COPY t FROM stdin; \\! x", "1:20");
    expect(check("\\restrict abc123\nselect 1;\n\\unrestrict abc123")).toEqual({
      out: "\nselect 1;\n",
    });
    expect(new PlainSqlGuard("x").prelude()).toMatch(/^\\restrict [0-9a-f]{48}\n$/);
  });

  it("checks across chunk boundaries, and stops before passing the refused line on", async () => {
    async function* chunks() {
      yield Buffer.from("select 1;\nCOPY t FROM stdin;\n1\\x\n\\");
      yield Buffer.from(".\nselect 'a");
      yield Buffer.from("b';\n\\");
      yield Buffer.from("! touch MARKER\nselect 2;\n");
    }
    let stopped = false;
    const passed: string[] = [];
    const error = await (async () => {
      for await (const b of guardPlainSql(chunks(), "s3://b/k.sql", () => (stopped = true)))
        passed.push(b.toString("latin1"));
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ message: expect.stringContaining("s3://b/k.sql:6:1:") });
    expect(stopped).toBe(true);
    const fed = passed.join("");
    expect(fed).toMatch(
      /^\\restrict [0-9a-f]+\nselect 1;\nCOPY t FROM stdin;\n1\\x\n\\.\nselect 'ab';\n$/,
    );
  });

  it("drops pg_dump's one-line ALTER … OWNER TO statements, and only those", () => {
    const owners = [
      "ALTER TABLE public.customers OWNER TO postgres;",
      'ALTER FUNCTION public."f;g"(integer) OWNER TO "app ""x""";',
      "ALTER SCHEMA public OWNER TO pg_database_owner;",
      "ALTER LARGE OBJECT 16400 OWNER TO postgres;",
    ];
    expect(check(["select 1;", ...owners, "select 2;"].join("\n"))).toEqual({
      out: ["select 1;", "", "", "", "", "select 2;"].join("\n"),
    });
    // Anything more than that one statement on its line, or inside another, is passed on.
    for (const kept of [
      "ALTER TABLE t OWNER TO a; SELECT evil() -- OWNER TO b;",
      "ALTER TABLE t OWNER TO a; select 1; ALTER TABLE u OWNER TO b;",
      "select 1 +\nALTER TABLE t OWNER TO a;",
      "select $$\nALTER TABLE t OWNER TO a;\n$$;",
      "create function f() returns int language sql\nbegin atomic\nALTER TABLE t OWNER TO a;\nend;",
    ])
      expect(check(kept)).toEqual({ out: kept });
  });

  it("refuses a multi-byte-unsafe client encoding set over several lines", () => {
    refusedAt("select set_config(\n  'client_encoding',\n  'BIG5', false);", "3:17");
  });
});
