import { z } from "zod";

/**
 * A YAML mapping with exactly one key naming its kind, as in `- restore: {…}` or
 * `- rowCount: {…}`. Unknown kinds are reported with the known ones listed.
 */
export function oneOf<T extends Record<string, z.ZodType>>(what: string, kinds: T) {
  const known = Object.keys(kinds).join(", ");
  const shape = Object.fromEntries(Object.entries(kinds).map(([k, s]) => [k, s.optional()])) as {
    [K in keyof T]: z.ZodOptional<T[K]>;
  };
  return z
    .strictObject(shape, {
      error: (issue) => {
        if (issue.code === "unrecognized_keys") {
          return `unknown ${what} kind ${issue.keys.map((k) => `"${k}"`).join(", ")} (known: ${known})`;
        }
        if (issue.code === "invalid_type")
          return `expected a ${what} such as "${Object.keys(kinds)[0]}: {…}" (known: ${known})`;
        return undefined;
      },
    })
    .superRefine((value, ctx) => {
      const present = Object.keys(value).filter(
        (k) => (value as Record<string, unknown>)[k] !== undefined,
      );
      if (present.length !== 1) {
        ctx.addIssue({
          code: "custom",
          message: `expected exactly one ${what} kind, found ${present.length ? present.join(", ") : "none"} (known: ${known})`,
        });
      }
    });
}

/** The single [kind, options] pair of a value parsed by `oneOf`. */
export function kindOf(value: object): [string, unknown] {
  const entry = Object.entries(value).find(([, v]) => v !== undefined);
  if (!entry) throw new Error("kindOf: no kind present (schema should have refused this)");
  return entry as [string, unknown];
}
