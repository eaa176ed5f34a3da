import type { ColumnInfo } from "./catalog.js";
import { isArray, jsonLeaves, type ColumnSample } from "./sample.js";
import { suggestByName, suggestByValues, type Suggestion } from "./suggest.js";

/** What a guess knows beyond the column: shared by drafts and run-time suggestions. */
export interface GuessContext {
  /** Lowercase first names (faker's locale data): tells people from products. */
  firstNames: ReadonlySet<string>;
  /** The column carries a single-column unique index. */
  unique: boolean;
  /** Large objects in the database (an `oid` column may point at them). */
  largeObjects: number;
  now?: Date;
}

const EMPTY: ColumnSample = { values: [], elements: [], docs: [] };

/**
 * The rule a column most likely needs and why, from its name, its type and sampled values:
 * values decide when they show something, the name when they do not; a rule always fits the type.
 */
export function guessColumn(
  column: ColumnInfo,
  sample: ColumnSample | undefined,
  ctx: GuessContext,
): Suggestion {
  const s = sample ?? EMPTY;
  if (column.typeName === "oid") return largeObjectColumn(column, ctx);
  if (isArray(column)) return arrayColumn(column, s.elements, ctx);
  if (column.typeName === "json" || column.typeName === "jsonb")
    return jsonColumn(column, s.docs, ctx);
  const g = scalar(column, s.values, ctx);
  return g.pii && ctx.unique && g.rule.startsWith("{ fake:")
    ? { ...g, rule: g.rule.replace(/(, unique: true)? }$/, ", unique: true }") }
    : g;
}

/** A scalar column (or an element, or a JSON leaf), by name and values. */
function scalar(column: ColumnInfo, values: string[], ctx: GuessContext): Suggestion {
  const byName = suggestByName(column);
  const opts = { firstNames: ctx.firstNames, ...(ctx.now ? { now: ctx.now } : {}) };
  const byValues = suggestByValues(column, values, opts);
  const judged = values.filter((v) => v.trim() !== "").length;
  // Value evidence beats the name: a bare `name` of products is not a person (a `customer_name`
  // is trusted: its people may have names faker's list does not know).
  const knownFirst = values.some((v) => ctx.firstNames.has(v.split(/\s/)[0]!.toLowerCase()));
  if (!byValues && judged >= 5 && /^name$/i.test(column.name) && !knownFirst)
    return {
      rule: "keep",
      why: `${byName.why}, but no sampled value looks like one (sampled ${judged}): review`,
      pii: false,
    };
  if (!byValues && judged >= 5 && /_name$/i.test(column.name) && !byName.pii)
    return {
      rule: "keep",
      why: `ends in _name, but no sampled value looks like a person's name (sampled ${judged}): review`,
      pii: false,
    };
  if (!byValues && !byName.pii)
    return {
      ...byName,
      why:
        judged > 0
          ? `nothing personal in its name or ${judged} sampled values`
          : `${column.type}: ${byName.why}`,
    };
  const chosen = byValues ?? byName;
  const why = byValues && byName.pii ? `${byName.why}; ${byValues.why}` : chosen.why;
  if (!chosen.pii) return chosen;
  if (!fits(chosen.rule, column))
    return {
      rule: "keep",
      why: `${why}, but a ${column.type} column cannot take ${chosen.rule}: review`,
      pii: true,
    };
  if (chosen.rule === "null" && column.notNull)
    return { rule: "{ hash: {} }", why: `${why} (NOT NULL: hashed, not nulled)`, pii: true };
  return { ...chosen, why };
}

function fits(rule: string, column: ColumnInfo): boolean {
  if (rule === "null" || rule === "keep") return true;
  if (rule.startsWith("{ shiftDate")) return column.category === "D";
  if (rule.startsWith("{ fake: internet.ip"))
    return column.category === "S" || column.category === "I";
  return column.category === "S";
}

/** Element type of an array column, enough to judge its elements like a column of their own. */
function elementOf(column: ColumnInfo): ColumnInfo {
  const typeName = column.typeName.replace(/^_/, "");
  const category = ["inet", "cidr"].includes(typeName)
    ? "I"
    : ["date", "timestamp", "timestamptz"].includes(typeName)
      ? "D"
      : ["text", "varchar", "bpchar", "citext", "name"].includes(typeName)
        ? "S"
        : "X";
  return { ...column, type: column.type.slice(0, -2), typeName, category, notNull: false };
}

