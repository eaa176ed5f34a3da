import { createHmac, randomBytes } from "node:crypto";

/**
 * Values from the data stay out of everything drill records, posts and logs: run records, Slack,
 * Teams, the webhook, reports, logs. What may go there is counts, object names and error codes;
 * an example value only as a keyed hash, unless the drill says `showExamples: true`.
 *
 * PostgreSQL quotes the offending value in many of its errors (`invalid input syntax for type
 * date: "…"`, a detail `Key (email)=(…) already exists`, `Failing row contains (…)`), so every
 * error text that leaves a run goes through `errorText` here.
 */

/** The fields of a node-postgres DatabaseError that are read here. */
interface PgErrorLike extends Error {
  code: string;
  severity: string;
  detail?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  file?: string;
  routine?: string;
}

/** What of a PostgreSQL error a record keeps: its code and the names it points at. */
export interface PgFacts {
  sqlstate: string;
  severity?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  /** The columns of the key a unique or foreign key error names (`Key (a, b)=…`), not its values. */
  key?: string;
}

export const isPgError = (e: unknown): e is PgErrorLike =>
  e instanceof Error &&
  typeof (e as Partial<PgErrorLike>).severity === "string" &&
  /^[0-9A-Z]{5}$/.test(String((e as Partial<PgErrorLike>).code));

/**
 * Classes whose messages quote names (of objects, roles, files), never row values: syntax and
 * access rules (42), database, schema, cursor and statement names (3D, 3F, 34, 26), roles and
 * authorization (0L, 0P, 28), connections (08), features and limits (0A, 54), resources (53),
 * operator intervention such as timeouts (57), system and configuration errors (58, F0),
 * transaction state (25, 40), object state (55), internal errors and corruption (XX, amcheck's
 * findings). Data (22) and integrity (23) errors, and every other class, are cut.
 */
const NAMES_ONLY = /^(42|3D|3F|34|26|0L|0P|28|08|0A|54|53|57|58|F0|25|40|55|XX)/;

/**
 * A procedural function's own error (RAISE, ASSERT, PL/Python…) carries whatever text the
 * restored database's code wrote, row values included, under any SQLSTATE it chose.
 */
const fromFunction = (e: PgErrorLike) =>
  /^exec_stmt_(raise|assert)$/.test(e.routine ?? "") || /^pl/.test(e.file ?? "");

/** Where a value may start: a quote, bytes (`0xff`), a key's or a row's values. */
const VALUE_START = /"|\b0x[0-9a-fA-F]{2}|\bKey \(|\brow contains \(/g;

/**
 * `text` up to the first place a value may start, which becomes `…`. A quoted name from `names`
 * (the error's own table, column, constraint…) is not a value and is kept.
 */
export function cutAtValue(text: string, names: readonly string[] = []): string {
  const at = new RegExp(VALUE_START);
  for (let m = at.exec(text); m; m = at.exec(text)) {
    if (m[0] === '"') {
      const name = names.find((n) => n !== "" && text.startsWith(`"${n}"`, m!.index));
      if (name !== undefined) {
        at.lastIndex = m.index + name.length + 2;
        continue;
      }
      return `${text.slice(0, m.index)}"…"`;
    }
    return `${text.slice(0, m.index)}${m[0].endsWith("(") ? `${m[0]}…)` : "…"}`;
  }
  return text;
}

/** The key's columns of `Key (a, b)=(…)` in a detail, or undefined. */
function keyColumns(detail: string | undefined): string | undefined {
  const m = /^Key \((.*?)\)=\(/.exec(detail ?? "");
  return m?.[1];
}

export function pgFacts(e: PgErrorLike): PgFacts {
  const facts: PgFacts = { sqlstate: e.code, severity: e.severity };
  for (const k of ["schema", "table", "column", "constraint"] as const) {
    if (e[k]) facts[k] = e[k];
  }
  const key = keyColumns(e.detail);
  if (key !== undefined) facts.key = key;
  return facts;
}

/**
 * The primary message without values, and the SQLSTATE when anything may have been taken out.
 * The detail, context (`where`) and hint fields are never used: they are where PostgreSQL puts
 * the row (`Failing row contains …`, `COPY t, line 3, column c: "…"`, `JSON data, line 1: …`).
 */
export function pgMessage(e: PgErrorLike, names: readonly string[] = []): string {
  if (fromFunction(e))
    return `a function in the database raised an error (SQLSTATE ${e.code}; its text is not recorded)`;
  if (NAMES_ONLY.test(e.code)) return e.message;
  const own = [e.schema, e.table, e.column, e.dataType, e.constraint, ...names];
  return `${cutAtValue(
    e.message,
    own.filter((n): n is string => !!n),
  )} (SQLSTATE ${e.code})`;
}

/** Any error as text fit for a record, a post or a log line. */
export const errorText = (e: unknown, names: readonly string[] = []): string =>
  isPgError(e) ? pgMessage(e, names) : e instanceof Error ? e.message : String(e);

/**
 * Output of psql or pg_restore, line by line. Lines that quote rows or statements go (DETAIL:
 * the key's values or the failing row; LINE, QUERY, STATEMENT and the caret under them: the
 * statement, an INSERT's values included); the others are cut where a value may start. The
 * names quoted there are unknown, so `table "x"` stays only when it comes before any value.
 */
export function maskToolOutput(lines: readonly string[]): string[] {
  return lines
    .filter((l) => !/\b(DETAIL|LINE \d+|QUERY|STATEMENT):|^\s*\^\s*$/.test(l))
    .map((l) => {
      const m = TOOL_VALUE.exec(l);
      if (!m) return l;
      const value = m[0].endsWith("(") ? `${m[0]}…)` : m[0].endsWith('"') ? `${m[0]}…"` : "…";
      return `${l.slice(0, m.index)}${value}`;
    });
}

/** In tool output a quote after `: `, `value ` or `statement ` is a value (`type date: "x"`). */
const TOOL_VALUE = /(: |\bvalue |\bstatement )"|\b0x[0-9a-fA-F]{2}|\bKey \(|\brow contains \(/;

/** How a check shows a value it found: itself, or its keyed hash. */
export interface Examples {
  /** The drill's `showExamples`. */
  show: boolean;
  of(values: readonly string[]): Promise<string[]>;
}

/** 16 hex digits (64 bits) of HMAC-SHA256: tells examples apart, reveals nothing without the key. */
export const exampleHash = (key: Buffer, value: string): string =>
  `hmac:${createHmac("sha256", key).update(value, "utf8").digest("hex").slice(0, 16)}`;

/**
 * Examples as the drill wants them. The key is asked for only when a value is hashed; without
 * one (tests, tools outside a project) a random key nobody keeps still hides the values.
 */
export function examplesFor(show: boolean, key?: () => Promise<Buffer>): Examples {
  let loaded: Promise<Buffer> | undefined;
  return {
    show,
    async of(values) {
      if (show || values.length === 0) return [...values];
      const k = await (loaded ??= key ? key() : Promise.resolve(randomBytes(32)));
      return values.map((v) => exampleHash(k, v));
    },
  };
}
