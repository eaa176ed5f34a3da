import type { Queryable } from "../../db.js";
import { CREATE_CONSTRAINTS, CREATE_TABLES, HASH_FUNCTION, SYNC_SEQUENCES } from "./shop-schema.js";

/** The shop takes this many orders an hour; the seeded history and the catch-up both follow it. */
export const ORDERS_PER_HOUR = 50;
const ORDER_STEP_MS = 3_600_000 / ORDERS_PER_HOUR;
/** After a long pause only the last 30 days are replayed, so a catch-up stays quick. */
export const MAX_CATCH_UP_MS = 30 * 86_400_000;

interface Pools {
  first: string[];
  last: string[];
  firstSlug: string[];
  lastSlug: string[];
  domains: string[];
  phones: string[];
  streets: string[];
  cities: string[];
  countries: string[];
  productNames: string[];
  skus: string[];
  prices: number[];
}

let pools: Promise<Pools> | undefined;

/**
 * A few thousand faker values under a fixed seed; rows pick from them on the server. Faker per
 * row is ~10x slower than this, and the pools make the same scale give the same data.
 */
function fakerPools(): Promise<Pools> {
  pools ??= (async () => {
    const { faker } = await import("@faker-js/faker");
    faker.seed(20261128);
    const many = <T>(n: number, f: () => T) => Array.from({ length: n }, f);
    const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
    const first = many(400, () => faker.person.firstName());
    const last = many(400, () => faker.person.lastName());
    const places = many(300, () => [faker.location.city(), faker.location.country()] as const);
    return {
      first,
      last,
      firstSlug: first.map(slug),
      lastSlug: last.map(slug),
      domains: [
        "example.com",
        "example.net",
        "example.org",
        ...many(17, () => faker.internet.domainName()),
      ],
      phones: many(2000, () => faker.phone.number()),
      streets: many(2000, () => faker.location.streetAddress()),
      cities: places.map((p) => p[0]),
      countries: places.map((p) => p[1]),
      productNames: many(250, () => faker.commerce.productName()),
      skus: many(250, () => `SKU-${faker.string.alphanumeric({ length: 8, casing: "upper" })}`),
      prices: many(250, () => Number(faker.commerce.price({ min: 2, max: 400 }))),
    };
  })();
  return pools;
}

export interface SeedResult {
  customers: number;
  orders: number;
  rows: number;
}

/** Create the shop tables and fill them: scale 1 ≈ 10k customers, 30k orders, 60k items, 27k payments. */
export async function seedShop(db: Queryable, scale: number, now: Date): Promise<SeedResult> {
  const p = await fakerPools();
  const customers = Math.max(10, Math.round(10_000 * scale));
  const orders = Math.max(30, Math.round(30_000 * scale));
  const anchor = Math.floor(now.getTime() / 60_000) * 60_000;
  const historyStart = anchor - orders * ORDER_STEP_MS;
  // ($n::text[])[…]: without the parentheses `text[][…]` parses as a two-dimensional type.
  const at = (param: number, salt: number) =>
    `($${param}::text[])[1 + pg_temp.h(i, ${salt}) % cardinality($${param}::text[])]`;
  await db.query(CREATE_TABLES);
  await db.query(HASH_FUNCTION);
  await db.query(
    `insert into customers (id, full_name, email, phone, street_address, city, country, birth_date, created_at)
     select i,
       ${at(1, 1)} || ' ' || ${at(2, 2)},
       ${at(3, 1)} || '.' || ${at(4, 2)}
         || i || '@' || ${at(5, 3)},
       ${at(6, 4)},
       ${at(7, 5)},
       ${at(8, 6)},
       ${at(9, 6)},
       date '1940-01-01' + (pg_temp.h(i, 7) % 25000)::int,
       to_timestamp($11::float8 / 1000) - make_interval(secs => (($10 - i) * 1095.0 * 86400 / $10))
     from generate_series(1, $10::bigint) i`,
    [
      p.first,
      p.last,
      p.firstSlug,
      p.lastSlug,
      p.domains,
      p.phones,
      p.streets,
      p.cities,
      p.countries,
      customers,
      historyStart,
    ],
  );
  const added = await insertOrders(db, {
    firstId: 1,
    count: orders,
    firstAt: historyStart + ORDER_STEP_MS,
    customers,
    now: anchor,
  });
  await db.query(CREATE_CONSTRAINTS);
  await db.query(SYNC_SEQUENCES);
  await db.query("analyze");
  return { customers, orders, rows: customers + added };
}

/**
 * Orders `firstId…` at one per ORDER_STEP_MS from `firstAt`, each with 1–3 items and, unless it
 * is pending or cancelled, a payment. Totals are the sum of the items. Returns the rows written.
 */
