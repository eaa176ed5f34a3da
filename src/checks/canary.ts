import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { strict } from "../definitions/common.js";
import { boundsOf, readBounded } from "./bounded-query.js";
import { defineConnectionCheck, type CheckOutput } from "./types.js";

/**
 * The ransomware canary: a token planted in production must come back byte-exact from the
 * restored copy. A backup that was encrypted, wiped or quietly replaced loses it.
 *
 * The token is a secret (cross-check.ts refuses an `expect` not written as `${VAR}`): neither it
 * nor what the copy returned ever leaves this file. The result is only `matched`, `mismatched` or
 * `missing`; no length, prefix or hash of either value is recorded, because a record, report or
 * channel message is read by more people than the token's owners, and a hash of a short or
 * guessable token can be brute-forced offline.
 */
export const canary = defineConnectionCheck({
  kind: "canary",
  // The query is the drill's own text: it runs as the read-only reader, bounded, like `sql`.
  session: "own",
  secretFields: ["expect"],
  schema: strict({
    name: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "shown in the summary and the run record (default: canary)" }),
    query: z.string().min(1).meta({
      description:
        "one SELECT returning the planted token as the first column of one row, e.g. select token from drill_canary",
    }),
    expect: z.string().min(1).meta({
      description:
        'the token planted in production; write it as "${VARIABLE}", it is a secret (never recorded or shown)',
    }),
  }).meta({
    description:
      "A sentinel token planted in production must come back byte-exact from the copy; the result is only matched, mismatched or missing, the token never recorded.",
  }),
  describe: (o) => o.name ?? "canary",
  async run(o, ctx) {
    const bounded = await boundsOf(ctx);
    // Two rows tell "exactly one" from "more than one"; the rest is never read.
    const { rows, fields } = await readBounded(o.query, { fetch: 2 }, bounded);
    const column = fields[0]?.name;
    const first = rows[0];
    if (first === undefined || column === undefined) {
      return result(
        "missing",
        "the query returned no rows: the canary token is gone from the copy",
      );
    }
    if (rows.length > 1) {
      return result(
        "mismatched",
        "the query returned more than one row; a canary query returns exactly one token",
      );
    }
    const value = first[column];
    const bytes =
      typeof value === "string"
        ? Buffer.from(value, "utf8")
        : Buffer.isBuffer(value)
          ? value
          : null;
    if (bytes === null) {
      return result("mismatched", "the token is not text (null or another type)");
    }
    return equalSecret(bytes, Buffer.from(o.expect, "utf8"))
      ? result("matched")
      : result("mismatched", "the token in the copy differs from the one planted in production");
  },
});

function result(measured: "matched" | "mismatched" | "missing", message?: string): CheckOutput {
  return {
    measured,
    expected: "matched",
    passed: measured === "matched",
    ...(message !== undefined ? { message } : {}),
  };
}

/**
 * Constant time in the content and the length: timingSafeEqual needs equal lengths, so both sides
 * are compared as SHA-256 digests, which never leave this function.
 */
function equalSecret(a: Buffer, b: Buffer): boolean {
  const digest = (x: Buffer) => createHash("sha256").update(x).digest();
  return timingSafeEqual(digest(a), digest(b));
}
