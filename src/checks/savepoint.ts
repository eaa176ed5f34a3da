import type { Queryable } from "../db.js";
import { errorText } from "../redact.js";

export type Each<T> = { value: T } | { error: string };

/**
 * Run `fn` for each item inside one transaction, each under its own savepoint, so one failing
 * item (a corrupt index, a timeout) is recorded and the transaction goes on with the next.
 */
export async function eachInSavepoint<I, T>(
  db: Queryable,
  items: readonly I[],
  fn: (item: I) => Promise<T>,
): Promise<Each<T>[]> {
  const out: Each<T>[] = [];
  for (const item of items) {
    await db.query("savepoint drill_item");
    try {
      out.push({ value: await fn(item) });
      await db.query("release savepoint drill_item");
    } catch (e) {
      await db.query("rollback to savepoint drill_item");
      out.push({ error: errorText(e) });
    }
  }
  return out;
}
