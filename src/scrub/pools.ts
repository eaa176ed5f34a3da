import type { Faker, LocaleDefinition } from "@faker-js/faker";
import type { Queryable } from "../db.js";
import type { Keys } from "./keys.js";
import { POOL_SIZE } from "./sql-literal.js";
import type { PoolSpec } from "./sql.js";

/** A new Faker drawing from one locale, falling back to English, then faker's base data. */
type NewFaker = (locale: string) => Faker;

let english: Promise<NewFaker> | undefined;
let anyLocale: Promise<NewFaker> | undefined;

/**
 * Faker's main entry loads every locale (a quarter of a second); its `en` entry, a fifth of
 * that, holds the same chain for English (en, base), so English pools (the default) are drawn
 * from it, the same values either way. The first pool asked for (while compiling) starts the
 * import, so it loads while the tables' definitions are read. Imported here only: `drill
 * validate` never loads faker.
 */
function importFaker(locale: string): Promise<NewFaker> {
  if (locale === "en")
    return (english ??= import("@faker-js/faker/locale/en").then(({ faker }) => {
      const FakerClass = faker.constructor as typeof Faker;
      return () => new FakerClass({ locale: faker.rawDefinitions });
    }));
  return (anyLocale ??= import("@faker-js/faker").then(({ Faker, allLocales }) => (l) => {
    const locales: Record<string, LocaleDefinition | undefined> = allLocales;
    const chain = [locales[l], locales.en, locales.base].filter((d) => d !== undefined);
    return new Faker({ locale: chain });
  }));
}

/** Pools asked for while compiling, one per faker method and locale. */
export class PoolRegistry {
  private readonly specs = new Map<string, PoolSpec>();

  /** `schema`: the run's working schema (see workSchemaName), already quoted if it needs it. */
  constructor(private readonly schema: string) {}

  pool = (method: string, locale: string): PoolSpec => {
    const key = `${method}:${locale}`;
    let spec = this.specs.get(key);
    if (!spec) {
      spec = { method, locale, table: `${this.schema}.pool_${this.specs.size}` };
      this.specs.set(key, spec);
      // A failed import is reported by loadPools, which awaits the same promise.
      importFaker(locale).catch(() => {});
    }
    return spec;
  };

  get all(): PoolSpec[] {
    return [...this.specs.values()];
  }
}

/**
 * Draw each pool once per run with faker seeded from the secret (so the same secret gives the
 * same pools), and load it into an unlogged table in the run's working schema. Drawing is this
 * process's CPU and loading the server's: each pool is sent in one statement, loaded while the
 * next one is drawn.
 */
export async function loadPools(db: Queryable, specs: PoolSpec[], keys: Keys): Promise<void> {
  if (specs.length === 0) return;
  let loading: Promise<unknown> = Promise.resolve();
  for (const spec of specs) {
    const values = await draw(spec, keys.fakerSeed(`${spec.method}:${spec.locale}`));
    await loading;
    loading = db.query(
      `create unlogged table ${spec.table} as select (n - 1)::int as i, v from unnest($1::text[]) with ordinality as u(v, n)`,
      [values],
    );
    // Handled below; this keeps a failure while the next pool is drawn from going unhandled.
    loading.catch(() => {});
  }
  await loading;
  await db.query(`analyze ${specs.map((s) => s.table).join(", ")}`);
}

/**
 * The last pools drawn, by locale, method and seed: the same three always draw the same values,
 * and several databases scrubbed with one secret (or a daemon's repeated drills) draw them again
 * otherwise, a third of a second of CPU each. A few are kept, oldest forgotten first.
 */
const drawn = new Map<string, string[]>();
const KEEP_DRAWN = 16;

async function draw(spec: PoolSpec, seed: number): Promise<string[]> {
  const key = `${spec.locale}\0${spec.method}\0${seed}`;
  const known = drawn.get(key);
  if (known) return known;
  const faker = (await importFaker(spec.locale))(spec.locale);
  faker.seed(seed);
  const [mod, method] = spec.method.split(".") as [string, string];
  // `mod.method` was checked against faker's catalogue when the scrubber was read.
  const module: Record<string, () => unknown> = Reflect.get(faker, mod);
  const values: string[] = [];
  for (let i = 0; i < POOL_SIZE; i++) values.push(asText(module[method]!.call(module)));
  if (drawn.size >= KEEP_DRAWN) drawn.delete(drawn.keys().next().value!);
  drawn.set(key, values);
  return values;
}

const asText = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : typeof v === "string" ? v : String(v);
