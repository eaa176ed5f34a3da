import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "../duration.js";

// Each file is parsed once per command: compiling a parser per schema with `new Function`
// (zod's default) costs more than it saves, at every `drill validate`.
z.config({ jitless: true });

/**
 * An object that refuses unknown keys and says which keys it allows: a typo must never be
 * silently ignored in a file that decides what happens to production data.
 */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")} (allowed: ${allowed})`
        : undefined,
  });
}

/** Text drill writes into SQL as a constant: PostgreSQL text cannot hold a NUL character. */
export const sqlText = () =>
  z.string().refine((s) => !s.includes("\0"), {
    message: "a NUL character (\\0) cannot be stored in PostgreSQL text",
  });

/** A duration such as "45m" or "26h", parsed to milliseconds. */
export const duration = z
  .string()
  .regex(DURATION_PATTERN, { message: 'expected a duration such as "90s", "45m", "26h" or "7d"' })
  .transform((s) => parseDuration(s)!)
  .meta({ description: 'A duration: a number and a unit (ms, s, m, h, d), e.g. "45m", "1h30m".' });

/** Names of drills, scrubbers, environments and channels double as file names: keep them plain. */
export const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
  message: "expected lowercase letters, digits, '-' or '_' (at most 63 characters)",
});

const IDENT = "[A-Za-z_][A-Za-z0-9_$]{0,62}";

/** A table, optionally schema-qualified: `orders` or `shop.orders`. Quoted when used in SQL. */
export const tableName = z.string().regex(new RegExp(`^(${IDENT}\\.)?${IDENT}$`), {
  message: 'expected a table name such as "orders" or "public.orders"',
});

export const columnName = z
  .string()
  .regex(new RegExp(`^${IDENT}$`), { message: "expected a column name" });

/** `table.column` or `schema.table.column`. */
export const columnRef = z.string().regex(new RegExp(`^(${IDENT}\\.){1,2}${IDENT}$`), {
  message: 'expected "table.column" such as "orders.created_at"',
});

/** Options every step accepts beside its own. */
export const stepBase = {
  name: z.string().min(1).max(80).optional().meta({
    description: "shown in the summary and the run record instead of the step's kind",
  }),
  timeout: duration.optional().meta({
    description: "the step is stopped and fails when it runs longer; cleanup still runs",
  }),
};

/** Every check but `sql` may name itself; `sql` must, a query says too little. */
export const checkName = z.string().min(1).optional().meta({
  description: "shown in the summary and the run record (default: the kind and what it checks)",
});
