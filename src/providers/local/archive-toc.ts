import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { PIN_SEARCH_PATH } from "../../roles.js";
import { withSession } from "../../db.js";
import { inputError, platformError } from "../../errors.js";
import type { ConnectionInfo } from "../../types.js";
import { WORKING_ROLE } from "./working-role.js";

/** A custom or directory archive: a path pg_restore opens, or a stream it reads on stdin. */
export type ArchiveInput = { file: string } | { stream: () => Promise<Readable> };

export interface RestoreList {
  /** For `pg_restore -L`: the archive's entries less those below. */
  listFile: string;
  /** Extensions created beforehand by the superuser, from the server's own installed files. */
  extensions: string[];
  /** Entries left out because only a superuser may create them, and they hold no data. */
  skipped: string[];
}

// `pg_restore -l` lines: `<id>; <catalog oid> <oid> <DESC> <schema> <tag> <owner>`; names have
// their newlines replaced, so one entry is one line.
const ENTRY = /^(\d+); \d+ \d+ /;
const KINDS = "EXTENSION|EVENT TRIGGER|PUBLICATION|SUBSCRIPTION";
const LEFT_OUT = new RegExp(
  String.raw`^(\d+); \d+ \d+ (?:(${KINDS}) - |(?:COMMENT|SECURITY LABEL) - (?:${KINDS}) |PUBLICATION TABLE |PUBLICATION TABLES IN SCHEMA )(.*)$`,
);
const IDENT = String.raw`("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`;
const CREATE_EXTENSION = new RegExp(
  String.raw`^CREATE EXTENSION IF NOT EXISTS ${IDENT} WITH SCHEMA ${IDENT};$`,
  "gm",
);

/**
 * What pg_restore (logged in as the working role) is given of an archive. An extension needs a
 * superuser to create, and only code the server has installed runs in it: the superuser creates
 * each one the archive lists (only those in pg_available_extensions) in an empty database, before
 * anything of the archive is loaded, and its entries are left out of the list. Left out too, as
 * only a superuser may make them and they hold no data: event triggers (they would run the
 * archive's code on every DDL statement), publications and subscriptions (a copy replicates to
 * and from nothing). Anything else that needs a superuser (a C or untrusted-language function)
 * fails the restore.
 */
export async function restoreList(
  pgRestore: string,
  input: ArchiveInput,
  admin: ConnectionInfo,
  dir: string,
  signal: AbortSignal,
): Promise<RestoreList> {
  const lines = (await toolOutput(pgRestore, ["-l"], input, signal)).split("\n");
  const drop = new Set<string>();
  const skipped: string[] = [];
  for (const line of lines) {
    const m = LEFT_OUT.exec(line);
    if (!m) continue;
    drop.add(m[1]!);
    // The tag, less the owner after it.
    if (m[2] && m[2] !== "EXTENSION")
      skipped.push(`${m[2].toLowerCase()} ${m[3]!.replace(/ \S*$/, "")}`);
  }
  const extensionIds = lines.filter((l) => /^\d+; \d+ \d+ EXTENSION - /.test(l));
  const extensions: string[] = [];
  if (extensionIds.length > 0) {
    const only = path.join(dir, "extensions.list");
    await fs.writeFile(only, extensionIds.join("\n") + "\n", { mode: 0o600 });
    const sql = await toolOutput(pgRestore, ["-f", "-", "-L", only], input, signal);
    await fs.rm(only, { force: true });
    for (const m of sql.matchAll(CREATE_EXTENSION)) {
      const schemaEntry = await createExtension(admin, m[1]!, m[2]!, signal);
      extensions.push(unquote(m[1]!));
      // The schema now exists, made by the superuser for the working role: not again.
      const schemaLine = lines.find((l) =>
        new RegExp(`^\\d+; \\d+ \\d+ SCHEMA - ${escape(unquote(m[2]!))} \\S*$`).test(l),
      );
      if (schemaEntry && schemaLine) drop.add(ENTRY.exec(schemaLine)![1]!);
    }
  }
  const listFile = path.join(dir, "restore.list");
  const kept = lines.filter((l) => !drop.has(ENTRY.exec(l)?.[1] ?? ""));
  await fs.writeFile(listFile, kept.join("\n"), { mode: 0o600 });
  return { listFile, extensions, skipped };
}

/** Create one extension as the superuser; true when its schema had to be created first. */
async function createExtension(
  admin: ConnectionInfo,
  name: string,
  schema: string,
  signal: AbortSignal,
): Promise<boolean> {
  return withSession(
    admin,
    async (db) => {
      await db.query(PIN_SEARCH_PATH);
      const available = await db.query(
        "select from pg_catalog.pg_available_extensions where name = $1",
        [unquote(name)],
      );
      if (available.rows.length === 0) {
        throw platformError(
          "ARCHIVE_EXTENSION_MISSING",
          `the archive needs the extension ${unquote(name)}, which this PostgreSQL server does not have installed`,
          "install it on the machine drill runs on (Debian: postgresql-contrib or the extension's package), or use `postgres: system` with a server that has it",
        );
      }
      const exists = await db.query("select from pg_catalog.pg_namespace where nspname = $1", [
        unquote(schema),
      ]);
      if (exists.rows.length === 0)
        await db.query(`create schema ${schema} authorization ${WORKING_ROLE}`);
      await db.query(`create extension if not exists ${name} with schema ${schema}`);
      return exists.rows.length === 0;
    },
    { signal, applicationName: "drill restore extensions" },
  );
}

/** The first `ERROR:` line of a failed load that says only a superuser could do it. */
export function needsSuperuser(where: string, stderr: string[]): Error | undefined {
  const line = stderr.find((l) =>
    /ERROR: .*(permission denied for language|must be superuser|permission denied to create|must be owner of|must be member of role|must be able to SET ROLE)/.test(
      l,
    ),
  );
  if (!line) return undefined;
  return inputError(
    "ARCHIVE_NEEDS_SUPERUSER",
    `${where}: the archive holds an object only a superuser may create (${line.replace(/^.*ERROR:\s*/, "")}): drill loads archives as ${WORKING_ROLE}, a role that is not a superuser, so nothing in a backup runs as one`,
    "functions in C or an untrusted language (plpython3u, plperlu) cannot be restored by drill; extensions the archive lists are created from the server's installed files",
  );
}

/** pg_restore's stdout for an archive read from a path or from a stream on stdin. */
function toolOutput(
  file: string,
  args: string[],
  input: ArchiveInput,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, "file" in input ? [...args, input.file] : args, {
      signal,
      cwd: "/",
      stdio: ["file" in input ? "ignore" : "pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" },
    });
    let out = "";
    let err = "";
    let source: Readable | undefined;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    if (!("file" in input)) {
      // pg_restore stops reading once it has what it needs (the table of contents is first).
      child.stdin!.on("error", () => {});
      input.stream().then(
        (s) => (source = s).pipe(child.stdin!),
        (e: unknown) => {
          child.kill();
          reject(e);
        },
      );
    }
    child.on("error", reject);
    child.on("close", (code) => {
      source?.destroy();
      if (code === 0) resolve(out);
      else
        reject(
          platformError(
            "ARCHIVE_RESTORE_FAILED",
            `pg_restore ${args.join(" ")} failed (exit ${code}): ${err.trim().split("\n").slice(-4).join("\n")}`,
            "check that the archive is complete and was made by pg_dump",
          ),
        );
    });
  });
}

const unquote = (id: string) => (id.startsWith('"') ? id.slice(1, -1).replaceAll('""', '"') : id);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