function arrayColumn(column: ColumnInfo, elements: string[], ctx: GuessContext): Suggestion {
  const g = scalar(elementOf(column), elements, { ...ctx, unique: false });
  if (!g.pii) return g;
  if (g.rule === "keep") return g;
  // A whole identifier per element: the array goes (or is hashed element by element).
  if (g.rule === "null")
    return column.notNull
      ? { rule: "{ each: { hash: {} } }", why: `each element ${g.why} (NOT NULL)`, pii: true }
      : { rule: "null", why: `each element ${g.why}`, pii: true };
  const inner = g.rule.replace(", unique: true }", " }");
  return { rule: `{ each: ${inner} }`, why: `elements: ${g.why}`, pii: true };
}

/** A rule per path holding personal data; the rest of each document stays (and is scanned). */
function jsonColumn(column: ColumnInfo, docs: unknown[], ctx: GuessContext): Suggestion {
  const found: { path: string; g: Suggestion }[] = [];
  for (const [path, values] of jsonLeaves(docs)) {
    const key =
      path
        .split(".")
        .filter((p) => !/^\d+$/.test(p))
        .at(-1) ?? path;
    const leaf: ColumnInfo = {
      ...column,
      name: key,
      type: "text",
      category: "S",
      typeName: "text",
    };
    const g = scalar(leaf, values, { ...ctx, unique: false });
    if (g.pii && g.rule !== "keep") found.push({ path, g });
  }
  if (found.length === 0)
    return docs.length > 0
      ? {
          rule: "keep",
          why: `json: no personal data seen in ${docs.length} sampled documents`,
          pii: false,
        }
      : suggestByName(column);
  const rules = found.map(
    ({ path, g }) => `${JSON.stringify(path)}: ${g.rule.replace(", unique: true }", " }")}`,
  );
  return {
    rule: `{ json: { ${rules.join(", ")} } }`,
    why: `json, in ${docs.length} sampled documents: ${found.map(({ path, g }) => `${path} ${g.why}`).join("; ")}`,
    pii: true,
  };
}

function largeObjectColumn(column: ColumnInfo, ctx: GuessContext): Suggestion {
  if (ctx.largeObjects === 0)
    return { rule: "keep", why: "oid column; the database has no large objects", pii: false };
  return {
    rule: column.notNull ? "keep" : "null",
    why: `oid column: may point at the database's ${ctx.largeObjects} large object(s); see largeObjects`,
    pii: true,
  };
}

let firstNames: Promise<Set<string>> | undefined;

/** faker's English first names, lowercased; faker is loaded here only. */
export function loadFirstNames(): Promise<Set<string>> {
  // Faker's `en` entry holds the same lists as the main one without loading every locale; one
  // set per process (a run checks several databases, the draft and the lookalike scan share it).
  return (firstNames ??= import("@faker-js/faker/locale/en").then(({ faker }) => {
    const lists = Object.values(faker.rawDefinitions.person?.first_name ?? {}) as unknown[];
    return new Set(
      lists.flatMap((l) => (Array.isArray(l) ? (l as string[]) : [])).map((n) => n.toLowerCase()),
    );
  }));
}

export const yamlKey = (k: string) =>
  /^[A-Za-z_][A-Za-z0-9_.$-]*$/.test(k) ? k : JSON.stringify(k);

/** One column of a draft or a run-time block: the rule, and why as a comment. */
export const columnLine = (column: string, suggestion: Suggestion): string =>
  // A reason names types and paths from the backup: a line break there would end the comment.
  `    ${yamlKey(column)}: ${suggestion.rule} # ${suggestion.why.replace(/[\p{Cc}\u2028\u2029]/gu, " ")}`;

/** The decision a database with large objects needs, as a line of the scrubber. */
export function largeObjectsLine(count: number, oidColumns: string[]): string {
  const refs = oidColumns.length > 0 ? `; oid columns: ${oidColumns.join(", ")}` : "";
  return `largeObjects: drop # ${count} large object(s) in the database${refs}: drop unlinks them; keep only if they hold nothing personal (the leak scan reads kept ones)`;
}
