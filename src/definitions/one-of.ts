import { z } from "zod";

/**
 * A YAML mapping with exactly one key naming its kind, as in `- restore: {…}` or
 * `- rowCount: {…}`. Unknown kinds are reported with the known ones listed.
 */
export function oneOf<T extends Record<string, z.ZodType>>(
  what: string,
  kinds: T,
): z.ZodType<OneOf<T, "out">, OneOf<T, "in">> {
  const known = Object.keys(kinds).join(", ");
  const shape = Object.fromEntries(Object.entries(kinds).map(([k, s]) => [k, s.optional()])) as {
    [K in keyof T]: z.ZodOptional<T[K]>;
  };
  const schema = z
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
  // The refinement above lets exactly one kind through: say so in the type.
  return schema as z.ZodType<OneOf<T, "out">, OneOf<T, "in">>;
}

/** One kind present, the others absent: `{ restore: {…} }` narrows on `"restore" in step`. */
type OneOf<T extends Record<string, z.ZodType>, IO extends "in" | "out"> = {
  [K in keyof T]: { [P in K]: IO extends "out" ? z.output<T[P]> : z.input<T[P]> } & {
    [P in Exclude<keyof T, K>]?: undefined;
  };
}[keyof T];

/** Each kind present in a `oneOf` value, with its options: one pair per kind. */
type KindEntry<T> = { [K in keyof T & string]-?: [K, NonNullable<T[K]>] }[keyof T & string];

/** The single [kind, options] pair of a value parsed by `oneOf`, typed by the kinds it allows. */
export function kindOf<T extends object>(value: T): KindEntry<T> {
  const entry = Object.entries(value).find(([, v]) => v !== undefined);
  if (!entry) throw new Error("kindOf: no kind present (schema should have refused this)");
  return entry as KindEntry<T>;
}

/** The [kind, options] pair of each value of a list parsed by `oneOf` (a verify step's checks). */
export const kindsOf = <T extends object>(values: readonly T[]): KindEntry<T>[] =>
  values.map((v) => kindOf(v));