async function insertOrders(
  db: Queryable,
  o: { firstId: number; count: number; firstAt: number; customers: number; now: number },
): Promise<number> {
  if (o.count <= 0) return 0;
  const p = await fakerPools();
  const pick = (param: number, type: string) => `($${param}::${type}[])[prod]`;
  await db.query("begin");
  try {
    await db.query(HASH_FUNCTION);
    await db.query(
      `create temp table drill_items on commit drop as
       select o.i as order_id, j, 1 + pg_temp.h(o.i * 4 + j, 8) % cardinality($3::text[]) as prod,
              1 + (pg_temp.h(o.i * 4 + j, 9) % 3)::int as qty
       from generate_series($1::bigint, $2::bigint) o(i), generate_series(1, 1 + (pg_temp.h(o.i, 10) % 3)::int) j`,
      [o.firstId, o.firstId + o.count - 1, p.productNames],
    );
    await db.query(
      `insert into orders (id, customer_id, status, total, created_at)
       select i, 1 + pg_temp.h(i, 11) % $3::bigint,
         case
           when at > to_timestamp($5::float8 / 1000) - interval '1 hour' then (array['pending', 'paid', 'paid'])[1 + pg_temp.h(i, 12) % 3]
           when at > to_timestamp($5::float8 / 1000) - interval '3 days' then (array['paid', 'shipped', 'shipped', 'cancelled'])[1 + pg_temp.h(i, 12) % 4]
           else (array['delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'cancelled', 'refunded'])[1 + pg_temp.h(i, 12) % 10]
         end,
         s.total,
         at
       from generate_series($1::bigint, $2::bigint) i
       join (select order_id, sum(qty * ($6::numeric[])[prod]) as total from drill_items group by order_id) s on s.order_id = i,
            lateral (select to_timestamp(($4::float8 + (i - $1) * ${ORDER_STEP_MS}) / 1000) as at) t`,
      [o.firstId, o.firstId + o.count - 1, o.customers, o.firstAt, o.now, p.prices],
    );
    const items = await db.query(
      `insert into order_items (id, order_id, sku, product_name, quantity, unit_price)
       select coalesce((select max(id) from order_items), 0) + row_number() over (order by order_id, j),
              order_id, ${pick(1, "text")}, ${pick(2, "text")}, qty, ${pick(3, "numeric")}
       from drill_items`,
      [p.skus, p.productNames, p.prices],
    );
    const payments = await db.query(
      `insert into payments (id, order_id, amount, method, card_last4, paid_at)
       select coalesce((select max(id) from payments), 0) + row_number() over (order by o.id), o.id, o.total, m.method,
              case when m.method = 'card' then lpad((pg_temp.h(o.id, 14) % 10000)::text, 4, '0') end,
              o.created_at + make_interval(secs => 5 + pg_temp.h(o.id, 15) % 900)
       from orders o,
            lateral (select (array['card', 'card', 'card', 'paypal', 'bank_transfer', 'gift_card'])[1 + pg_temp.h(o.id, 13) % 6] as method) m
       where o.id between $1 and $2 and o.status not in ('pending', 'cancelled')`,
      [o.firstId, o.firstId + o.count - 1],
    );
    await db.query("commit");
    return o.count + rowCount(items) + rowCount(payments);
  } catch (e) {
    await db.query("rollback").catch(() => undefined);
    throw e;
  }
}

const rowCount = (r: unknown) => (r as { rowCount?: number | null }).rowCount ?? 0;

export interface CatchUpResult {
  orders: number;
  rows: number;
  newestBefore: string | null;
}

/** Append the orders the shop would have taken since its newest one, up to `now`. */
export async function catchUp(db: Queryable, now: Date): Promise<CatchUpResult> {
  const { rows } = await db.query<{
    newest: Date | null;
    max_id: string | null;
    customers: string;
  }>(
    `select (select max(created_at) from orders) as newest, (select max(id) from orders) as max_id,
            (select count(*) from customers) as customers`,
  );
  const r = rows[0];
  if (!r?.newest) return { orders: 0, rows: 0, newestBefore: null };
  const from = Math.max(r.newest.getTime(), now.getTime() - MAX_CATCH_UP_MS);
  const count = Math.floor((now.getTime() - from) / ORDER_STEP_MS);
  const written = await insertOrders(db, {
    firstId: Number(r.max_id) + 1,
    count,
    firstAt: from + ORDER_STEP_MS,
    customers: Number(r.customers),
    now: now.getTime(),
  });
  if (count > 0) await db.query(SYNC_SEQUENCES);
  return { orders: count, rows: written, newestBefore: r.newest.toISOString() };
}
