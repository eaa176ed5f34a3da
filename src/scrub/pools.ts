import type { Queryable } from "../db.js";
import type { Keys } from "./keys.js";
import { POOL_SIZE, type PoolSpec } from "./sql.js";

/** Pools asked for while compiling, one per faker method and locale. */
export class PoolRegistry {
  private readonly specs = new Map<string, PoolSpec>();

  pool = (method: string, locale: string): PoolSpec => {
    const key = `${method}:${locale}`;
    let spec = this.specs.get(key);
    if (!spec) {
      spec = { method, locale, table: `drill_scrub.pool_${this.specs.size}` };
      this.specs.set(key, spec);
    }
    return spec;
  };

  get all(): PoolSpec[] {
    return [...this.specs.values()];
  }
}

/**
 * Draw each pool once per run with faker seeded from the secret (so the same secret gives the
 * same pools), and load it into an unlogged table in the `drill_scrub` schema. Faker is imported
 * here only: `drill validate` never loads it.
 */
export async function loadPools(db: Queryable, specs: PoolSpec[], keys: Keys): Promise<void> {
  if (specs.length === 0) return;
  const { Faker, allLocales } = await import("@faker-js/faker");
  for (const spec of specs) {
    const locales = allLocales as unknown as Record<string, object>;
    const chain = [locales[spec.locale], locales.en, locales.base].filter(Boolean);
    const faker = new Faker({ locale: chain as never });
    faker.seed(keys.fakerSeed(`${spec.method}:${spec.locale}`));
    const [mod, method] = spec.method.split(".") as [string, string];
    const module = (faker as unknown as Record<string, Record<string, () => unknown>>)[mod]!;
    const values: string[] = [];
    for (let i = 0; i < POOL_SIZE; i++) values.push(asText(module[method]!.call(module)));
    await db.query(`create unlogged table ${spec.table} (i int primary key, v text not null)`);
    await db.query(
      `insert into ${spec.table} (i, v) select n - 1, v from unnest($1::text[]) with ordinality as u(v, n)`,
      [values],
    );
    await db.query(`analyze ${spec.table}`);
  }
}

const asText = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : typeof v === "string" ? v : String(v);
