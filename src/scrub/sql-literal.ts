import { escapeLiteral } from "pg";
import { quoteIdent } from "../db.js";

/** Faker pools hold this many values: a power of two, so the pick is the hash's low bits. */
export const POOL_BITS = 12;
export const POOL_SIZE = 2 ** POOL_BITS;

/**
 * A string constant by the driver's escapeLiteral: quotes doubled, and with a backslash in it
 * `E'…'` with backslashes doubled, read the same whatever standard_conforming_strings says (a
 * restored function can turn it off inside drill's session). PostgreSQL text cannot hold NUL.
 */
export const lit = (s: string): string => {
  if (s.includes("\0"))
    throw new Error(`string constant with a NUL character: ${JSON.stringify(s)}`);
  return escapeLiteral(s).trimStart();
};

/** `"a"."b"` column reference on the row alias. */
export const colRef = (name: string): string => `t.${quoteIdent(name)}`;
