import { FAKER_METHODS } from "./faker-methods.js";
import type { ColumnInfo } from "./catalog.js";

/** What a rule needs to know of the type of the value it rewrites (a column, or an array's element). */
export interface ValueType {
  /** `format_type` output, usable in a cast. */
  type: string;
  /** Base type name: text, inet, date, … */
  typeName: string;
  /** pg_type category: S string, D date/time, N numeric, B boolean, I network, … */
  category: string;
}

// Array columns come with the array's type only: the element's category follows from its name.
const CATEGORIES: Record<string, string> = {
  text: "S",
  varchar: "S",
  bpchar: "S",
  name: "S",
  citext: "S",
  date: "D",
  timestamp: "D",
  timestamptz: "D",
  time: "D",
  timetz: "D",
  int2: "N",
  int4: "N",
  int8: "N",
  numeric: "N",
  float4: "N",
  float8: "N",
  bool: "B",
  inet: "I",
  cidr: "I",
};

/** The element type of an array column (`text[]` → text), or undefined for anything else. */
export function elementOf(column: ColumnInfo): ValueType | undefined {
  if (!column.type.endsWith("[]") || !column.typeName.startsWith("_")) return undefined;
  const typeName = column.typeName.slice(1);
  return { type: column.type.slice(0, -2), typeName, category: CATEGORIES[typeName] ?? "U" };
}

export const IP_FAKES = ["internet.ip", "internet.ipv4", "internet.ipv6"];

/**
 * Why the values of faker method `fake` cannot be cast to `t`, where that is knowable: network
 * and uuid types take their own methods; numbers, dates and booleans refuse values of another
 * kind (a string method may still hold digits or a date: PostgreSQL judges those).
 */
export function fakeTypeProblem(fake: string, t: ValueType): string | undefined {
  const kind = FAKER_METHODS[fake]?.[0];
  const fits =
    t.typeName === "inet" || t.typeName === "cidr"
      ? IP_FAKES.includes(fake)
      : t.typeName === "uuid"
        ? fake === "string.uuid"
        : t.category === "N"
          ? kind !== "date" && kind !== "boolean"
          : t.category === "D"
            ? kind !== "number" && kind !== "bigint" && kind !== "boolean"
            : t.category === "B"
              ? kind === "boolean"
              : true;
  if (fits) return undefined;
  const allowed =
    t.typeName === "inet" || t.typeName === "cidr"
      ? IP_FAKES.join(", ")
      : t.typeName === "uuid"
        ? "string.uuid"
        : t.category === "N"
          ? "a number method such as number.int"
          : t.category === "D"
            ? "a date method such as date.past"
            : "datatype.boolean";
  return `fake ${fake} gives values that cannot be cast to ${t.type} (use ${allowed})`;
}
